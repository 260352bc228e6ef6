// What the report says about the GPU, read from the CUDA runtime.
#pragma once

#include <string>

#include "report.hpp"

namespace sfb {

// "" when device `index` exists and can run SparseFlow (compute capability >= 8.0), else why not
// (no driver, no device, index out of range, too old). Runs no kernel.
std::string probe_device(int index);

// Properties of device `index` (which must have passed probe_device). Throws CudaError.
DeviceInfo query_device(int index);

}  // namespace sfb
