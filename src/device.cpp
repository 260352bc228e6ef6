#include "device.hpp"

#include <array>
#include <atomic>

#include "error.hpp"

namespace sparseflow {
namespace {

constexpr int kMaxDevices = 64;

// Per-device property cache. A slot is written once (racing writers store the same values).
struct CachedInfo {
  std::atomic<bool> ready{false};
  DeviceInfo info{};
};
std::array<CachedInfo, kMaxDevices> g_devices;

DeviceInfo query(int device) {
  DeviceInfo info{device, 0, 0, 0};
  SF_CHECK_CUDA(cudaDeviceGetAttribute(&info.cc_major, cudaDevAttrComputeCapabilityMajor, device));
  SF_CHECK_CUDA(cudaDeviceGetAttribute(&info.cc_minor, cudaDevAttrComputeCapabilityMinor, device));
  SF_CHECK_CUDA(cudaDeviceGetAttribute(&info.sm_count, cudaDevAttrMultiProcessorCount, device));
  return info;
}

}  // namespace

void check_cuda(cudaError_t status, const char *what) {
  if (status == cudaSuccess) return;
  fail(SF_ERROR_CUDA, "%s failed: %s (%s)", what, cudaGetErrorName(status),
       cudaGetErrorString(status));
}

sf_status_t device_support_status(int cc_major, int /*cc_minor*/) {
  return cc_major >= 8 ? SF_SUCCESS : SF_ERROR_UNSUPPORTED_DEVICE;
}

namespace {

void require_stream_on_device(cudaStream_t stream, int device) {
  // The legacy and per-thread default streams are the current device's by definition.
  if (stream == nullptr || stream == cudaStreamLegacy || stream == cudaStreamPerThread) return;
  // Querying a stream that is being captured into a graph invalidates the capture; such a
  // stream is left to the launch itself (a stream of another device then fails as SF_ERROR_CUDA).
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  const cudaError_t capture_status = cudaStreamIsCapturing(stream, &capture);
  if (capture_status != cudaSuccess) {
    cudaGetLastError();
    fail(SF_ERROR_INVALID_VALUE, "stream (%p) is not a valid CUDA stream (%s)",
         static_cast<void *>(stream), cudaGetErrorString(capture_status));
  }
  if (capture != cudaStreamCaptureStatusNone) return;
  int stream_device = -1;
  const cudaError_t status = cudaStreamGetDevice(stream, &stream_device);
  if (status != cudaSuccess) {
    cudaGetLastError();
    fail(SF_ERROR_INVALID_VALUE, "stream (%p) is not a valid CUDA stream (%s)",
         static_cast<void *>(stream), cudaGetErrorString(status));
  }
  if (stream_device != device)
    fail(SF_ERROR_INVALID_VALUE,
         "stream (%p) belongs to device %d, but the current device is %d (call cudaSetDevice(%d) "
         "first, or pass a stream of device %d)",
         static_cast<void *>(stream), stream_device, device, stream_device, device);
}

}  // namespace

DeviceInfo require_current_device(cudaStream_t stream) {
  int device = -1;
  const cudaError_t status = cudaGetDevice(&device);
  if (status == cudaErrorNoDevice || status == cudaErrorInsufficientDriver ||
      status == cudaErrorNotSupported || status == cudaErrorSystemNotReady ||
      status == cudaErrorInitializationError) {
    cudaGetLastError();  // these are not sticky; keep the runtime's last error clean
    fail(SF_ERROR_NO_DEVICE, "device memory was requested but no usable CUDA device exists (%s)",
         cudaGetErrorString(status));
  }
  check_cuda(status, "cudaGetDevice");
  DeviceInfo info;
  if (device >= 0 && device < kMaxDevices) {
    CachedInfo &slot = g_devices[static_cast<size_t>(device)];
    if (!slot.ready.load(std::memory_order_acquire)) {
      slot.info = query(device);
      slot.ready.store(true, std::memory_order_release);
    }
    info = slot.info;
  } else {
    info = query(device);
  }
  if (device_support_status(info.cc_major, info.cc_minor) != SF_SUCCESS)
    fail(SF_ERROR_UNSUPPORTED_DEVICE,
         "device %d has compute capability %d.%d; SparseFlow needs 8.0 or newer", device,
         info.cc_major, info.cc_minor);
  require_stream_on_device(stream, device);
  return info;
}

void require_device_pointer(const void *pointer, const char *name, int device) {
  cudaPointerAttributes attributes{};
  const cudaError_t status = cudaPointerGetAttributes(&attributes, pointer);
  if (status != cudaSuccess) {
    cudaGetLastError();
    fail(SF_ERROR_INVALID_VALUE, "%s (%p) is not a valid device pointer (%s)", name, pointer,
         cudaGetErrorString(status));
  }
  switch (attributes.type) {
    case cudaMemoryTypeDevice:
    case cudaMemoryTypeManaged:
      if (attributes.type == cudaMemoryTypeDevice && attributes.device != device)
        fail(SF_ERROR_INVALID_VALUE, "%s (%p) belongs to device %d, but the current device is %d",
             name, pointer, attributes.device, device);
      return;
    case cudaMemoryTypeHost:
      // Pinned host memory mapped into the device's address space is readable by kernels.
      if (attributes.devicePointer == pointer) return;
      break;
    default: break;
  }
  fail(SF_ERROR_INVALID_VALUE,
       "%s (%p) is host memory, but SF_MEMORY_DEVICE was given (use SF_MEMORY_HOST, or copy it "
       "to the device)",
       name, pointer);
}

}  // namespace sparseflow
