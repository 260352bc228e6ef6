// The small-n (decode) GEMM: for n <= 64 the product is bound by reading A, so this family
// streams A straight from global memory into mma.sp fragments, with many loads in flight and
// enough blocks to fill every SM even when M is small.
//
// A block owns kRowBlocks blocks of 16 rows of A and a range of K (the whole K, or 1/split of it
// when `split` blocks form a cluster); its 8 warps split that range into chunks of kUnroll
// consecutive 32-column steps, dealt round-robin (warp w takes chunks w, w+8, ...), so at any time
// the block reads a contiguous stretch of every row. Each warp issues all loads of a chunk before
// its mma.sp, then the 8 partial sums are added through shared memory in a fixed order, and on
// Hopper the cluster's blocks add their sums through distributed shared memory, again in a fixed
// order: results are deterministic (no atomics) for a given device.
//
// Why clusters: a block's row group is small work (16-64 rows), and M = 8192-10240 gives 128-640
// of them, which quantize badly over 132 SMs (320 blocks on 264 slots is two rounds at 61%);
// splitting K across a cluster multiplies the blocks without a workspace or a second kernel.
// Included only by the per-dtype instantiation files.
#pragma once

#include <cooperative_groups.h>

#include <array>
#include <atomic>

#include "../src/device.hpp"
#include "epilogue.cuh"
#include "gemm.hpp"
#include "ptx.cuh"
#include "sparsity_rules.hpp"

namespace sparseflow::decode {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;

// Tile configuration for up to 8 * kNTiles columns of B. At n 9-16 four row blocks keep the loads
// of B (from L2) at half those of A; past that the registers (128 a thread) do not allow it.
template <int kNTiles>
struct Config {
  static constexpr int kRowBlocks = kNTiles == 2 ? 4 : kNTiles <= 4 ? 2 : 1;  // 16-row blocks
  static constexpr int kUnroll = kNTiles == 1 ? 4 : kNTiles <= 4 ? 2 : 1;     // steps per chunk
};

// Largest number of blocks a cluster splits K into (portable cluster sizes go to 8).
constexpr int kMaxSplit = 8;

// Two consecutive 16-bit elements as one register (the lower index in the low half).
__device__ __forceinline__ uint32_t pack2(uint16_t lo, uint16_t hi) {
  return uint32_t{lo} | (uint32_t{hi} << 16);
}

// B fragment of one n8 x k32 step: lane (g, t) holds B[k0 + 2t + 8j + {0, 1}][n0 + g], j = 0..3.
template <bool kLinear>
__device__ __forceinline__ void load_b(uint32_t (&frag)[4], const GemmArgs &args, int n, int k,
                                       bool b_words_aligned) {
  const auto *b = static_cast<const uint16_t *>(args.b);
  if (n >= args.n) {
    frag[0] = frag[1] = frag[2] = frag[3] = 0;
    return;
  }
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const int kk = k + 8 * j;
    if constexpr (kLinear) {
      const uint16_t *p = b + (size_t)n * args.ldb + kk;
      frag[j] = b_words_aligned ? __ldg(reinterpret_cast<const uint32_t *>(p))
                                : pack2(__ldg(p), __ldg(p + 1));
    } else {
      const uint16_t *p = b + (size_t)kk * args.ldb + n;
      frag[j] = pack2(__ldg(p), __ldg(p + args.ldb));
    }
  }
}

