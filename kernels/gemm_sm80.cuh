// The mma.sp GEMM for compute capability 8.0 and later (also correct, if not fastest, on 9.0).
//
// Block tile 128 (M) x 128 (N) x 64 (dense K) from the shared tile pipeline (tile_pipeline.cuh),
// 3 stages deep; 8 warps as 2 (M) x 4 (N), each warp 64 x 32: 4 x 4 m16n8k32 mma.sp per 32 dense
// columns, fragments loaded from shared memory by ldmatrix.
// Included only by the per-dtype instantiation files.
#pragma once

#include "element.cuh"
#include "epilogue.cuh"
#include "tile_pipeline.cuh"

namespace sparseflow::sm80 {

using namespace tiles;
constexpr int kStages = 3;
constexpr int kThreads = 256;
constexpr int kSmemBytes = smem_bytes(kStages);

template <typename In, typename Out, bool kLinear>
__global__ void __launch_bounds__(kThreads) gemm_kernel(GemmArgs args) {
  extern __shared__ uint8_t smem_raw[];
  uint8_t *smem = aligned_smem(smem_raw);
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int warp_m = warp >> 2, warp_n = warp & 3;
  const int m0 = blockIdx.x * kBlockM, n0 = blockIdx.y * kBlockN;
  const int K = args.k, N = args.n;
  const int k_tiles = (K + kBlockK - 1) / kBlockK;

  float acc[4][4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.f;

  // One 32-column step of the warp's 64 x 32 tile from `stage`.
  auto compute_step = [&](const uint8_t *stage, int ks) {
    uint32_t a[4][4], bf[4][4], e[4];
#pragma unroll
    for (int mt = 0; mt < 4; ++mt) {
      load_a_fragment(a[mt], stage, warp_m * 64 + mt * 16, ks, lane);
      e[mt] = load_metadata(stage + kMetaOffset, warp_m * 4 + mt, ks, lane);
    }
#pragma unroll
    for (int nt = 0; nt < 4; ++nt) {
      if constexpr (kLinear) {
        const int row = warp_n * 32 + nt * 8 + (lane & 7);
        ptx::ldmatrix_x4(bf[nt], ptx::shared_address(stage + kBOffset +
                                                     b_linear_chunk_offset(row, ks * 4 + (lane >> 3))));
      } else {
        const int row = ks * 32 + (lane >> 3) * 8 + (lane & 7);
        ptx::ldmatrix_x4_trans(bf[nt], ptx::shared_address(stage + kBOffset +
                                                           b_row_major_chunk_offset(row, warp_n * 4 + nt)));
      }
    }
#pragma unroll
    for (int mt = 0; mt < 4; ++mt)
#pragma unroll
      for (int nt = 0; nt < 4; ++nt)
        ptx::mma_sp_m16n8k32(typename MmaTag<In>::type{}, acc[mt][nt], a[mt], bf[nt], e[mt]);
  };

#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < k_tiles) load_tile<kLinear>(smem + s * kStageBytes, args, m0, n0, s, tid, kThreads);
    ptx::cp_async_commit();
  }
  for (int kt = 0; kt < k_tiles; ++kt) {
    ptx::cp_async_wait<kStages - 2>();
    __syncthreads();  // tile kt is in shared memory, and everyone is done with tile kt - 1
    const int next = kt + kStages - 1;
    if (next < k_tiles)
      load_tile<kLinear>(smem + (next % kStages) * kStageBytes, args, m0, n0, next, tid, kThreads);
    ptx::cp_async_commit();
    const uint8_t *stage = smem + (kt % kStages) * kStageBytes;
    compute_step(stage, 0);
    if (K - kt * kBlockK > 32) compute_step(stage, 1);  // uniform across the block
  }

#pragma unroll
  for (int mt = 0; mt < 4; ++mt)
#pragma unroll
    for (int nt = 0; nt < 4; ++nt)
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        const int m = m0 + warp_m * 64 + mt * 16 + (lane >> 2) + (r >> 1) * 8;
        const int n = n0 + warp_n * 32 + nt * 8 + (lane & 3) * 2 + (r & 1);
        if (m < args.m && n < N) store_output<Out, kLinear>(args, m, n, acc[mt][nt][r]);
      }
}

template <typename In, typename Out, bool kLinear>
void launch(const GemmArgs &args, int device, cudaStream_t stream) {
  static std::atomic<uint64_t> configured{0};
  auto kernel = gemm_kernel<In, Out, kLinear>;
  configure_smem(kernel, kSmemBytes, device, configured);
  const dim3 grid((args.m + kBlockM - 1) / kBlockM, (args.n + kBlockN - 1) / kBlockN);
  kernel<<<grid, kThreads, kSmemBytes, stream>>>(args);
  check_cuda(cudaGetLastError(), "sm80 gemm_kernel launch");
}

// The output-dtype and layout switch for one input type.
template <typename In>
void dispatch(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args, int device,
              cudaStream_t stream) {
  const bool linear = layout == SF_LAYOUT_LINEAR;
  switch (output) {
    case SF_DTYPE_F16:
      return linear ? launch<In, __half, true>(args, device, stream)
                    : launch<In, __half, false>(args, device, stream);
    case SF_DTYPE_BF16:
      return linear ? launch<In, __nv_bfloat16, true>(args, device, stream)
                    : launch<In, __nv_bfloat16, false>(args, device, stream);
    case SF_DTYPE_F32:
      return linear ? launch<In, float, true>(args, device, stream)
                    : launch<In, float, false>(args, device, stream);
  }
}

}  // namespace sparseflow::sm80
