// The current CUDA device as the library sees it: whether one exists, its compute capability,
// and checks that pointers belong to it. Properties are cached per device; nothing here is
// shared between devices.
#pragma once

#include <cuda_runtime_api.h>

#include "sparseflow/sparseflow.h"

namespace sparseflow {

struct DeviceInfo {
  int ordinal;
  int cc_major;
  int cc_minor;
  int sm_count;
};

// The current device, after checking that one exists (SF_ERROR_NO_DEVICE), that it is compute
// capability 8.0 or newer (SF_ERROR_UNSUPPORTED_DEVICE) and that `stream` belongs to it
// (SF_ERROR_INVALID_VALUE: a kernel launched on another device's stream would fail with a CUDA
// error that names neither argument).
DeviceInfo require_current_device(cudaStream_t stream);

// Status a device of this compute capability gets (SF_SUCCESS from 8.0 on).
sf_status_t device_support_status(int cc_major, int cc_minor);

// Refuses a pointer that the device cannot read, or that belongs to another device.
void require_device_pointer(const void *pointer, const char *name, int device);

inline cudaStream_t to_cuda_stream(sf_stream_t stream) {
  return reinterpret_cast<cudaStream_t>(stream);
}

// Throws Error(SF_ERROR_CUDA) naming `what` when status is not cudaSuccess.
void check_cuda(cudaError_t status, const char *what);

}  // namespace sparseflow

#define SF_CHECK_CUDA(call) ::sparseflow::check_cuda((call), #call)
