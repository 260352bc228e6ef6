// The CPU paths of prune, check, compress and decompress. Arguments are already validated by the
// C entry points; these only compute. Results are bit-identical to the GPU kernels because both
// use kernels/sparsity_rules.hpp.
#pragma once

#include <cstdint>

#include "sparseflow/sparseflow.h"

namespace sparseflow {

// element_size 2 (f16, bf16) or 4 (f32): pruning looks only at bit patterns.
void prune_host(size_t element_size, int64_t rows, int64_t cols, const void *src, int64_t ld_src,
                void *dst, int64_t ld_dst);
int64_t count_violations_host(size_t element_size, int64_t rows, int64_t cols, const void *src,
                              int64_t ld);
// Writes every byte of dst[0, header.total_bytes).
void compress_host(const sf_compressed_header_t &header, const void *src, int64_t ld, void *dst);
void decompress_host(const sf_compressed_header_t &header, const void *src, void *dst,
                     int64_t ld_dst);

}  // namespace sparseflow
