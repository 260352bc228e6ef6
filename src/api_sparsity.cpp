// C entry points of pruning, the 2:4 check, compression and decompression: argument checks in
// the order the header documents, then the host or device path.
#include <cuda_runtime_api.h>

#include "../kernels/sparsity_kernels.hpp"
#include "device.hpp"
#include "error.hpp"
#include "format.hpp"
#include "host_sparsity.hpp"
#include "validate.hpp"

namespace sparseflow {
namespace {

// The checks every dense matrix argument gets: present, rows fit the leading dimension, aligned
// to its element size.
void require_dense(const void *pointer, const char *name, int64_t ld, int64_t cols,
                   const char *ld_name, size_t element_size) {
  require_not_null(pointer, name);
  require_leading_dimension(ld, cols, ld_name);
  require_aligned(pointer, element_size, name);
}

// Groups breaking 2:4 in a device matrix. Synchronizes `stream` to read the count back.
int64_t count_violations_on_device(size_t element_size, int64_t rows, int64_t cols,
                                   const void *src, int64_t ld, cudaStream_t stream) {
  unsigned long long *counter = nullptr;
  SF_CHECK_CUDA(cudaMallocAsync(reinterpret_cast<void **>(&counter), sizeof *counter, stream));
  unsigned long long count = 0;
  cudaError_t status = cudaMemsetAsync(counter, 0, sizeof *counter, stream);
  try {
    check_cuda(status, "cudaMemsetAsync(counter)");
    count_violations_device(element_size, rows, cols, src, ld, counter, stream);
    SF_CHECK_CUDA(cudaMemcpyAsync(&count, counter, sizeof count, cudaMemcpyDeviceToHost, stream));
  } catch (...) {
    cudaFreeAsync(counter, stream);
    throw;
  }
  SF_CHECK_CUDA(cudaFreeAsync(counter, stream));
  SF_CHECK_CUDA(cudaStreamSynchronize(stream));
  return static_cast<int64_t>(count);
}

int64_t count_violations(sf_memory_t memory, size_t element_size, int64_t rows, int64_t cols,
                         const void *src, int64_t ld, cudaStream_t stream) {
  if (memory == SF_MEMORY_HOST) return count_violations_host(element_size, rows, cols, src, ld);
  const DeviceInfo device = require_current_device(stream);
  require_device_pointer(src, "src", device.ordinal);
  return count_violations_on_device(element_size, rows, cols, src, ld, stream);
}

}  // namespace
}  // namespace sparseflow

using namespace sparseflow;

