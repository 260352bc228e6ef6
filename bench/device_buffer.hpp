// Owning device allocation (cudaMalloc: 256-byte aligned), move-only.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "cuda_check.hpp"

namespace sfb {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t bytes) : bytes_(bytes) {
    if (bytes > 0) SFB_CUDA(cudaMalloc(&ptr_, bytes));
  }
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  DeviceBuffer(DeviceBuffer &&o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  DeviceBuffer &operator=(DeviceBuffer &&o) noexcept {
    if (this != &o) {
      reset();
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  void reset() noexcept {
    if (ptr_) cudaFree(ptr_);  // a failure here cannot be reported from a destructor
    ptr_ = nullptr;
    bytes_ = 0;
  }
  void *get() const { return ptr_; }
  std::size_t size() const { return bytes_; }
  template <typename T>
  T *as() const { return static_cast<T *>(ptr_); }

 private:
  void *ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace sfb
