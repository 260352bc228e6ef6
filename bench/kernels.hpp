// The bench's own small device kernels: random inputs, output comparison, element gathering.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "device_buffer.hpp"
#include "dtype.hpp"

namespace sfb {

// dst[0, count) = values uniform in (-1, 1), never exactly zero (before and after rounding to
// the 16-bit type), from a counter-based hash of (seed, index): the same seed gives the same data.
void fill_random(void *dst, DType t, int64_t count, uint64_t seed, cudaStream_t stream);

// dst[e] = src[offsets[e]] for 16-bit elements; offsets is device memory.
void gather_u16(const void *src, const int64_t *offsets, int64_t count, uint16_t *dst, cudaStream_t stream);

struct DeviceCompareResult {
  int64_t elements = 0;
  double max_abs_err = 0;
  double max_rel_err = 0;  // max |out - ref| / max(|ref|, ref_rms)
  double ref_rms = 0;
  int64_t nonfinite = 0;  // elements where out or ref is NaN/Inf
};

// Compares two outputs of the same layout element by element on the GPU. Synchronizes `stream`.
class DeviceComparer {
 public:
  DeviceComparer();
  // rms over the finite elements of ref; *nonfinite_ref counts the others.
  double rms(const void *ref, int64_t count, DType t, cudaStream_t stream, int64_t *nonfinite_ref);
  DeviceCompareResult compare(const void *out, const void *ref, int64_t count, DType t, double ref_rms,
                              cudaStream_t stream);

 private:
  DeviceBuffer scratch_;
};

}  // namespace sfb
