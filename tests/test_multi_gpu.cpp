// Several GPUs in one process: sf_prune, sf_compress and sf_gemm driven on every visible device
// at once from separate host threads (each with its own stream and shapes), and the refusal of a
// stream or pointer that belongs to another device than the current one. Built into
// sf_multi_gpu_tests, which reports itself skipped with fewer than two devices.
#include <cuda_runtime_api.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "catch_compat.hpp"
#include "gpu_support.hpp"
#include "sparseflow/sparseflow.h"
#include "support.hpp"

namespace {

int device_count() {
  int count = 0;
  SFT_CUDA(cudaGetDeviceCount(&count));
  return count;
}

// Releases every waiting thread at once, so that the first library calls on all devices
// (property caches, kernel attributes) race with each other.
class StartLine {
 public:
  explicit StartLine(int parties) : waiting_(parties) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (--waiting_ == 0) {
      released_.notify_all();
      return;
    }
    released_.wait(lock, [&] { return waiting_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  int waiting_;
};

struct CheckedCase {
  std::string what;
  sft::GemmOutcome outcome;
};

// What one device's thread did; failures are strings because Catch2 assertions are main-thread only.
struct DeviceReport {
  std::vector<CheckedCase> gemms;
  bool compress_matches_host = false;
  std::string failure;  // an exception thrown in the thread
};

// Device prune + compress of a random matrix against the host path's bytes.
bool device_compress_matches_host(sf_dtype_t dtype, int64_t rows, int64_t cols, uint64_t seed,
                                  cudaStream_t stream) {
  auto matrix = sft::random_matrix(dtype, rows, cols, cols, seed);
  const size_t dense_bytes = matrix.size() * 2;
  sft::DeviceBuffer dense(dense_bytes);
  dense.upload(matrix.data(), dense_bytes, stream);
  const auto sf_stream = reinterpret_cast<sf_stream_t>(stream);
  sft::sf_check(sf_prune(SF_MEMORY_DEVICE, dtype, rows, cols, dense.get(), cols, dense.get(), cols,
                         sf_stream),
                "sf_prune(device)");
  sft::sf_check(sf_prune(SF_MEMORY_HOST, dtype, rows, cols, matrix.data(), cols, matrix.data(),
                         cols, nullptr),
                "sf_prune(host)");
  size_t bytes = 0;
  sft::sf_check(sf_compressed_size(dtype, rows, cols, &bytes), "sf_compressed_size");
  std::vector<uint8_t> host_blob(bytes);
  sft::sf_check(sf_compress(SF_MEMORY_HOST, dtype, rows, cols, matrix.data(), cols,
                            host_blob.data(), bytes, nullptr, nullptr),
                "sf_compress(host)");
  sft::DeviceBuffer blob(bytes);
  sft::sf_check(sf_compress(SF_MEMORY_DEVICE, dtype, rows, cols, dense.get(), cols, blob.get(),
                            bytes, nullptr, sf_stream),
                "sf_compress(device)");
  return blob.download(stream) == host_blob;
}

// Shapes differ per device so that a result computed with another device's state (or on another
// device) cannot pass: the decode family (n <= 32), the tiled families, both layouts, in place.
std::vector<sft::GemmCase> cases_for_device(int device) {
  std::vector<sft::GemmCase> cases;
  sft::GemmCase decode;
  decode.m = 200 + 48 * device;
  decode.n = 1 + device;
  decode.k = 512 + 32 * device;
  decode.seed = 100 + static_cast<uint64_t>(device);
  cases.push_back(decode);

  sft::GemmCase tiled;
  tiled.input = SF_DTYPE_BF16;
  tiled.output = SF_DTYPE_F32;
  tiled.m = 1000 + 16 * device;
  tiled.n = 300 + 17 * device;
  tiled.k = 1024 + 64 * device;
  tiled.alpha = 0.5f;
  tiled.bias = true;
  tiled.seed = 200 + static_cast<uint64_t>(device);
  cases.push_back(tiled);

  sft::GemmCase row_major;
  row_major.layout = SF_LAYOUT_ROW_MAJOR;
  row_major.m = 333 + device;
  row_major.n = 40 + 3 * device;
  row_major.k = 256;
  row_major.beta = 1.f;
  row_major.c_is_d = true;
  row_major.ldd_extra = 8;
  row_major.seed = 300 + static_cast<uint64_t>(device);
  cases.push_back(row_major);
  return cases;
}

std::string describe_case(int device, const sft::GemmCase &c) {
  std::ostringstream s;
  s << "device " << device << (c.layout == SF_LAYOUT_LINEAR ? " linear" : " row-major") << " m "
    << c.m << " n " << c.n << " k " << c.k;
  return s.str();
}

void run_device(int device, int rounds, StartLine &start, DeviceReport &report) {
  cudaStream_t stream = nullptr;
  try {
    SFT_CUDA(cudaSetDevice(device));
    SFT_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    const auto cases = cases_for_device(device);
    std::vector<sft::PreparedA> prepared;
    for (const auto &c : cases) prepared.push_back(sft::prepare_a(c.input, c.m, c.k, c.seed));
    start.arrive_and_wait();
    for (int round = 0; round < rounds; ++round)
      for (size_t i = 0; i < cases.size(); ++i)
        report.gemms.push_back(
            {describe_case(device, cases[i]) + " round " + std::to_string(round),
             sft::run_gemm_case(cases[i], prepared[i], stream)});
    report.compress_matches_host = device_compress_matches_host(
        device % 2 ? SF_DTYPE_BF16 : SF_DTYPE_F16, 96 + 16 * device, 512, 7 + device, stream);
  } catch (const std::exception &e) {
    report.failure = "device " + std::to_string(device) + ": " + e.what();
  }
  if (stream != nullptr) cudaStreamDestroy(stream);
}

// A small compressed A on the current device, for the refusal checks.
struct SmallProblem {
  static constexpr int64_t m = 64, n = 8, k = 64;
  sft::PreparedA a = sft::prepare_a(SF_DTYPE_F16, m, k, 5);
  sft::DeviceBuffer a_dev{a.blob.size()}, b_dev{n * k * 2}, d_dev{n * m * 2};
  SmallProblem() {
    a_dev.upload(a.blob.data(), a.blob.size());
    std::vector<uint8_t> zeros(b_dev.size(), 0), poison(d_dev.size(), 0xff);
    b_dev.upload(zeros.data(), zeros.size());
    d_dev.upload(poison.data(), poison.size());
  }
  sf_status_t gemm(const void *b, sf_stream_t stream) const {
    return sf_gemm(SF_LAYOUT_LINEAR, n, 1.f, &a.header, a_dev.get(), a.blob.size(), b, k, 0.f,
                   nullptr, m, nullptr, SF_DTYPE_F16, d_dev.get(), m, stream);
  }
  bool d_untouched() const {
    for (uint8_t byte : d_dev.download())
      if (byte != 0xff) return false;
    return true;
  }
};

// A stream and a buffer made on the device current at construction; freed there.
class OtherDevice {
 public:
  OtherDevice() {
    SFT_CUDA(cudaGetDevice(&device_));
    SFT_CUDA(cudaStreamCreate(&stream_));
  }
  ~OtherDevice() {
    int current = 0;
    cudaGetDevice(&current);
    cudaSetDevice(device_);
    cudaStreamDestroy(stream_);
    cudaSetDevice(current);
  }
  OtherDevice(const OtherDevice &) = delete;
  OtherDevice &operator=(const OtherDevice &) = delete;
  sf_stream_t stream() const { return reinterpret_cast<sf_stream_t>(stream_); }
  sft::DeviceBuffer buffer{SmallProblem::n * SmallProblem::k * 2};

 private:
  int device_ = 0;
  cudaStream_t stream_ = nullptr;
};

}  // namespace

TEST_CASE("sf_gemm runs on every GPU at once from separate threads", "[multi_gpu]") {
  const int devices = device_count();
  constexpr int kRounds = 2;
  StartLine start(devices);
  std::vector<DeviceReport> reports(static_cast<size_t>(devices));
  std::vector<std::thread> threads;
  for (int d = 0; d < devices; ++d)
    threads.emplace_back(run_device, d, kRounds, std::ref(start), std::ref(reports[static_cast<size_t>(d)]));
  for (auto &t : threads) t.join();

  for (int d = 0; d < devices; ++d) {
    const DeviceReport &report = reports[static_cast<size_t>(d)];
    INFO("device " << d);
    REQUIRE(report.failure.empty());
    CHECK(report.compress_matches_host);
    CHECK(report.gemms.size() == kRounds * cases_for_device(d).size());
    for (const auto &checked : report.gemms) {
      INFO(checked.what << ": " << checked.outcome.describe());
      CHECK(!checked.outcome.error.non_finite);
      CHECK(checked.outcome.error.relative() <= checked.outcome.bound);
      CHECK(checked.outcome.padding_untouched);
    }
    // Both rounds of a case give the same bits: nothing order-dependent across threads.
    const size_t per_round = report.gemms.size() / kRounds;
    for (size_t i = 0; i < per_round; ++i)
      CHECK(report.gemms[i].outcome.d == report.gemms[i + per_round].outcome.d);
  }
}

TEST_CASE("a stream or pointer of another device is refused and nothing is written",
          "[multi_gpu][errors]") {
  REQUIRE(device_count() >= 2);
  SFT_CUDA(cudaSetDevice(1));
  OtherDevice other;  // a stream and a buffer of device 1
  SFT_CUDA(cudaSetDevice(0));
  SmallProblem problem;  // on device 0

  SECTION("a stream of device 1 while device 0 is current") {
    CHECK(problem.gemm(problem.b_dev.get(), other.stream()) == SF_ERROR_INVALID_VALUE);
    CHECK(std::string(sf_last_error_message()).find("belongs to device 1") != std::string::npos);
    int64_t violations = -1;
    CHECK(sf_check_2to4(SF_MEMORY_DEVICE, SF_DTYPE_F16, 1, 64, problem.b_dev.get(), 64,
                        &violations, other.stream()) == SF_ERROR_INVALID_VALUE);
    CHECK(violations == -1);
    CHECK(problem.d_untouched());
  }
  SECTION("an operand on device 1 while device 0 is current") {
    CHECK(problem.gemm(other.buffer.get(), nullptr) == SF_ERROR_INVALID_VALUE);
    CHECK(std::string(sf_last_error_message()).find("belongs to device 1") != std::string::npos);
    CHECK(problem.d_untouched());
  }
  SECTION("the same call succeeds with the current device's stream and operands") {
    CHECK(problem.gemm(problem.b_dev.get(), nullptr) == SF_SUCCESS);
    SFT_CUDA(cudaDeviceSynchronize());
    CHECK(!problem.d_untouched());
  }
}