extern "C" {

SF_API sf_status_t sf_prune(sf_memory_t memory, sf_dtype_t dtype, int64_t rows, int64_t cols,
                            const void *src, int64_t ld_src, void *dst, int64_t ld_dst,
                            sf_stream_t stream) {
  return guarded("sf_prune", [&] {
    require_memory_kind(memory);
    require_dtype(dtype, /*allow_f32=*/true);
    require_matrix_shape(rows, cols, SF_PRUNE_GRANULARITY);
    const size_t element_size = dtype_size(dtype);
    require_dense(src, "src", ld_src, cols, "ld_src", element_size);
    require_dense(dst, "dst", ld_dst, cols, "ld_dst", element_size);
    if (src == dst) {
      if (ld_src != ld_dst)
        fail(SF_ERROR_INVALID_VALUE, "in-place pruning needs ld_dst == ld_src (%lld != %lld)",
             static_cast<long long>(ld_dst), static_cast<long long>(ld_src));
    } else {
      require_no_overlap(src, matrix_span_bytes(rows, cols, ld_src, element_size), dst,
                         matrix_span_bytes(rows, cols, ld_dst, element_size), "src", "dst");
    }
    if (memory == SF_MEMORY_HOST) {
      prune_host(element_size, rows, cols, src, ld_src, dst, ld_dst);
      return;
    }
    const DeviceInfo device = require_current_device(to_cuda_stream(stream));
    require_device_pointer(src, "src", device.ordinal);
    require_device_pointer(dst, "dst", device.ordinal);
    prune_device(element_size, rows, cols, src, ld_src, dst, ld_dst, to_cuda_stream(stream));
  });
}

SF_API sf_status_t sf_check_2to4(sf_memory_t memory, sf_dtype_t dtype, int64_t rows, int64_t cols,
                                 const void *src, int64_t ld, int64_t *violations,
                                 sf_stream_t stream) {
  return guarded("sf_check_2to4", [&] {
    require_memory_kind(memory);
    require_dtype(dtype, /*allow_f32=*/true);
    require_matrix_shape(rows, cols, SF_PRUNE_GRANULARITY);
    require_not_null(violations, "violations");
    require_dense(src, "src", ld, cols, "ld", dtype_size(dtype));
    *violations = count_violations(memory, dtype_size(dtype), rows, cols, src, ld,
                                   to_cuda_stream(stream));
  });
}

SF_API sf_status_t sf_compressed_size(sf_dtype_t dtype, int64_t rows, int64_t cols,
                                      size_t *bytes) {
  return guarded("sf_compressed_size", [&] {
    require_not_null(bytes, "bytes");
    *bytes = make_header(dtype, rows, cols).total_bytes;
  });
}

SF_API sf_status_t sf_compress(sf_memory_t memory, sf_dtype_t dtype, int64_t rows, int64_t cols,
                               const void *src, int64_t ld, void *dst, size_t dst_bytes,
                               sf_compressed_header_t *header_out, sf_stream_t stream) {
  return guarded("sf_compress", [&] {
    require_memory_kind(memory);
    const sf_compressed_header_t header = make_header(dtype, rows, cols);
    require_dense(src, "src", ld, cols, "ld", 2);
    require_not_null(dst, "dst");
    require_aligned(dst, 16, "dst");
    if (dst_bytes < header.total_bytes)
      fail(SF_ERROR_BUFFER_SIZE, "dst_bytes = %zu, but a %lld x %lld matrix needs %llu", dst_bytes,
           static_cast<long long>(rows), static_cast<long long>(cols),
           static_cast<unsigned long long>(header.total_bytes));
    require_no_overlap(src, matrix_span_bytes(rows, cols, ld, 2), dst, header.total_bytes, "src",
                       "dst");
    if (memory == SF_MEMORY_DEVICE)
      require_device_pointer(dst, "dst", require_current_device(to_cuda_stream(stream)).ordinal);
    const int64_t violations = count_violations(memory, 2, rows, cols, src, ld, to_cuda_stream(stream));
    if (violations != 0)
      fail(SF_ERROR_NOT_2TO4,
           "src is not 2:4 sparse: %lld groups of 4 consecutive elements hold more than 2 "
           "non-zeros (prune it with sf_prune first)",
           static_cast<long long>(violations));
    if (memory == SF_MEMORY_HOST)
      compress_host(header, src, ld, dst);
    else
      compress_device(header, src, ld, dst, to_cuda_stream(stream));
    if (header_out != nullptr) *header_out = header;
  });
}

SF_API sf_status_t sf_compressed_validate(const sf_compressed_header_t *header) {
  return guarded("sf_compressed_validate", [&] {
    require_not_null(header, "header");
    validate_header(*header);
  });
}

SF_API sf_status_t sf_decompress(sf_memory_t memory, const sf_compressed_header_t *header,
                                 const void *src, size_t src_bytes, void *dst, int64_t ld_dst,
                                 sf_stream_t stream) {
  return guarded("sf_decompress", [&] {
    require_memory_kind(memory);
    require_not_null(header, "header");
    validate_header(*header);
    const sf_compressed_header_t h = *header;  // src may be the header: copy before any write
    require_not_null(src, "src");
    require_aligned(src, 16, "src");
    if (src_bytes < h.total_bytes)
      fail(SF_ERROR_BUFFER_SIZE, "src_bytes = %zu, but the header says the buffer holds %llu",
           src_bytes, static_cast<unsigned long long>(h.total_bytes));
    require_dense(dst, "dst", ld_dst, h.cols, "ld_dst", 2);
    require_no_overlap(src, h.total_bytes, dst, matrix_span_bytes(h.rows, h.cols, ld_dst, 2), "src",
                       "dst");
    if (memory == SF_MEMORY_HOST) {
      decompress_host(h, src, dst, ld_dst);
      return;
    }
    const DeviceInfo device = require_current_device(to_cuda_stream(stream));
    require_device_pointer(src, "src", device.ordinal);
    require_device_pointer(dst, "dst", device.ordinal);
    decompress_device(h, src, dst, ld_dst, to_cuda_stream(stream));
  });
}

}  // extern "C"
