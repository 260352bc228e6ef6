// Which kernel runs a product: the one place that maps a problem (input dtype, n) to a kernel
// family. Thresholds and the measurements behind them are in bench/README.md.
//
// SF_GEMM_KERNEL=tiled|decode (read once per process) forces a family, for tests and
// benchmarks; "decode" applies only where it can (n <= kDecodeMaxN), other products stay tiled.
#include <cstdlib>
#include <cstring>

#include "gemm.hpp"

namespace sparseflow {
namespace {

enum class Family { kAuto, kTiled, kDecode };

Family forced_family() {
  static const Family family = [] {
    const char *value = std::getenv("SF_GEMM_KERNEL");
    if (value == nullptr) return Family::kAuto;
    if (std::strcmp(value, "tiled") == 0) return Family::kTiled;
    if (std::strcmp(value, "decode") == 0) return Family::kDecode;
    return Family::kAuto;
  }();
  return family;
}

// Largest n the decode family takes by default (measured crossover, bench/README.md).
constexpr int32_t kDecodeDefaultMaxN = 32;

}  // namespace

void gemm(sf_dtype_t input, sf_dtype_t output, sf_layout_t layout, const GemmArgs &args,
          int device, cudaStream_t stream) {
  const bool bf16 = input == SF_DTYPE_BF16;
  const Family forced = forced_family();
  const bool decode = args.n <= kDecodeMaxN &&
                      (forced == Family::kDecode ||
                       (forced == Family::kAuto && args.n <= kDecodeDefaultMaxN));
  if (decode) {
    bf16 ? gemm_decode_bf16(output, layout, args, stream)
         : gemm_decode_f16(output, layout, args, stream);
    return;
  }
  bf16 ? gemm_sm80_bf16(output, layout, args, device, stream)
       : gemm_sm80_f16(output, layout, args, device, stream);
}

}  // namespace sparseflow
