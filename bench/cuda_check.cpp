#include "cuda_check.hpp"

#include <cstring>

namespace sfb {

namespace {
std::string where(const char *call, const char *file, int line) {
  const char *slash = std::strrchr(file, '/');
  return std::string(call) + " (" + (slash ? slash + 1 : file) + ":" + std::to_string(line) + ")";
}
}  // namespace

void throw_cuda(cudaError_t e, const char *call, const char *file, int line) {
  throw CudaError(where(call, file, line) + ": " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e), e);
}

void throw_sf(sf_status_t s, const char *call, const char *file, int line) {
  const char *msg = sf_last_error_message();
  throw SfError(where(call, file, line) + ": " + sf_status_string(s) + (msg && *msg ? std::string(": ") + msg : ""),
                s);
}

void throw_cublas(cublasStatus_t s, const char *call, const char *file, int line) {
  throw CublasError(where(call, file, line) + ": " + cublasLtGetStatusName(s) + ": " + cublasLtGetStatusString(s));
}

}  // namespace sfb
