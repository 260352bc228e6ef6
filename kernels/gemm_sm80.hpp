// The mma.sp GEMM (sm_80 and later): arguments and the launcher that picks the instantiation.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "sparseflow/sparseflow.h"

namespace sparseflow {

// D = alpha * A * B + beta * C + bias with A compressed (format 1). Validated by sf_gemm.
struct GemmArgs {
  int32_t m, n, k;           // A is m x k (dense), B is k x n
  int32_t padded_m;          // rows stored in A's compressed buffer
  const void *values;        // A's kept values [padded_m, k/2]
  const uint32_t *metadata;  // A's metadata, format-1 order
  const void *b;
  int64_t ldb;
  const void *c;  // read only when beta != 0
  int64_t ldc;
  const void *bias;  // NULL or m values of the output dtype
  void *d;
  int64_t ldd;
  float alpha, beta;
};

// Largest n the grid can cover (gridDim.y tiles of 128 columns).
constexpr int64_t kGemmMaxN = int64_t{65535} * 128;

// Enqueues the product on `stream` of device `device`. Throws Error(SF_ERROR_CUDA) on failure.
void gemm_sm80(sf_dtype_t input, sf_dtype_t output, sf_layout_t layout, const GemmArgs &args,
               int device, cudaStream_t stream);

}  // namespace sparseflow
