// Which kernel runs a product: the one place that maps a problem (input dtype, n) to a kernel
// family. Thresholds and the measurements behind them are in bench/README.md.
//
// SF_GEMM_KERNEL=sm80|sm90|decode (read once per process) forces a family, for tests and
// benchmarks, where it applies: decode for n <= kDecodeMaxN, sm90 for the linear layout with
// 16-byte aligned rows of X on a compute capability 9.0 device with sm_90a code built in;
// elsewhere the automatic choice stands.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "../src/device.hpp"
#include "gemm.hpp"

namespace sparseflow {
namespace {

enum class Family { kAuto, kSm80, kSm90, kDecode };

Family forced_family() {
  static const Family family = [] {
    const char *value = std::getenv("SF_GEMM_KERNEL");
    if (value == nullptr) return Family::kAuto;
    if (std::strcmp(value, "sm80") == 0) return Family::kSm80;
    if (std::strcmp(value, "sm90") == 0) return Family::kSm90;
    if (std::strcmp(value, "decode") == 0) return Family::kDecode;
    return Family::kAuto;
  }();
  return family;
}

// The decode family's default range (measured crossovers on the H100, f16, 2026-11-24,
// bench/README.md):
// - n <= 8: unless its blocks fill less than kDecodeMinFill of the resident slots and sm90 reads
//   A in row bands (sm90_reads_in_bands): decode 28-177 us against sm90's 30-184 us where it
//   fills 97% of the slots (o, down, gate_up), but sm90 is faster where it fills 81% (qkv: n = 1
//   34.7 against 36.3 us, n = 8 35.3 against 45.3) or 85% (gate, n = 4-8: 93.7-94.3 against
//   96.7-101.5 us);
// - n 9-16: for weights of at most 2^26 elements (decode 32.6-34.1 us on o, 8192 x 8192,
//   against 35.1-35.2 us in sm90's 64-column tiles), unless sm90 reads A in row bands
//   (o at n = 16: 30.2 against decode's 33.1 us); larger ones go to sm90
//   (n = 16: qkv 44.1 against 49.4 us, down 102 against 111 us, gate 100 against 123 us, before
//   the bands);
// - up to 32 wherever the sm90 kernel cannot run at all.
constexpr int32_t kDecodeAlwaysMaxN = 8;
constexpr double kDecodeMinFill = 0.9;
constexpr int32_t kDecodeSmallWeightMaxN = 16;
constexpr int64_t kDecodeSmallWeightElements = int64_t{1} << 26;
constexpr int32_t kDecodeNoSm90MaxN = 32;

template <typename Fill>
bool decode_by_default(const GemmArgs &args, const DeviceInfo &device, bool sm90_fits,
                       Fill decode_fill) {
  if (!sm90_fits) return args.n <= kDecodeNoSm90MaxN;
  const bool bands = sm90_reads_in_bands(args, device.sm_count);
  if (args.n <= kDecodeAlwaysMaxN) return !bands || decode_fill() >= kDecodeMinFill;
  return args.n <= kDecodeSmallWeightMaxN &&
         int64_t{args.m} * args.k <= kDecodeSmallWeightElements && !bands;
}

}  // namespace

#if defined(SF_HAVE_SM90A)
constexpr bool kHaveSm90a = true;
#else
constexpr bool kHaveSm90a = false;
#endif

void gemm(sf_dtype_t input, sf_dtype_t output, sf_layout_t layout, const GemmArgs &args,
          const DeviceInfo &device, cudaStream_t stream) {
  const bool bf16 = input == SF_DTYPE_BF16;
  const Family forced = forced_family();
  const bool decode_fits = args.n <= kDecodeMaxN;
  // The sm90 kernel reads B with the tensor memory accelerator: 16-byte aligned rows.
  const bool b_tma_ready = (reinterpret_cast<uintptr_t>(args.b) & 15) == 0 && args.ldb % 8 == 0;
  // Its grid is one-dimensional: all 128 x 128 tiles must fit in gridDim.x.
  const bool sm90_grid_fits =
      int64_t{(args.m + 127) / 128} * ((args.n + 127) / 128) <= int64_t{INT32_MAX};
  const bool sm90_fits = kHaveSm90a && device.cc_major == 9 && device.cc_minor == 0 &&
                         layout == SF_LAYOUT_LINEAR && b_tma_ready && sm90_grid_fits;
  auto decode_fill = [&] {
    return bf16 ? gemm_decode_fill_bf16(output, layout, args, device)
                : gemm_decode_fill_f16(output, layout, args, device);
  };
  const bool decode = decode_fits && decode_by_default(args, device, sm90_fits, decode_fill);
  Family family = decode ? Family::kDecode : sm90_fits ? Family::kSm90 : Family::kSm80;
  if ((forced == Family::kDecode && decode_fits) || (forced == Family::kSm90 && sm90_fits) ||
      forced == Family::kSm80)
    family = forced;
  switch (family) {
    case Family::kDecode:
      return bf16 ? gemm_decode_bf16(output, layout, args, device, stream)
                  : gemm_decode_f16(output, layout, args, device, stream);
    case Family::kSm90:
      return bf16 ? gemm_sm90_bf16(output, args, device, stream)
                  : gemm_sm90_f16(output, args, device, stream);
    default:
      return bf16 ? gemm_sm80_bf16(output, layout, args, device.ordinal, stream)
                  : gemm_sm80_f16(output, layout, args, device.ordinal, stream);
  }
}

}  // namespace sparseflow
