// SparseFlow as the bench calls it: prune, compress, gemm through the public C API only.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "device_buffer.hpp"
#include "dtype.hpp"
#include "sparseflow/sparseflow.h"

namespace sfb {

inline sf_dtype_t to_sf(DType t) { return t == DType::F16 ? SF_DTYPE_F16 : SF_DTYPE_BF16; }
inline sf_layout_t to_sf(Layout l) { return l == Layout::Linear ? SF_LAYOUT_LINEAR : SF_LAYOUT_ROW_MAJOR; }

// 2:4 magnitude pruning of w [m, k] (device, row-major, in place) on `stream`.
void sf_prune_device(void *w, DType t, int64_t m, int64_t k, cudaStream_t stream);

struct SfWeight {
  DeviceBuffer buffer;            // sf_compressed_size bytes
  sf_compressed_header_t header{};  // host copy, as sf_gemm wants it
};

// Compresses the pruned w [m, k] (device) with sf_compress and checks the header it returns.
SfWeight sf_compress_device(const void *w, DType t, int64_t m, int64_t k, cudaStream_t stream);

// One sf_gemm call: linear Y[n, M] = X[n, K] * A^T, or row-major D[M, n] = A * B[K, n]; alpha 1,
// beta 0, no bias, output dtype = input dtype, tightly packed operands.
void sf_gemm_call(const sf_compressed_header_t &h, const void *a, size_t a_bytes, Layout layout, int64_t n,
                  const void *x, void *y, DType t, cudaStream_t stream);

}  // namespace sfb
