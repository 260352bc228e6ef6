// Arguments of every GEMM kernel, and the entry points: gemm() picks the kernel family for a
// problem (gemm_dispatch.cpp); each family has one translation unit per input dtype.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "sparseflow/sparseflow.h"

namespace sparseflow {

// D = alpha * A * B + beta * C + bias with A compressed (format 1). Validated by sf_gemm.
struct GemmArgs {
  int32_t m, n, k;           // A is m x k (dense), B is k x n
  int32_t padded_m;          // rows stored in A's compressed buffer
  const void *values;        // A's kept values [padded_m, k/2]
  const uint32_t *metadata;  // A's metadata, format-1 order
  const void *b;
  int64_t ldb;
  const void *c;  // read only when beta != 0
  int64_t ldc;
  const void *bias;  // NULL or m values of the output dtype
  void *d;
  int64_t ldd;
  float alpha, beta;
};

// Largest n the tiled kernel's grid can cover (gridDim.y tiles of 128 columns).
constexpr int64_t kGemmMaxN = int64_t{65535} * 128;

struct DeviceInfo;

// Enqueues the product on `stream` of `device`. Throws Error(SF_ERROR_CUDA) on failure.
void gemm(sf_dtype_t input, sf_dtype_t output, sf_layout_t layout, const GemmArgs &args,
          const DeviceInfo &device, cudaStream_t stream);

// The kernel families, per input dtype (the output dtype and layout are switched inside).
// Tiled mma.sp (gemm_sm80.cuh): 128 x 128 tiles, any n.
void gemm_sm80_f16(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args, int device,
                   cudaStream_t stream);
void gemm_sm80_bf16(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args, int device,
                    cudaStream_t stream);
// Hopper wgmma.sp with TMA (gemm_sm90.cuh): 256 x 128 or 128 x 128 tiles, linear layout with X rows 16-byte
// aligned, compute capability 9.0 with sm_90a code built in (SF_HAVE_SM90A).
void gemm_sm90_f16(sf_dtype_t output, const GemmArgs &args, const DeviceInfo &device,
                   cudaStream_t stream);
void gemm_sm90_bf16(sf_dtype_t output, const GemmArgs &args, const DeviceInfo &device,
                    cudaStream_t stream);
// At n <= kSm90BandsMaxN, where A has at least kSm90BandMinRowBlocks blocks of 16 rows per SM,
// the sm90 family splits A's rows into one equal band per SM (or per SM and wave) instead of
// tiles: the product is bound by reading A, and a SM left without rows or with a short tile
// is bandwidth lost (gemm_sm90.cuh, launch_bands). Above n = 64 (one column tile of 128, or 192
// above n = 128: a cliff of 18-38% at n = 129 before, bench/run_crossover.sh) only up to
// K = kSm90WideBandsMaxK: there every SM reads all of B from L2 with each k tile, a cost per
// k tile, where the tiles they replace (split over K in 2-block clusters) pay theirs per tile
// (pipeline fill, the sum over the cluster). Measured on the H100 at batch 80-128 (rotated A/B,
// 2026-11-24): bands 2-9% faster at K = 8192 (gate 109.3 -> 101.7 us at 80, o 36.9 -> 34.7 at
// 128), 1-9% slower at K = 28672 (down 105.6 -> 114.8 us at 112). Since the split tiles' store
// became as cheap as the unsplit tiles' (b5fd52f), tiles split 2 ways in one round beat the
// bands above n = 64 where they multiply no more rows a block (launch_split_over_bands: o and
// qkv at 72-128); this predicate says where bands are the alternative to tiles.
constexpr int32_t kSm90BandsMaxN = 192;
constexpr int32_t kSm90NarrowBandsMaxN = 64;
constexpr int32_t kSm90WideBandsMaxK = 16384;
constexpr int64_t kSm90BandMinRowBlocks = 3;
// Whether A has kSm90BandMinRowBlocks blocks of 16 rows per SM, enough for bands.
inline bool sm90_band_rows_suffice(const GemmArgs &args, int sm_count) {
  return args.padded_m / 16 >= kSm90BandMinRowBlocks * sm_count;
}
inline bool sm90_reads_in_bands(const GemmArgs &args, int sm_count) {
  const bool n_fits = args.n <= kSm90NarrowBandsMaxN ||
                      (args.n <= kSm90BandsMaxN && args.k <= kSm90WideBandsMaxK);
  return n_fits && sm90_band_rows_suffice(args, sm_count);
}
// Small n (gemm_decode.cuh): streams A once, n <= kDecodeMaxN.
constexpr int32_t kDecodeMaxN = 64;
void gemm_decode_f16(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args,
                     const DeviceInfo &device, cudaStream_t stream);
void gemm_decode_bf16(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args,
                      const DeviceInfo &device, cudaStream_t stream);
// The share of the SMs' resident block slots the decode family's launch for this problem keeps
// busy (its blocks / (rounds x slots)); n <= kDecodeMaxN.
double gemm_decode_fill_f16(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args,
                            const DeviceInfo &device);
double gemm_decode_fill_bf16(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args,
                             const DeviceInfo &device);

}  // namespace sparseflow
