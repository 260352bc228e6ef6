#include "validate.hpp"

#include <cstdint>

#include "error.hpp"

namespace sparseflow {

void require_not_null(const void *pointer, const char *name) {
  if (pointer == nullptr) fail(SF_ERROR_NULL_POINTER, "%s is NULL", name);
}

void require_dtype(sf_dtype_t dtype, bool allow_f32) {
  if (dtype == SF_DTYPE_F16 || dtype == SF_DTYPE_BF16) return;
  if (dtype == SF_DTYPE_F32 && allow_f32) return;
  if (dtype == SF_DTYPE_F32)
    fail(SF_ERROR_UNSUPPORTED_DTYPE, "dtype SF_DTYPE_F32 is not supported here (F16 or BF16 only)");
  fail(SF_ERROR_UNSUPPORTED_DTYPE, "unknown dtype %d", static_cast<int>(dtype));
}

void require_memory_kind(sf_memory_t memory) {
  if (memory != SF_MEMORY_HOST && memory != SF_MEMORY_DEVICE)
    fail(SF_ERROR_INVALID_VALUE, "memory must be SF_MEMORY_HOST or SF_MEMORY_DEVICE, got %d",
         static_cast<int>(memory));
}

void require_layout(sf_layout_t layout) {
  if (layout != SF_LAYOUT_LINEAR && layout != SF_LAYOUT_ROW_MAJOR)
    fail(SF_ERROR_UNSUPPORTED_LAYOUT,
         "layout must be SF_LAYOUT_LINEAR or SF_LAYOUT_ROW_MAJOR, got %d",
         static_cast<int>(layout));
}

void require_positive(int64_t value, const char *name) {
  if (value < 1) fail(SF_ERROR_INVALID_SIZE, "%s must be >= 1, got %lld", name,
                      static_cast<long long>(value));
  if (value > kMaxDimension)
    fail(SF_ERROR_INVALID_SIZE, "%s = %lld exceeds the largest supported size %lld", name,
         static_cast<long long>(value), static_cast<long long>(kMaxDimension));
}

void require_matrix_shape(int64_t rows, int64_t cols, int64_t k_granularity) {
  require_positive(rows, "rows");
  require_positive(cols, "cols (K)");
  if (cols % k_granularity != 0)
    fail(SF_ERROR_K_GRANULARITY, "cols (K) = %lld is not a multiple of %lld",
         static_cast<long long>(cols), static_cast<long long>(k_granularity));
}

void require_leading_dimension(int64_t ld, int64_t row_length, const char *name) {
  if (ld < row_length)
    fail(SF_ERROR_LEADING_DIMENSION, "%s = %lld is smaller than the row length %lld", name,
         static_cast<long long>(ld), static_cast<long long>(row_length));
  if (ld > (int64_t{1} << 40))
    fail(SF_ERROR_LEADING_DIMENSION, "%s = %lld is implausibly large", name,
         static_cast<long long>(ld));
}

void require_aligned(const void *pointer, size_t alignment, const char *name) {
  if (reinterpret_cast<uintptr_t>(pointer) % alignment != 0)
    fail(SF_ERROR_MISALIGNED, "%s (%p) is not %zu-byte aligned", name, pointer, alignment);
}

void require_no_overlap(const void *src, size_t src_bytes, const void *dst, size_t dst_bytes,
                        const char *src_name, const char *dst_name) {
  const auto s = reinterpret_cast<uintptr_t>(src);
  const auto d = reinterpret_cast<uintptr_t>(dst);
  if (s < d + dst_bytes && d < s + src_bytes)
    fail(SF_ERROR_INVALID_VALUE, "%s and %s overlap without being the same buffer", src_name,
         dst_name);
}

size_t matrix_span_bytes(int64_t rows, int64_t cols, int64_t ld, size_t element_size) {
  return (static_cast<size_t>(rows - 1) * static_cast<size_t>(ld) + static_cast<size_t>(cols)) *
         element_size;
}

}  // namespace sparseflow
