// Launch of a one-dimensional grid whose consecutive blocks form clusters of `cluster` blocks
// (1: no cluster attribute, so the launch also works before Hopper). Used by the kernel
// families that split K over a cluster.
#pragma once

#include <cuda_runtime.h>

#include <utility>

#include "../src/device.hpp"

namespace sparseflow {

// Throws Error(SF_ERROR_CUDA) naming `what` when the launch fails.
template <typename... Params, typename... Args>
void launch_in_clusters(void (*kernel)(Params...), unsigned blocks, unsigned threads,
                        size_t smem_bytes, int cluster, cudaStream_t stream, const char *what,
                        Args &&...args) {
  cudaLaunchConfig_t config{};
  config.gridDim = dim3(blocks);
  config.blockDim = dim3(threads);
  config.dynamicSmemBytes = smem_bytes;
  config.stream = stream;
  cudaLaunchAttribute attribute{};
  attribute.id = cudaLaunchAttributeClusterDimension;
  attribute.val.clusterDim.x = static_cast<unsigned>(cluster);
  attribute.val.clusterDim.y = attribute.val.clusterDim.z = 1;
  if (cluster > 1) {
    config.attrs = &attribute;
    config.numAttrs = 1;
  }
  check_cuda(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...), what);
}

}  // namespace sparseflow
