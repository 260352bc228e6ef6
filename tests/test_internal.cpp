// Internal pieces the public API cannot reach: the compute-capability gate, the metadata layout
// used by the library against the documented one, and the CPU fork-join loop.
#include <atomic>

#include "../kernels/sparsity_rules.hpp"
#include "../src/device.hpp"
#include "../src/parallel.hpp"
#include "catch_compat.hpp"
#include "support.hpp"

TEST_CASE("GPUs older than compute capability 8.0 are refused", "[device]") {
  CHECK(sparseflow::device_support_status(7, 5) == SF_ERROR_UNSUPPORTED_DEVICE);
  CHECK(sparseflow::device_support_status(6, 1) == SF_ERROR_UNSUPPORTED_DEVICE);
  CHECK(sparseflow::device_support_status(8, 0) == SF_SUCCESS);
  CHECK(sparseflow::device_support_status(9, 0) == SF_SUCCESS);
  CHECK(sparseflow::device_support_status(12, 0) == SF_SUCCESS);
}

TEST_CASE("the library's metadata slot is the documented one", "[format]") {
  for (int64_t cols : {32, 64, 288})
    for (int64_t r = 0; r < 48; ++r)
      for (int64_t g = 0; g < cols / 4; ++g) {
        const auto mine = sparseflow::metadata_slot(r, g, cols / 32);
        const auto documented = sft::documented_metadata_slot(r, g, cols);
        REQUIRE(mine.word == documented.word);
        REQUIRE(mine.shift == documented.shift);
      }
}

TEST_CASE("parallel_for covers every item exactly once", "[parallel]") {
  for (int64_t count : {1, 7, 1000, 100000}) {
    std::vector<std::atomic<int>> seen(static_cast<size_t>(count));
    sparseflow::parallel_for(count, 1 << 12, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) seen[static_cast<size_t>(i)]++;
    });
    for (auto &s : seen) REQUIRE(s.load() == 1);
  }
}
