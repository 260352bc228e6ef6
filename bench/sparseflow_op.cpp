#include "sparseflow_op.hpp"

#include <stdexcept>
#include <string>

#include "cuda_check.hpp"

namespace sfb {

void sf_prune_device(void *w, DType t, int64_t m, int64_t k, cudaStream_t stream) {
  SFB_SF(sf_prune(SF_MEMORY_DEVICE, to_sf(t), m, k, w, k, w, k, stream));
}

SfWeight sf_compress_device(const void *w, DType t, int64_t m, int64_t k, cudaStream_t stream) {
  SfWeight sw;
  size_t bytes = 0;
  SFB_SF(sf_compressed_size(to_sf(t), m, k, &bytes));
  sw.buffer = DeviceBuffer(bytes);
  SFB_SF(sf_compress(SF_MEMORY_DEVICE, to_sf(t), m, k, w, k, sw.buffer.get(), bytes, &sw.header, stream));
  SFB_SF(sf_compressed_validate(&sw.header));
  if (sw.header.rows != m || sw.header.cols != k || sw.header.total_bytes > bytes)
    throw std::runtime_error("sf_compress returned a header for " + std::to_string(sw.header.rows) + "x" +
                             std::to_string(sw.header.cols) + " (" + std::to_string(sw.header.total_bytes) +
                             " bytes), expected " + std::to_string(m) + "x" + std::to_string(k) + " in " +
                             std::to_string(bytes) + " bytes");
  return sw;
}

void sf_gemm_call(const sf_compressed_header_t &h, const void *a, size_t a_bytes, Layout layout, int64_t n,
                  const void *x, void *y, DType t, cudaStream_t stream) {
  const int64_t m = h.rows, k = h.cols;
  const int64_t ldb = (layout == Layout::Linear) ? k : n;
  const int64_t ldd = (layout == Layout::Linear) ? m : n;
  SFB_SF(sf_gemm(to_sf(layout), n, 1.0f, &h, a, a_bytes, x, ldb, 0.0f, nullptr, ldd, nullptr, to_sf(t), y, ldd,
                 stream));
}

}  // namespace sfb
