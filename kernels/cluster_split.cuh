// What the kernel families that split K over a thread-block cluster share: how well a number of
// blocks fills the resident slots, the launch, and the sum of the blocks' partials in rank order
// (the fixed order that keeps results deterministic).
#pragma once

#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include <utility>

#include "../src/device.hpp"

namespace sparseflow {

// Share of `slots` resident block slots that `blocks` blocks keep busy over their rounds.
inline double slot_fill(int64_t blocks, int64_t slots) {
  const int64_t rounds = (blocks + slots - 1) / slots;
  return static_cast<double>(blocks) / static_cast<double>(rounds * slots);
}

// Configuration of a one-dimensional grid whose consecutive blocks form clusters of `cluster`
// blocks (1: no cluster attribute, so the launch also works before Hopper). With `early_start`
// (compute capability 9.0 and later) the grid may launch while the stream's previous kernel
// finishes (programmatic dependent launch): its kernel must call ptx::wait_previous_grid() before
// it touches global memory. The attributes live in the caller's `attributes`.
inline cudaLaunchConfig_t cluster_launch_config(unsigned blocks, unsigned threads,
                                                size_t smem_bytes, int cluster, bool early_start,
                                                cudaStream_t stream,
                                                cudaLaunchAttribute (&attributes)[2]) {
  cudaLaunchConfig_t config{};
  config.gridDim = dim3(blocks);
  config.blockDim = dim3(threads);
  config.dynamicSmemBytes = smem_bytes;
  config.stream = stream;
  config.attrs = attributes;
  config.numAttrs = 0;
  if (cluster > 1) {
    cudaLaunchAttribute &attribute = attributes[config.numAttrs++];
    attribute = cudaLaunchAttribute{};
    attribute.id = cudaLaunchAttributeClusterDimension;
    attribute.val.clusterDim.x = static_cast<unsigned>(cluster);
    attribute.val.clusterDim.y = attribute.val.clusterDim.z = 1;
  }
  if (early_start) {
    cudaLaunchAttribute &attribute = attributes[config.numAttrs++];
    attribute = cudaLaunchAttribute{};
    attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attribute.val.programmaticStreamSerializationAllowed = 1;
  }
  return config;
}

// Launch of such a grid. Throws Error(SF_ERROR_CUDA) naming `what` when the launch fails.
template <typename... Params, typename... Args>
void launch_in_clusters(void (*kernel)(Params...), unsigned blocks, unsigned threads,
                        size_t smem_bytes, int cluster, bool early_start, cudaStream_t stream,
                        const char *what, Args &&...args) {
  cudaLaunchAttribute attributes[2];
  const cudaLaunchConfig_t config =
      cluster_launch_config(blocks, threads, smem_bytes, cluster, early_start, stream, attributes);
  check_cuda(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...), what);
}

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
__device__ __forceinline__ float add(float a, float b) { return a + b; }
__device__ __forceinline__ float4 add(float4 a, float4 b) {
  return make_float4(a.x + b.x, a.y + b.y, a.z + b.z, a.w + b.w);
}

// Element `index` of `partial` (a shared-memory array at the same place in every block of the
// cluster) summed over the cluster's first `split` blocks in rank order. The loads are
// independent, so they are in flight together wherever `split` is a constant.
template <typename T>
__device__ __forceinline__ T cluster_rank_sum(const T *partial, int index, int split) {
  cooperative_groups::cluster_group cluster = cooperative_groups::this_cluster();
  T sum = cluster.map_shared_rank(partial, 0)[index];
  for (int q = 1; q < split; ++q) sum = add(sum, cluster.map_shared_rank(partial, q)[index]);
  return sum;
}
#endif

}  // namespace sparseflow
