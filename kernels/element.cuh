// Conversions between fp32 and the element types, and the mapping from element type to the
// tag the mma.sp wrappers take.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "ptx.cuh"

namespace sparseflow {

template <typename T>
__device__ __forceinline__ float to_float(T value);
template <>
__device__ __forceinline__ float to_float<float>(float value) { return value; }
template <>
__device__ __forceinline__ float to_float<__half>(__half value) { return __half2float(value); }
template <>
__device__ __forceinline__ float to_float<__nv_bfloat16>(__nv_bfloat16 value) {
  return __bfloat162float(value);
}

// Round to nearest even.
template <typename T>
__device__ __forceinline__ T from_float(float value);
template <>
__device__ __forceinline__ float from_float<float>(float value) { return value; }
template <>
__device__ __forceinline__ __half from_float<__half>(float value) { return __float2half_rn(value); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float value) {
  return __float2bfloat16_rn(value);
}

// Two 16-bit values in one register, `low` in the low half (the order of an mma fragment's
// pair of columns).
__device__ __forceinline__ uint32_t pack_pair(__half low, __half high) {
  return uint32_t{__half_as_ushort(low)} | uint32_t{__half_as_ushort(high)} << 16;
}
__device__ __forceinline__ uint32_t pack_pair(__nv_bfloat16 low, __nv_bfloat16 high) {
  return uint32_t{__bfloat16_as_ushort(low)} | uint32_t{__bfloat16_as_ushort(high)} << 16;
}

template <typename T>
struct MmaTag;
template <>
struct MmaTag<__half> { using type = ptx::F16; };
template <>
struct MmaTag<__nv_bfloat16> { using type = ptx::BF16; };

}  // namespace sparseflow