// `split` consecutive blocks (a cluster when split > 1) share one row group; block rank q of
// them takes the K steps [q * steps_per_split, (q + 1) * steps_per_split).
template <typename In, typename Out, bool kLinear, int kNTiles>
// Two resident blocks per SM (128 registers a thread) keep 16 warps of loads in flight.
__global__ void __launch_bounds__(kThreads, 2)
    decode_kernel(GemmArgs args, bool b_words_aligned, int split, int steps_per_split) {
  using C = Config<kNTiles>;
  constexpr int R = C::kRowBlocks, U = C::kUnroll;
  constexpr int kFragments = R * kNTiles * 4;
  __shared__ float partial[kWarps][kFragments][32];
  __shared__ float block_sum[kFragments * 32];  // this block's sum over its warps, for the cluster

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, t = lane & 3;
  const int rank = blockIdx.x % split;
  const int row_block0 = (blockIdx.x / split) * R;  // first 16-row block of this CTA
  const int step_begin = rank * steps_per_split;
  const int step_end = min(args.k / 32, step_begin + steps_per_split);
  const int k_steps = args.k / 32;
  const int kc = args.k / 2;  // kept values per row
  const auto *values = static_cast<const uint16_t *>(args.values);
  const int row_blocks = args.padded_m / 16;

  float acc[R][kNTiles][4];
#pragma unroll
  for (int r = 0; r < R; ++r)
#pragma unroll
    for (int j = 0; j < kNTiles; ++j)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[r][j][i] = 0.f;

  for (int s0 = step_begin + warp * U; s0 < step_end; s0 += kWarps * U) {
    uint32_t a[U][R][4], e[U][R], bf[U][kNTiles][4];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int s = s0 + u;
      if (s >= step_end) continue;
#pragma unroll
      for (int r = 0; r < R; ++r) {
        const int rb = row_block0 + r;
        if (rb < row_blocks) {
          // Kept values: rows g and g + 8, halves 2t, 2t+1 and 2t+8, 2t+9 of the step.
          const uint16_t *row = values + (size_t)(rb * 16 + g) * kc + s * 16 + 2 * t;
          a[u][r][0] = __ldg(reinterpret_cast<const uint32_t *>(row));
          a[u][r][1] = __ldg(reinterpret_cast<const uint32_t *>(row + 8 * (size_t)kc));
          a[u][r][2] = __ldg(reinterpret_cast<const uint32_t *>(row + 8));
          a[u][r][3] = __ldg(reinterpret_cast<const uint32_t *>(row + 8 * (size_t)kc + 8));
          e[u][r] = __ldg(args.metadata + ((size_t)rb * k_steps + s) * 16 + 2 * g + (t & 1));
        } else {
          a[u][r][0] = a[u][r][1] = a[u][r][2] = a[u][r][3] = 0;
          e[u][r] = kPaddingMetadataWord;
        }
      }
#pragma unroll
      for (int j = 0; j < kNTiles; ++j)
        load_b<kLinear>(bf[u][j], args, j * 8 + g, s * 32 + 2 * t, b_words_aligned);
    }
#pragma unroll
    for (int u = 0; u < U; ++u) {
      if (s0 + u >= step_end) continue;
#pragma unroll
      for (int r = 0; r < R; ++r)
#pragma unroll
        for (int j = 0; j < kNTiles; ++j)
          ptx::mma_sp_m16n8k32(typename MmaTag<In>::type{}, acc[r][j], a[u][r], bf[u][j], e[u][r]);
    }
  }

#pragma unroll
  for (int r = 0; r < R; ++r)
#pragma unroll
    for (int j = 0; j < kNTiles; ++j)
#pragma unroll
      for (int i = 0; i < 4; ++i) partial[warp][(r * kNTiles + j) * 4 + i][lane] = acc[r][j][i];
  __syncthreads();

  // Element index: ((r * kNTiles + j) * 4 + i) * 32 + lane, summed over warps 0..7 in order.
  auto warp_sum = [&](int idx) {
    float sum = 0.f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) sum += partial[w][idx >> 5][idx & 31];
    return sum;
  };
  auto store = [&](int idx, float sum) {
    const int l = idx & 31, frag = idx >> 5;
    const int i = frag & 3, j = (frag >> 2) % kNTiles, r = frag / (4 * kNTiles);
    const int m = (row_block0 + r) * 16 + (l >> 2) + (i >> 1) * 8;
    const int n = j * 8 + (l & 3) * 2 + (i & 1);
    if (m < args.m && n < args.n) store_output<Out, kLinear>(args, m, n, sum);
  };
  if (split == 1) {
    for (int idx = threadIdx.x; idx < kFragments * 32; idx += kThreads) store(idx, warp_sum(idx));
    return;
  }
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  // Each block publishes its sum; block q then finishes the elements idx = q (mod split), adding
  // the blocks' sums in rank order; the second barrier keeps every block's shared memory alive
  // until the others have read it.
  namespace cg = cooperative_groups;
  cg::cluster_group cluster = cg::this_cluster();
  for (int idx = threadIdx.x; idx < kFragments * 32; idx += kThreads) block_sum[idx] = warp_sum(idx);
  cluster.sync();
  for (int idx = rank * kThreads + threadIdx.x; idx < kFragments * 32; idx += split * kThreads) {
    float sum = 0.f;
    for (int q = 0; q < split; ++q) sum += cluster.map_shared_rank(block_sum, q)[idx];
    store(idx, sum);
  }
  cluster.sync();
#else
  __trap();  // clusters exist from compute capability 9.0; the host launches split > 1 only there
#endif
}

// Blocks per SM the kernel can keep resident, queried once per device.
template <typename Kernel>
int resident_blocks(Kernel kernel, int device) {
  static std::array<std::atomic<int>, 64> cache{};
  std::atomic<int> *slot = device < 64 ? &cache[static_cast<size_t>(device)] : nullptr;
  if (slot != nullptr && slot->load(std::memory_order_acquire) > 0) return slot->load();
  int blocks = 0;
  check_cuda(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, kThreads, 0),
             "cudaOccupancyMaxActiveBlocksPerMultiprocessor(decode_kernel)");
  blocks = blocks > 0 ? blocks : 1;
  if (slot != nullptr) slot->store(blocks, std::memory_order_release);
  return blocks;
}

