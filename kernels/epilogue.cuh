// The output step shared by every GEMM kernel: d = alpha * acc + beta * c + bias, in this order,
// written in the layout's place for element (m, n) of D.
#pragma once

#include "element.cuh"
#include "gemm.hpp"

namespace sparseflow {

template <typename Out, bool kLinear>
__device__ __forceinline__ void store_output(const GemmArgs &args, int m, int n, float acc) {
  float v = args.alpha * acc;
  if (args.beta != 0.f) {
    const size_t c_offset = kLinear ? (size_t)n * args.ldc + m : (size_t)m * args.ldc + n;
    v += args.beta * to_float(static_cast<const Out *>(args.c)[c_offset]);
  }
  if (args.bias != nullptr) v += to_float(static_cast<const Out *>(args.bias)[m]);
  const size_t d_offset = kLinear ? (size_t)n * args.ldd + m : (size_t)m * args.ldd + n;
  static_cast<Out *>(args.d)[d_offset] = from_float<Out>(v);
}

}  // namespace sparseflow
