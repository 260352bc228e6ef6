// GPU-side test helpers: a checked CUDA call that throws (usable from any thread, unlike
// REQUIRE), an owning device buffer, and one fully checked sf_gemm run against the reference.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "reference.hpp"
#include "sparseflow/sparseflow.h"

namespace sft {

void cuda_check(cudaError_t status, const char *what);
#define SFT_CUDA(call) ::sft::cuda_check((call), #call)

// Throws std::runtime_error with the library's message unless status is SF_SUCCESS.
void sf_check(sf_status_t status, const char *what);

class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  void *get() const { return pointer_; }
  size_t size() const { return bytes_; }
  void upload(const void *host, size_t bytes, cudaStream_t stream = nullptr);
  std::vector<uint8_t> download(cudaStream_t stream = nullptr) const;

 private:
  void *pointer_ = nullptr;
  size_t bytes_ = 0;
};

struct GemmCase {
  sf_layout_t layout = SF_LAYOUT_LINEAR;
  sf_dtype_t input = SF_DTYPE_F16, output = SF_DTYPE_F16;
  int64_t m = 0, n = 0, k = 0;
  int64_t ldb_extra = 0, ldd_extra = 0;  // padding past the row length
  float alpha = 1.f, beta = 0.f;
  bool bias = false;
  bool c_is_d = false;   // beta != 0: update D in place
  int64_t max_checked_columns = 64;  // output columns compared with the reference (sampled above)
  uint64_t seed = 1;
};

struct GemmOutcome {
  ErrorSummary error;
  double bound = 0;              // largest accepted relative error for this output dtype
  bool padding_untouched = true;  // bytes past each output row kept their poison
  std::vector<uint8_t> d;         // D as the GPU wrote it
  std::string describe() const;
};

// The accepted max |out - ref| / max |ref| for an output dtype: 4 units of its rounding.
double error_bound(sf_dtype_t output);

// A random m x k matrix pruned and compressed on the host, with the floats it holds after
// pruning; built once and reused for several products.
struct PreparedA {
  sf_dtype_t dtype;
  int64_t m, k;
  std::vector<uint8_t> blob;
  sf_compressed_header_t header;
  std::vector<float> values;  // pruned, [m][k]
};
PreparedA prepare_a(sf_dtype_t dtype, int64_t m, int64_t k, uint64_t seed);

// Random B, C and bias, D poisoned with NaN, sf_gemm on `stream`, and the comparison with the
// fp64 reference. c.input, c.m and c.k must match `a`. Throws on any CUDA or API failure.
GemmOutcome run_gemm_case(const GemmCase &c, const PreparedA &a, cudaStream_t stream = nullptr);
// The same with its own A.
GemmOutcome run_gemm_case(const GemmCase &c, cudaStream_t stream = nullptr);

}  // namespace sft
