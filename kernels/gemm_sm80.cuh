// The mma.sp GEMM for compute capability 8.0 and later (also correct, if not fastest, on 9.0).
//
// Block tile 128 (M) x 128 (N) x 64 (dense K), 8 warps as 2 (M) x 4 (N), each warp 64 x 32:
// 4 x 4 m16n8k32 mma.sp per 32 dense columns. A's kept values, A's metadata and B stream
// through a 3-stage cp.async pipeline in shared memory; fragments come from shared memory by
// ldmatrix. 16-byte smem chunks are XOR-swizzled so every ldmatrix phase is conflict free.
// Included only by the per-dtype instantiation files.
#pragma once

#include <atomic>

#include "../src/device.hpp"
#include "element.cuh"
#include "epilogue.cuh"
#include "gemm.hpp"
#include "ptx.cuh"
#include "sparsity_rules.hpp"

namespace sparseflow::sm80 {

constexpr int kBlockM = 128, kBlockN = 128, kBlockK = 64;  // kBlockK counts dense columns
constexpr int kStages = 3;
constexpr int kThreads = 256;
// Bytes per stage: A values (128 rows x 32 kept halves), B (128 x 64 halves), metadata
// (8 row blocks x 2 k blocks x 16 words).
constexpr int kABytes = kBlockM * (kBlockK / 2) * 2;
constexpr int kBBytes = kBlockN * kBlockK * 2;
constexpr int kMetaBytes = (kBlockM / 16) * (kBlockK / 32) * 16 * 4;
constexpr int kStageBytes = kABytes + kBBytes + kMetaBytes;
constexpr int kSmemBytes = kStages * kStageBytes;

// Copies 8 elements (16 bytes) from global to shared: cp.async when the source is 16-byte aligned
// and whole, otherwise element by element with zeros past `valid`.
__device__ __forceinline__ void load_chunk(uint8_t *smem_dst, const uint16_t *src, int valid) {
  if (valid == 8 && (reinterpret_cast<uintptr_t>(src) & 15) == 0) {
    ptx::cp_async_16(ptx::shared_address(smem_dst), src, 16);
    return;
  }
  uint16_t v[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) v[i] = i < valid ? src[i] : uint16_t{0};
  uint4 packed;
  packed.x = v[0] | (uint32_t{v[1]} << 16);
  packed.y = v[2] | (uint32_t{v[3]} << 16);
  packed.z = v[4] | (uint32_t{v[5]} << 16);
  packed.w = v[6] | (uint32_t{v[7]} << 16);
  *reinterpret_cast<uint4 *>(smem_dst) = packed;
}

template <typename In, typename Out, bool kLinear>
__global__ void __launch_bounds__(kThreads) gemm_kernel(GemmArgs args) {
  extern __shared__ __align__(128) uint8_t smem[];
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int warp_m = warp >> 2, warp_n = warp & 3;
  const int m0 = blockIdx.x * kBlockM, n0 = blockIdx.y * kBlockN;
  const int K = args.k, N = args.n;
  const int k_tiles = (K + kBlockK - 1) / kBlockK;
  const int k_blocks = K / 32;
  const auto *values = static_cast<const uint16_t *>(args.values);
  const auto *b = static_cast<const uint16_t *>(args.b);

  // Issues the copies of k tile `kt` into pipeline stage `stage`.
  auto load_tile = [&](int stage, int kt) {
    uint8_t *a_s = smem + stage * kStageBytes;
    uint8_t *b_s = a_s + kABytes;
    uint8_t *meta_s = b_s + kBBytes;
    const int k0 = kt * kBlockK;
    const int k_valid = min(kBlockK, K - k0);  // 32 or 64: K is a multiple of 32
    // A: 128 rows x 4 chunks of 8 kept values. Rows past padded_m and the missing half of a
    // 32-column tail tile are zero-filled.
    for (int i = tid; i < kBlockM * 4; i += kThreads) {
      const int row = i >> 2, c = i & 3;
      const bool ok = m0 + row < args.padded_m && c * 8 < k_valid / 2;
      const uint16_t *src = ok ? values + (size_t)(m0 + row) * (K / 2) + k0 / 2 + c * 8 : values;
      ptx::cp_async_16(ptx::shared_address(a_s + row * 64 + ((c ^ ((row >> 1) & 3)) << 4)), src,
                       ok ? 16 : 0);
    }
    // Metadata: 8 row blocks x 2 k blocks x 64 bytes. Chunks past the matrix get a valid
    // padding pattern (their values are zero; equal indices would be undefined behaviour).
    if (tid < 64) {
      const int mt = tid >> 3, kb = (tid >> 2) & 1, part = tid & 3;
      const int g_mt = m0 / 16 + mt, g_kb = k0 / 32 + kb;
      uint8_t *dst = meta_s + ((mt * 2 + kb) * 16 + part * 4) * 4;
      if (g_mt < args.padded_m / 16 && g_kb < k_blocks)
        ptx::cp_async_16(ptx::shared_address(dst),
                         args.metadata + ((size_t)g_mt * k_blocks + g_kb) * 16 + part * 4, 16);
      else
        *reinterpret_cast<uint4 *>(dst) = make_uint4(kPaddingMetadataWord, kPaddingMetadataWord,
                                                     kPaddingMetadataWord, kPaddingMetadataWord);
    }
    if constexpr (kLinear) {
      // B^T = X[n, K]: 128 rows (n) x 8 chunks along k.
      for (int i = tid; i < kBlockN * 8; i += kThreads) {
        const int row = i >> 3, c = i & 7;
        const int n = n0 + row, k = k0 + c * 8;
        const bool ok = n < N && k < K;
        load_chunk(b_s + row * 128 + ((c ^ (row & 7)) << 4), ok ? b + (size_t)n * args.ldb + k : b,
                   ok ? 8 : 0);
      }
    } else {
      // B[K, n]: 64 rows (k) x 16 chunks along n; a chunk may straddle the end of n.
      for (int i = tid; i < kBlockK * 16; i += kThreads) {
        const int row = i >> 4, c = i & 15;
        const int k = k0 + row, n = n0 + c * 8;
        const int valid = k < K ? max(0, min(8, N - n)) : 0;
        load_chunk(b_s + row * 256 + ((c ^ (row & 7)) << 4),
                   valid > 0 ? b + (size_t)k * args.ldb + n : b, valid);
      }
    }
  };

  float acc[4][4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.f;

  // One 32-column step of the warp's 64 x 32 tile from stage `stage`.
  auto compute_step = [&](int stage, int ks) {
    const uint8_t *a_s = smem + stage * kStageBytes;
    const uint8_t *b_s = a_s + kABytes;
    const auto *meta_s = reinterpret_cast<const uint32_t *>(b_s + kBBytes);
    uint32_t a[4][4], bf[4][4], e[4];
#pragma unroll
    for (int mt = 0; mt < 4; ++mt) {
      const int row = warp_m * 64 + mt * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
      const int c = ks * 2 + (lane >> 4);
      ptx::ldmatrix_x4(a[mt], ptx::shared_address(a_s + row * 64 + ((c ^ ((row >> 1) & 3)) << 4)));
      // Lanes 4q and 4q+1 supply rows q and q+8; lanes 4q+2, 4q+3 load a copy nobody reads.
      e[mt] = meta_s[((warp_m * 4 + mt) * 2 + ks) * 16 + (lane >> 2) * 2 + (lane & 1)];
    }
#pragma unroll
    for (int nt = 0; nt < 4; ++nt) {
      if constexpr (kLinear) {
        const int row = warp_n * 32 + nt * 8 + (lane & 7);
        const int c = ks * 4 + (lane >> 3);
        ptx::ldmatrix_x4(bf[nt], ptx::shared_address(b_s + row * 128 + ((c ^ (row & 7)) << 4)));
      } else {
        const int row = ks * 32 + (lane >> 3) * 8 + (lane & 7);
        const int c = warp_n * 4 + nt;
        ptx::ldmatrix_x4_trans(bf[nt],
                               ptx::shared_address(b_s + row * 256 + ((c ^ (row & 7)) << 4)));
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
    if (s < k_tiles) load_tile(s, s);
    ptx::cp_async_commit();
  }
  for (int kt = 0; kt < k_tiles; ++kt) {
    ptx::cp_async_wait<kStages - 2>();
    __syncthreads();  // tile kt is in shared memory, and everyone is done with tile kt - 1
    const int next = kt + kStages - 1;
    if (next < k_tiles) load_tile(next % kStages, next);
    ptx::cp_async_commit();
    compute_step(kt % kStages, 0);
    if (K - kt * kBlockK > 32) compute_step(kt % kStages, 1);  // uniform across the block
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

// Launches one instantiation. The dynamic shared-memory limit is a per-device, per-kernel
// attribute: it is raised once per device (racing threads set the same value).
template <typename In, typename Out, bool kLinear>
void launch(const GemmArgs &args, int device, cudaStream_t stream) {
  static std::atomic<uint64_t> configured_devices{0};
  const uint64_t bit = device < 64 ? uint64_t{1} << device : 0;
  auto kernel = gemm_kernel<In, Out, kLinear>;
  if (bit == 0 || !(configured_devices.load(std::memory_order_acquire) & bit)) {
    check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes),
               "cudaFuncSetAttribute(gemm_kernel, MaxDynamicSharedMemorySize)");
    configured_devices.fetch_or(bit, std::memory_order_acq_rel);
  }
  const dim3 grid((args.m + kBlockM - 1) / kBlockM, (args.n + kBlockN - 1) / kBlockN);
  kernel<<<grid, kThreads, kSmemBytes, stream>>>(args);
  check_cuda(cudaGetLastError(), "gemm_kernel launch");
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
