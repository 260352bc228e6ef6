// Checked calls for the tensor-parallel example: every CUDA, cuBLAS, NCCL and SparseFlow call goes
// through one of these macros, which throw std::runtime_error naming the call and the library's
// own message (usable from any rank's thread).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <stdexcept>
#include <string>

#include "sparseflow/sparseflow.h"

namespace sftp {

[[noreturn]] inline void throw_failure(const char *call, const std::string &why) {
  throw std::runtime_error(std::string(call) + " failed: " + why);
}

inline void check_cuda(cudaError_t status, const char *call) {
  if (status != cudaSuccess) throw_failure(call, cudaGetErrorString(status));
}
inline void check_cublas(cublasStatus_t status, const char *call) {
  if (status != CUBLAS_STATUS_SUCCESS) throw_failure(call, cublasGetStatusString(status));
}
inline void check_nccl(ncclResult_t status, const char *call) {
  if (status != ncclSuccess) throw_failure(call, ncclGetErrorString(status));
}
inline void check_sf(sf_status_t status, const char *call) {
  if (status != SF_SUCCESS)
    throw_failure(call, std::string(sf_status_string(status)) + ": " + sf_last_error_message());
}

}  // namespace sftp

#define TP_CUDA(call) ::sftp::check_cuda((call), #call)
#define TP_CUBLAS(call) ::sftp::check_cublas((call), #call)
#define TP_NCCL(call) ::sftp::check_nccl((call), #call)
#define TP_SF(call) ::sftp::check_sf((call), #call)
