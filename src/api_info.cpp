// Version, build and status queries, and the thread's last-error message.
#include <string>

#include "error.hpp"
#include "sparseflow/sparseflow.h"

#ifndef SF_GIT_DESCRIPTION
#define SF_GIT_DESCRIPTION "unknown"
#endif
#ifndef SF_CUDA_ARCHS
#define SF_CUDA_ARCHS "unknown"
#endif
#ifndef SF_CUDA_VERSION
#define SF_CUDA_VERSION "unknown"
#endif

#define SF_STRINGIFY2(x) #x
#define SF_STRINGIFY(x) SF_STRINGIFY2(x)
#define SF_VERSION_TEXT                                                                    \
  SF_STRINGIFY(SF_VERSION_MAJOR) "." SF_STRINGIFY(SF_VERSION_MINOR) "." SF_STRINGIFY( \
      SF_VERSION_PATCH)

extern "C" {

SF_API int sf_version_number(void) { return SF_VERSION_NUMBER; }

SF_API const char *sf_version_string(void) { return SF_VERSION_TEXT; }

SF_API const char *sf_build_info(void) {
  // Built once: the format version is a number (1u), not a string literal.
  static const std::string info = "sparseflow " SF_VERSION_TEXT " git " SF_GIT_DESCRIPTION
                                  " cuda " SF_CUDA_VERSION " archs " SF_CUDA_ARCHS " format " +
                                  std::to_string(SF_FORMAT_VERSION);
  return info.c_str();
}

SF_API const char *sf_status_string(sf_status_t status) {
  switch (status) {
    case SF_SUCCESS: return "success";
    case SF_ERROR_NULL_POINTER: return "a required pointer is NULL";
    case SF_ERROR_INVALID_SIZE: return "a size is zero, negative or too large";
    case SF_ERROR_K_GRANULARITY: return "K is not a multiple of the required granularity";
    case SF_ERROR_MISALIGNED: return "a pointer is not aligned as required";
    case SF_ERROR_LEADING_DIMENSION: return "a leading dimension is too small";
    case SF_ERROR_UNSUPPORTED_DTYPE: return "unsupported data type";
    case SF_ERROR_UNSUPPORTED_LAYOUT: return "unsupported layout";
    case SF_ERROR_NO_DEVICE: return "no usable CUDA device";
    case SF_ERROR_UNSUPPORTED_DEVICE: return "the GPU is older than compute capability 8.0";
    case SF_ERROR_NOT_2TO4: return "the matrix is not 2:4 sparse";
    case SF_ERROR_FORMAT_VERSION: return "compressed buffer has an unsupported format version";
    case SF_ERROR_BUFFER_SIZE: return "a buffer has the wrong size";
    case SF_ERROR_INVALID_VALUE: return "invalid argument";
    case SF_ERROR_BAD_HEADER: return "not a valid SparseFlow compressed buffer header";
    case SF_ERROR_CUDA: return "a CUDA runtime call failed";
    case SF_ERROR_OUT_OF_MEMORY: return "out of host memory";
    case SF_ERROR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

SF_API const char *sf_last_error_message(void) { return sparseflow::last_error(); }

}  // extern "C"
