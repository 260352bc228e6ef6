// Element types and GEMM conventions as sf_bench names them. Pure C++: no CUDA here.
#pragma once

#include <cstddef>
#include <string>

namespace sfb {

// The 16-bit input/output types the benchmark runs (SparseFlow's F32 output is not benchmarked).
enum class DType { F16, BF16 };

// SF_LAYOUT_LINEAR: Y[N, M] = X[N, K] * W[M, K]^T (N = batch).
// SF_LAYOUT_ROW_MAJOR: D[M, N] = A[M, K] * B[K, N].
enum class Layout { Linear, RowMajor };

constexpr std::size_t kElemBytes = 2;  // f16 and bf16

inline const char *dtype_name(DType t) { return t == DType::F16 ? "f16" : "bf16"; }

inline bool parse_dtype(const std::string &s, DType *out) {
  if (s == "f16" || s == "fp16" || s == "half" || s == "float16") {
    *out = DType::F16;
    return true;
  }
  if (s == "bf16" || s == "bfloat16") {
    *out = DType::BF16;
    return true;
  }
  return false;
}

inline const char *layout_name(Layout l) { return l == Layout::Linear ? "linear" : "row_major"; }

inline bool parse_layout(const std::string &s, Layout *out) {
  if (s == "linear") {
    *out = Layout::Linear;
    return true;
  }
  if (s == "row-major" || s == "row_major" || s == "rowmajor") {
    *out = Layout::RowMajor;
    return true;
  }
  return false;
}

// Unit roundoff u of the output type: half an ulp relative to the value (2^-11 for f16, whose
// significand has 11 bits; 2^-8 for bf16, 8 bits).
inline double unit_roundoff(DType t) { return t == DType::F16 ? 0.00048828125 : 0.00390625; }

// Default pass threshold on the normalized error (see host_reference.hpp): 4u. A correct kernel
// with fp32 accumulation lands near u (the rounding of its own output); the reference it is
// compared with may add another u when it is itself rounded (cuBLASLt's output).
inline double default_rtol(DType t) { return 4.0 * unit_roundoff(t); }

}  // namespace sfb
