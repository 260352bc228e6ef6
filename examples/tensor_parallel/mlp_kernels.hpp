// The device work of the MLP besides its matrix products: deterministic random operands (so every
// rank can generate its own shard of the same full weight) and the SwiGLU activation.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "sparseflow/sparseflow.h"

namespace sftp {

// A rows x cols block (leading dimension ld) of a conceptual full matrix with full_cols columns,
// whose (row0, col0) element is the block's first: element (i, j) of the full matrix is
// scale * u(seed, i * full_cols + j), u uniform in [-1, 1). dtype is F16 or BF16.
struct MatrixBlock {
  int64_t rows, cols, ld;
  int64_t row0, col0, full_cols;
};
void fill_uniform(void *dst, sf_dtype_t dtype, const MatrixBlock &block, uint64_t seed,
                  float scale, cudaStream_t stream);

// out[b][j] = silu(h[b][j]) * h[b][width + j] for b < batch, j < width; h has 2 * width columns,
// out has width. Computed in fp32, rounded once to dtype.
void swiglu(const void *h, void *out, sf_dtype_t dtype, int64_t batch, int64_t width,
            cudaStream_t stream);

}  // namespace sftp