// How many blocks share a row group: the split (1, 2, 4 or 8) whose blocks fill the resident
// slots best (work / (rounds x slots)), keeping at least kMinChunksPerWarp chunks per warp (fewer
// leave the load latency of a block's start and end exposed: measured on the H100, qkv at batch
// 16 took 71 us split 8 ways and 62 us split 4 ways); a larger split must fill 5% more.
// Only Hopper and newer have clusters.
constexpr int kMinChunksPerWarp = 4;
inline int choose_split(const DeviceInfo &device, int row_groups, int k_steps, int unroll, int per_sm) {
  if (device.cc_major < 9) return 1;
  const int64_t slots = int64_t{device.sm_count} * per_sm;
  auto fill = [&](int split) {
    const int64_t blocks = int64_t{row_groups} * split;
    const int64_t rounds = (blocks + slots - 1) / slots;
    return static_cast<double>(blocks) / static_cast<double>(rounds * slots);
  };
  int best = 1;
  for (int split = 2; split <= kMaxSplit; split *= 2)
    if (k_steps >= split * kWarps * unroll * kMinChunksPerWarp && fill(split) > 1.05 * fill(best))
      best = split;
  return best;
}

template <typename In, typename Out, bool kLinear, int kNTiles>
void launch(const GemmArgs &args, const DeviceInfo &device, cudaStream_t stream) {
  using C = Config<kNTiles>;
  constexpr int rows_per_block = 16 * C::kRowBlocks;
  const auto kernel = decode_kernel<In, Out, kLinear, kNTiles>;
  const int row_groups = (args.padded_m + rows_per_block - 1) / rows_per_block;
  const int k_steps = args.k / 32;
  const int split = choose_split(device, row_groups, k_steps, C::kUnroll,
                                 resident_blocks(kernel, device.ordinal));
  // Whole chunks per block, so that the warps' chunks never straddle two blocks.
  const int chunks = (k_steps + C::kUnroll - 1) / C::kUnroll;
  const int steps_per_split = (chunks + split - 1) / split * C::kUnroll;
  // Word loads of B need every row start 4-byte aligned.
  const bool b_words_aligned =
      (reinterpret_cast<uintptr_t>(args.b) & 3) == 0 && (args.ldb & 1) == 0;

  cudaLaunchConfig_t config{};
  config.gridDim = dim3(static_cast<unsigned>(row_groups) * static_cast<unsigned>(split));
  config.blockDim = dim3(kThreads);
  config.stream = stream;
  cudaLaunchAttribute cluster{};
  cluster.id = cudaLaunchAttributeClusterDimension;
  cluster.val.clusterDim.x = static_cast<unsigned>(split);
  cluster.val.clusterDim.y = cluster.val.clusterDim.z = 1;
  if (split > 1) {
    config.attrs = &cluster;
    config.numAttrs = 1;
  }
  check_cuda(cudaLaunchKernelEx(&config, kernel, args, b_words_aligned, split, steps_per_split),
             "decode_kernel launch");
}

template <typename In, typename Out, bool kLinear>
void dispatch_n(const GemmArgs &args, const DeviceInfo &device, cudaStream_t stream) {
  if (args.n <= 8) return launch<In, Out, kLinear, 1>(args, device, stream);
  if (args.n <= 16) return launch<In, Out, kLinear, 2>(args, device, stream);
  if (args.n <= 32) return launch<In, Out, kLinear, 4>(args, device, stream);
  launch<In, Out, kLinear, 8>(args, device, stream);
}

// The output-dtype and layout switch for one input type.
template <typename In>
void dispatch(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args, const DeviceInfo &device,
              cudaStream_t stream) {
  const bool linear = layout == SF_LAYOUT_LINEAR;
  switch (output) {
    case SF_DTYPE_F16:
      return linear ? dispatch_n<In, __half, true>(args, device, stream)
                    : dispatch_n<In, __half, false>(args, device, stream);
    case SF_DTYPE_BF16:
      return linear ? dispatch_n<In, __nv_bfloat16, true>(args, device, stream)
                    : dispatch_n<In, __nv_bfloat16, false>(args, device, stream);
    case SF_DTYPE_F32:
      return linear ? dispatch_n<In, float, true>(args, device, stream)
                    : dispatch_n<In, float, false>(args, device, stream);
  }
}

}  // namespace sparseflow::decode
