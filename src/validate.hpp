// Argument checks shared by the C entry points. Each throws Error with the status the header
// documents for that mistake and a message naming the argument.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sparseflow/sparseflow.h"

namespace sparseflow {

// Sizes above this are refused: kernels index rows and columns (rounded up to a 128 tile) with
// 32-bit integers.
constexpr int64_t kMaxDimension = (int64_t{1} << 31) - 128;

void require_not_null(const void *pointer, const char *name);
void require_dtype(sf_dtype_t dtype, bool allow_f32);
void require_memory_kind(sf_memory_t memory);
void require_layout(sf_layout_t layout);
// rows, cols >= 1 and <= kMaxDimension; cols a multiple of k_granularity.
void require_matrix_shape(int64_t rows, int64_t cols, int64_t k_granularity);
void require_positive(int64_t value, const char *name);
void require_leading_dimension(int64_t ld, int64_t row_length, const char *name);
void require_aligned(const void *pointer, size_t alignment, const char *name);
// Refuses an out-of-place dst whose byte range overlaps src's.
void require_no_overlap(const void *src, size_t src_bytes, const void *dst, size_t dst_bytes,
                        const char *src_name, const char *dst_name);
// Bytes spanned by a rows x cols matrix with leading dimension ld.
size_t matrix_span_bytes(int64_t rows, int64_t cols, int64_t ld, size_t element_size);

}  // namespace sparseflow
