// Products queued back to back on one stream, each reading the previous one's output and
// overwriting what the one before it read, as the layers of a model do. On Hopper the kernels
// start while the previous one finishes (programmatic dependent launch); each must still see its
// input complete and must not write over an input still being read. The chain run without any
// host synchronisation has to give the same bits as the same calls with the stream drained
// between them.
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "catch_compat.hpp"
#include "gpu_support.hpp"
#include "support.hpp"
#include "sparseflow/sparseflow.h"

namespace {

struct Weight {
  sft::PreparedA host;
  sft::DeviceBuffer device;
  explicit Weight(sft::PreparedA a) : host(std::move(a)), device(host.blob.size()) {
    device.upload(host.blob.data(), host.blob.size());
  }
};

// X [n, k] -> Y = X W1^T [n, h] -> X = Y W2^T -> Y = X W1^T ...: `steps` calls, alternately
// into y and x; alpha keeps the values near 1. With `drain`, the stream is synchronised after
// every call.
void run_chain(const Weight &w1, const Weight &w2, int64_t n, int steps, bool drain,
               const std::vector<uint16_t> &x0, sft::DeviceBuffer &x, sft::DeviceBuffer &y,
               cudaStream_t stream) {
  x.upload(x0.data(), x0.size() * 2, stream);
  const std::vector<uint8_t> poison(y.size(), 0xff);  // NaN: a read before the write shows
  y.upload(poison.data(), poison.size(), stream);
  const int64_t h = w1.host.m, k = w1.host.k;
  auto s = reinterpret_cast<sf_stream_t>(stream);
  for (int step = 0; step < steps; ++step) {
    const bool to_y = step % 2 == 0;
    const Weight &w = to_y ? w1 : w2;
    const float alpha = 1.f / std::sqrt(static_cast<float>(w.host.k) / 8);
    sft::sf_check(sf_gemm(SF_LAYOUT_LINEAR, n, alpha, &w.host.header, w.device.get(),
                          w.host.blob.size(), to_y ? x.get() : y.get(), to_y ? k : h, 0.f,
                          nullptr, 0, nullptr, SF_DTYPE_F16, to_y ? y.get() : x.get(),
                          to_y ? h : k, s),
                  "sf_gemm");
    if (drain) SFT_CUDA(cudaStreamSynchronize(stream));
  }
  SFT_CUDA(cudaStreamSynchronize(stream));
}

bool all_finite_f16(const std::vector<uint8_t> &bytes) {
  for (size_t i = 0; i + 1 < bytes.size(); i += 2)
    if ((bytes[i + 1] & 0x7c) == 0x7c) return false;  // exponent all ones: Inf or NaN
  return true;
}

}  // namespace

TEST_CASE("back-to-back products on one stream see each other's results", "[gpu][gemm]") {
  // At batch 600 W1's 144 tiles of 128 x 256 make a whole wave of 132 and a last wave split in
  // two: two launches of one call, the second queued behind the first.
  const int64_t h = 6144, k = 2048;
  const Weight w1(sft::prepare_a(SF_DTYPE_F16, h, k, 41));
  const Weight w2(sft::prepare_a(SF_DTYPE_F16, k, h, 42));
  cudaStream_t stream = nullptr;
  SFT_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  // Batches for each family: the decode kernel, the 64-column, 128-column and paired wide tiles.
  for (const int64_t n : {1, 16, 64, 200, 600}) {
    INFO("n = " << n);
    const auto x0 = sft::random_matrix(SF_DTYPE_F16, n, k, k, 50 + static_cast<uint64_t>(n));
    sft::DeviceBuffer x(static_cast<size_t>(n * k * 2)), y(static_cast<size_t>(n * h * 2));
    constexpr int kSteps = 6;
    run_chain(w1, w2, n, kSteps, false, x0, x, y, stream);
    const auto x_queued = x.download(), y_queued = y.download();
    run_chain(w1, w2, n, kSteps, true, x0, x, y, stream);
    const auto x_drained = x.download(), y_drained = y.download();
    REQUIRE(all_finite_f16(x_drained));
    REQUIRE(all_finite_f16(y_drained));
    CHECK(x_queued == x_drained);
    CHECK(y_queued == y_drained);
  }
  cudaStreamDestroy(stream);
}
