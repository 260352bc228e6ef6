#include "device_info.hpp"

#include <cuda_runtime.h>

#include <cstdio>

#include "cuda_check.hpp"

namespace sfb {

std::string probe_device(int index) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return std::string("no usable CUDA device: cudaGetDeviceCount failed: ") + cudaGetErrorName(e) + ": " +
           cudaGetErrorString(e);
  }
  if (count == 0) return "no CUDA device found";
  if (index >= count)
    return "--device " + std::to_string(index) + " does not exist (" + std::to_string(count) + " device" +
           (count == 1 ? "" : "s") + " found)";
  int major = 0, minor = 0;
  e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, index);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, index);
  if (e != cudaSuccess) return std::string("cannot query device ") + std::to_string(index) + ": " + cudaGetErrorString(e);
  if (major < 8)
    return "device " + std::to_string(index) + " has compute capability " + std::to_string(major) + "." +
           std::to_string(minor) + "; SparseFlow needs 8.0 or newer";
  return "";
}

DeviceInfo query_device(int index) {
  DeviceInfo d;
  d.index = index;
  cudaDeviceProp p{};
  SFB_CUDA(cudaGetDeviceProperties(&p, index));
  d.name = p.name;
  d.cc_major = p.major;
  d.cc_minor = p.minor;
  d.sm_count = p.multiProcessorCount;
  d.memory_bus_width_bits = p.memoryBusWidth;
  d.total_memory_bytes = p.totalGlobalMem;
  d.l2_bytes = static_cast<uint64_t>(p.l2CacheSize);
  d.persisting_l2_max_bytes = static_cast<uint64_t>(p.persistingL2CacheMaxSize);
  d.shared_memory_per_sm_bytes = p.sharedMemPerMultiprocessor;
  d.ecc_enabled = p.ECCEnabled != 0;

  char uuid[64];
  const unsigned char *u = reinterpret_cast<const unsigned char *>(p.uuid.bytes);
  std::snprintf(uuid, sizeof uuid, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
                u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
  d.uuid = uuid;
  char bus[32] = {0};
  if (cudaDeviceGetPCIBusId(bus, sizeof bus, index) == cudaSuccess) d.pci_bus_id = bus;
  cudaGetLastError();

  // Clock attributes are 0 or unsupported on some platforms: keep 0 then.
  if (cudaDeviceGetAttribute(&d.sm_clock_khz, cudaDevAttrClockRate, index) != cudaSuccess) d.sm_clock_khz = 0;
  if (cudaDeviceGetAttribute(&d.memory_clock_khz, cudaDevAttrMemoryClockRate, index) != cudaSuccess)
    d.memory_clock_khz = 0;
  cudaGetLastError();
  // Double data rate: two transfers per memory clock over the whole bus.
  d.theoretical_bandwidth_bytes_per_s =
      2.0 * static_cast<double>(d.memory_clock_khz) * 1e3 * static_cast<double>(d.memory_bus_width_bits) / 8.0;

  SFB_CUDA(cudaDriverGetVersion(&d.driver_version));
  SFB_CUDA(cudaRuntimeGetVersion(&d.runtime_version));
  int prev = 0;
  SFB_CUDA(cudaGetDevice(&prev));
  SFB_CUDA(cudaSetDevice(index));
  size_t free_b = 0, total_b = 0;
  SFB_CUDA(cudaMemGetInfo(&free_b, &total_b));
  d.free_memory_bytes_at_start = free_b;
  SFB_CUDA(cudaSetDevice(prev));
  return d;
}

}  // namespace sfb
