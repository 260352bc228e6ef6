// The Hopper (sm_90a) GEMM: the shared tile pipeline (tile_pipeline.cuh), 4 stages deep, feeding
// wgmma.mma_async.sp. Two warpgroups each compute 64 rows x 128 columns of the 128 x 128 block
// tile: A's kept values go to registers by ldmatrix (per warp the same fragment as mma.sp), B is
// read by the tensor cores straight from shared memory through a K-major 128-byte-swizzle
// descriptor. Linear layout only (B = X is K-major); the row-major layout stays on sm80.
// Included only by the per-dtype instantiation files; the kernel body exists only in sm_90a code.
#pragma once

#include "element.cuh"
#include "epilogue.cuh"
#include "ptx_wgmma.cuh"
#include "tile_pipeline.cuh"

namespace sparseflow::sm90 {

using namespace tiles;
constexpr int kStages = 4;
constexpr int kThreads = 256;  // 2 warpgroups
constexpr int kSmemBytes = smem_bytes(kStages);

template <typename In, typename Out>
__global__ void __launch_bounds__(kThreads) gemm_kernel(GemmArgs args) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  extern __shared__ uint8_t smem_raw[];
  uint8_t *smem = aligned_smem(smem_raw);
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int warpgroup = warp >> 2, warp_in_group = warp & 3;
  const int m0 = blockIdx.x * kBlockM, n0 = blockIdx.y * kBlockN;
  const int K = args.k;
  const int k_tiles = (K + kBlockK - 1) / kBlockK;
  const int row0 = warpgroup * 64 + warp_in_group * 16;  // this warp's 16 rows of the tile

  float acc[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) acc[i] = 0.f;

#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < k_tiles) load_tile<true>(smem + s * kStageBytes, args, m0, n0, s, tid, kThreads);
    ptx::cp_async_commit();
  }
  for (int kt = 0; kt < k_tiles; ++kt) {
    ptx::cp_async_wait<kStages - 2>();
    ptx::fence_proxy_async_shared();  // the tensor cores read B through the async proxy
    __syncthreads();  // tile kt is in shared memory; every wgmma on tile kt - 1 has completed
    const int next = kt + kStages - 1;
    if (next < k_tiles)
      load_tile<true>(smem + (next % kStages) * kStageBytes, args, m0, n0, next, tid, kThreads);
    ptx::cp_async_commit();

    const uint8_t *stage = smem + (kt % kStages) * kStageBytes;
    const bool two_steps = K - kt * kBlockK > 32;  // uniform across the block
    uint32_t a[2][4], e[2];
    load_a_fragment(a[0], stage, row0, 0, lane);
    e[0] = load_metadata(stage, row0 / 16, 0, lane);
    if (two_steps) {
      load_a_fragment(a[1], stage, row0, 1, lane);
      e[1] = load_metadata(stage, row0 / 16, 1, lane);
    }
    const uint32_t b_address = ptx::shared_address(stage + kBOffset);
    ptx::wgmma_fence();
    ptx::wgmma_sp_m64n128k32(typename MmaTag<In>::type{}, acc, a[0],
                             ptx::k_major_sw128_descriptor(b_address), e[0]);
    // The second 32 columns start 64 bytes into each 128-byte row; the swizzle is applied to
    // the absolute address, so the descriptor just moves its start.
    if (two_steps)
      ptx::wgmma_sp_m64n128k32(typename MmaTag<In>::type{}, acc, a[1],
                               ptx::k_major_sw128_descriptor(b_address + 64), e[1]);
    ptx::wgmma_commit();
    ptx::wgmma_wait<0>();
  }

  // Accumulator j*4 + r: row g (+8 for r >= 2), column 8j + 2t + (r & 1) of the warp's slab.
#pragma unroll
  for (int j = 0; j < 16; ++j)
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int m = m0 + row0 + (lane >> 2) + (r >> 1) * 8;
      const int n = n0 + j * 8 + (lane & 3) * 2 + (r & 1);
      if (m < args.m && n < args.n) store_output<Out, true>(args, m, n, acc[j * 4 + r]);
    }
#endif
}

template <typename In, typename Out>
void launch(const GemmArgs &args, int device, cudaStream_t stream) {
  static std::atomic<uint64_t> configured{0};
  auto kernel = gemm_kernel<In, Out>;
  configure_smem(kernel, kSmemBytes, device, configured);
  const dim3 grid((args.m + kBlockM - 1) / kBlockM, (args.n + kBlockN - 1) / kBlockN);
  kernel<<<grid, kThreads, kSmemBytes, stream>>>(args);
  check_cuda(cudaGetLastError(), "sm90 gemm_kernel launch");
}

template <typename In>
void dispatch(sf_dtype_t output, const GemmArgs &args, int device, cudaStream_t stream) {
  switch (output) {
    case SF_DTYPE_F16: return launch<In, __half>(args, device, stream);
    case SF_DTYPE_BF16: return launch<In, __nv_bfloat16>(args, device, stream);
    case SF_DTYPE_F32: return launch<In, float>(args, device, stream);
  }
}

}  // namespace sparseflow::sm90
