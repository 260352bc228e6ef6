// The small-n (decode) GEMM: for n <= 64 the product is bound by reading A, so this family
// streams A straight from global memory into mma.sp fragments, with many loads in flight and
// enough blocks to fill every SM even when M is small.
//
// A block owns kRowBlocks blocks of 16 rows of A and the whole K; its 8 warps split K into
// chunks of kUnroll consecutive 32-column steps, dealt round-robin (warp w takes chunks w, w+8,
// ...), so at any time the block reads a contiguous stretch of every row. Each warp issues all
// loads of a chunk before its mma.sp, then the 8 partial sums are added through shared memory in
// a fixed order, so results are deterministic (no atomics).
// Included only by the per-dtype instantiation files.
#pragma once

#include "../src/device.hpp"
#include "epilogue.cuh"
#include "gemm.hpp"
#include "ptx.cuh"
#include "sparsity_rules.hpp"

namespace sparseflow::decode {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;

// Tile configuration for up to 8 * kNTiles columns of B.
template <int kNTiles>
struct Config {
  static constexpr int kRowBlocks = kNTiles <= 4 ? 2 : 1;               // 16-row blocks per block
  static constexpr int kUnroll = kNTiles <= 2 ? 4 : kNTiles == 4 ? 2 : 1;  // steps per chunk
};

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

template <typename In, typename Out, bool kLinear, int kNTiles>
__global__ void __launch_bounds__(kThreads) decode_kernel(GemmArgs args, bool b_words_aligned) {
  using C = Config<kNTiles>;
  constexpr int R = C::kRowBlocks, U = C::kUnroll;
  __shared__ float partial[kWarps][R * kNTiles * 4][32];

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, t = lane & 3;
  const int row_block0 = blockIdx.x * R;  // first 16-row block of this CTA
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

  for (int chunk = warp; chunk * U < k_steps; chunk += kWarps) {
    const int s0 = chunk * U;
    uint32_t a[U][R][4], e[U][R], bf[U][kNTiles][4];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int s = s0 + u;
      if (s >= k_steps) continue;
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
      if (s0 + u >= k_steps) continue;
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
  for (int idx = threadIdx.x; idx < R * kNTiles * 4 * 32; idx += kThreads) {
    const int l = idx & 31, frag = idx >> 5;
    const int i = frag & 3, j = (frag >> 2) % kNTiles, r = frag / (4 * kNTiles);
    const int m = (row_block0 + r) * 16 + (l >> 2) + (i >> 1) * 8;
    const int n = j * 8 + (l & 3) * 2 + (i & 1);
    if (m >= args.m || n >= args.n) continue;
    float sum = 0.f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) sum += partial[w][frag][l];
    store_output<Out, kLinear>(args, m, n, sum);
  }
}

template <typename In, typename Out, bool kLinear, int kNTiles>
void launch(const GemmArgs &args, cudaStream_t stream) {
  constexpr int rows_per_block = 16 * Config<kNTiles>::kRowBlocks;
  const unsigned blocks = static_cast<unsigned>((args.padded_m + rows_per_block - 1) / rows_per_block);
  // Word loads of B need every row start 4-byte aligned.
  const bool b_words_aligned =
      (reinterpret_cast<uintptr_t>(args.b) & 3) == 0 && (args.ldb & 1) == 0;
  decode_kernel<In, Out, kLinear, kNTiles><<<blocks, kThreads, 0, stream>>>(args, b_words_aligned);
  check_cuda(cudaGetLastError(), "decode_kernel launch");
}

template <typename In, typename Out, bool kLinear>
void dispatch_n(const GemmArgs &args, cudaStream_t stream) {
  if (args.n <= 8) return launch<In, Out, kLinear, 1>(args, stream);
  if (args.n <= 16) return launch<In, Out, kLinear, 2>(args, stream);
  if (args.n <= 32) return launch<In, Out, kLinear, 4>(args, stream);
  launch<In, Out, kLinear, 8>(args, stream);
}

// The output-dtype and layout switch for one input type.
template <typename In>
void dispatch(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args, cudaStream_t stream) {
  const bool linear = layout == SF_LAYOUT_LINEAR;
  switch (output) {
    case SF_DTYPE_F16:
      return linear ? dispatch_n<In, __half, true>(args, stream)
                    : dispatch_n<In, __half, false>(args, stream);
    case SF_DTYPE_BF16:
      return linear ? dispatch_n<In, __nv_bfloat16, true>(args, stream)
                    : dispatch_n<In, __nv_bfloat16, false>(args, stream);
    case SF_DTYPE_F32:
      return linear ? dispatch_n<In, float, true>(args, stream)
                    : dispatch_n<In, float, false>(args, stream);
  }
}

}  // namespace sparseflow::decode
