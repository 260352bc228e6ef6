// Launchers of the device paths of prune, check, compress and decompress (sparsity_kernels.cu).
// Arguments are already validated; each launcher enqueues its kernels on `stream` and throws
// Error(SF_ERROR_CUDA) if a launch fails.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "sparseflow/sparseflow.h"

namespace sparseflow {

void prune_device(size_t element_size, int64_t rows, int64_t cols, const void *src,
                  int64_t ld_src, void *dst, int64_t ld_dst, cudaStream_t stream);
// Adds the number of groups with more than two non-zeros to *counter (device memory).
void count_violations_device(size_t element_size, int64_t rows, int64_t cols, const void *src,
                             int64_t ld, unsigned long long *counter, cudaStream_t stream);
// Writes every byte of dst[0, header.total_bytes).
void compress_device(const sf_compressed_header_t &header, const void *src, int64_t ld, void *dst,
                     cudaStream_t stream);
void decompress_device(const sf_compressed_header_t &header, const void *src, void *dst,
                       int64_t ld_dst, cudaStream_t stream);

}  // namespace sparseflow
