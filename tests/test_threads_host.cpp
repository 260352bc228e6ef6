// Host prune and compress called from several threads at once give the same bytes as calls made
// one at a time, and each thread sees only its own error message.
#include <string>
#include <thread>

#include "catch_compat.hpp"
#include "sparseflow/sparseflow.h"
#include "support.hpp"

TEST_CASE("prune and compress from several threads at once", "[threads]") {
  constexpr int kThreads = 8;
  struct Job {
    sf_dtype_t dtype;
    int64_t rows, cols;
    std::vector<uint16_t> input, pruned;
    std::vector<uint8_t> blob;
  };
  std::vector<Job> jobs;
  for (int t = 0; t < kThreads; ++t) {
    Job j;
    j.dtype = t % 2 ? SF_DTYPE_BF16 : SF_DTYPE_F16;
    j.rows = 200 + 37 * t;
    j.cols = 256 + 32 * t;
    j.input = sft::random_matrix(j.dtype, j.rows, j.cols, j.cols, 900 + t);
    jobs.push_back(std::move(j));
  }
  // Serial expectation first.
  std::vector<std::vector<uint8_t>> expected;
  for (auto &j : jobs) {
    std::vector<uint16_t> pruned(j.input.size());
    REQUIRE(sf_prune(SF_MEMORY_HOST, j.dtype, j.rows, j.cols, j.input.data(), j.cols, pruned.data(),
                     j.cols, nullptr) == SF_SUCCESS);
    expected.push_back(sft::compress_on_host(j.dtype, j.rows, j.cols, pruned, j.cols));
  }
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      Job &j = jobs[static_cast<size_t>(t)];
      for (int repeat = 0; repeat < 3; ++repeat) {
        j.pruned.assign(j.input.size(), 0);
        if (sf_prune(SF_MEMORY_HOST, j.dtype, j.rows, j.cols, j.input.data(), j.cols,
                     j.pruned.data(), j.cols, nullptr) != SF_SUCCESS) {
          failures[t] = sf_last_error_message();
          return;
        }
        size_t bytes = 0;
        sf_compressed_size(j.dtype, j.rows, j.cols, &bytes);
        j.blob.assign(bytes, 0);
        if (sf_compress(SF_MEMORY_HOST, j.dtype, j.rows, j.cols, j.pruned.data(), j.cols,
                        j.blob.data(), bytes, nullptr, nullptr) != SF_SUCCESS) {
          failures[t] = sf_last_error_message();
          return;
        }
        // An error on this thread must not show up on the others.
        if (t % 2 == 0) {
          sf_compressed_size(j.dtype, -1, j.cols, &bytes);
          if (std::string(sf_last_error_message()).find("rows") == std::string::npos)
            failures[t] = "own error message missing";
        } else if (!std::string(sf_last_error_message()).empty()) {
          failures[t] = "foreign error message seen: " + std::string(sf_last_error_message());
        }
      }
    });
  for (auto &th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t << ": " << failures[t]);
    CHECK(failures[t].empty());
    CHECK(jobs[static_cast<size_t>(t)].blob == expected[static_cast<size_t>(t)]);
  }
}
