// Reference products in double precision for checking sf_gemm, in GEMM terms
// D[m, n] = alpha * sum_k A[m, k] * B[k, n] + beta * C[m, n] + bias[m].
#pragma once

#include <cstdint>
#include <vector>

#include "sparseflow/sparseflow.h"

namespace sft {

// Operands as floats, whatever their storage type: A dense [m, k] (already pruned), B transposed
// to [n, k] so both inner loops are contiguous. c ([n][m], optional) and bias (optional).
struct ReferenceProblem {
  int64_t m = 0, n = 0, k = 0;
  const float *a = nullptr;   // [m][k]
  const float *bt = nullptr;  // [n][k]
  float alpha = 1.f, beta = 0.f;
  const float *c = nullptr;     // [n][m] when beta != 0
  const float *bias = nullptr;  // [m] or null
};

// D for the output columns listed in `columns`: result[j * m + row] = D[row, columns[j]].
std::vector<double> dense_reference(const ReferenceProblem &p, const std::vector<int64_t> &columns);

// The same product computed straight from a compressed buffer (host memory): decodes every
// group's metadata nibble with the documented layout and multiplies only the kept values.
std::vector<double> sparse_reference(const sf_compressed_header_t &header, const uint8_t *blob,
                                     const ReferenceProblem &p, const std::vector<int64_t> &columns);

// Errors of `out` (laid out like the result above) against `ref`: the largest |out - ref| over
// the largest |ref|, and whether any output is NaN or infinite.
struct ErrorSummary {
  double max_abs_error = 0;
  double max_abs_ref = 0;
  double relative() const { return max_abs_ref > 0 ? max_abs_error / max_abs_ref : max_abs_error; }
  bool non_finite = false;
};
ErrorSummary compare(const std::vector<double> &out, const std::vector<double> &ref);

}  // namespace sft
