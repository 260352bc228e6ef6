// Checked calls: every CUDA runtime, cuBLASLt and SparseFlow call of the bench goes through one of
// these macros, which throw on failure with the call, the place and the library's message.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "sparseflow/sparseflow.h"

namespace sfb {

struct CudaError : std::runtime_error {
  CudaError(const std::string &msg, cudaError_t c) : std::runtime_error(msg), code(c) {}
  cudaError_t code;
};

// A SparseFlow call returned an error status.
struct SfError : std::runtime_error {
  SfError(const std::string &msg, sf_status_t s) : std::runtime_error(msg), status(s) {}
  sf_status_t status;
};

struct CublasError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void throw_cuda(cudaError_t e, const char *call, const char *file, int line);
void throw_sf(sf_status_t s, const char *call, const char *file, int line);
void throw_cublas(cublasStatus_t s, const char *call, const char *file, int line);

}  // namespace sfb

#define SFB_CUDA(call)                                                      \
  do {                                                                      \
    cudaError_t sfb_e_ = (call);                                            \
    if (sfb_e_ != cudaSuccess) ::sfb::throw_cuda(sfb_e_, #call, __FILE__, __LINE__); \
  } while (0)

#define SFB_SF(call)                                                        \
  do {                                                                      \
    sf_status_t sfb_s_ = (call);                                            \
    if (sfb_s_ != SF_SUCCESS) ::sfb::throw_sf(sfb_s_, #call, __FILE__, __LINE__); \
  } while (0)

#define SFB_CUBLAS(call)                                                    \
  do {                                                                      \
    cublasStatus_t sfb_b_ = (call);                                         \
    if (sfb_b_ != CUBLAS_STATUS_SUCCESS) ::sfb::throw_cublas(sfb_b_, #call, __FILE__, __LINE__); \
  } while (0)
