// The Hopper (sm_90a) GEMM: wgmma.mma_async.sp fed by the tensor memory accelerator.
//
// A block computes tiles of D of 256, 192 or 128 rows x 128 or 64 columns, 64 or 128 rows x 64, 128
// or 192 columns (row bands), or 128 x 256 from batch 129 on (launch_width), with three roles: one
// producer thread (of the last warpgroup, whose registers go to the others) streams k tiles of 64
// dense columns into a ring of shared memory with TMA (A's kept values, B = X, A's metadata; each
// stage completes on a `full` mbarrier), and two or three consumer warpgroups each multiply their
// share of the rows with wgmma reading both operands from shared memory: A through a K-major
// 64-byte-swizzle descriptor, B through a K-major 128-byte-swizzle one (the TMA boxes land in
// exactly those layouts). A consumer issues a k tile's wgmma group while the previous one still
// runs, and releases a stage (its `empty` mbarrier) once the group reading it is done.
// A persistent grid of one block per SM walks the tiles in groups of kGroupM row tiles, so that
// the blocks working at the same time share A and B in L2; the producer runs ahead into a
// block's next tile while the consumers store the last one. The 128 x 256 tiles go in pairs
// where the row tiles pair up: 2-block clusters that take two row tiles of the same columns at a
// time, each block's producer loading half of their B tile into both blocks (TMA multicast), so
// that each reads from L2 25 KB a stage instead of 41.
// At batch <= 192 the row tiles are instead bands of A's rows, equal shares for every SM, of up
// to 64 or 128 rows (launch_bands).
// Where the tiles, or a last partial wave of them, are fewer than the SMs (M = 8192-10240 at
// batch 65-256, qkv at 512-1024, smaller weights at any batch), `split` (2-4) consecutive
// blocks form a cluster that splits K; each adds the blocks' partial sums in rank order for its
// share of the tile, the others' pushed into its shared memory through distributed shared memory
// (st.async): deterministic, no workspace.
// Linear layout only (B = X is K-major), with X 16-byte aligned and ldb a multiple of 8.
// Included only by the per-dtype instantiation files; the kernel body exists only in sm_90a code.
#pragma once

#include <cooperative_groups.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <type_traits>

#include "../src/tensor_map.hpp"
#include "cluster_split.cuh"
#include "element.cuh"
#include "epilogue.cuh"
#include "ptx_sm90.cuh"
#include "tile_pipeline.cuh"

namespace sparseflow::sm90 {

using tiles::aligned_smem;
using tiles::configure_smem;
using tiles::load_metadata;
constexpr int kBlockK = 64;  // dense columns per k tile
constexpr int kProducerRegisters = 40;  // per thread of the producer warpgroup, after setmaxnreg
constexpr int kMaxSplit = 4;  // blocks per tile where K is split (see choose_split)
constexpr int kMinKTilesPerSplit = 16;               // keeps the 5-stage ring in its steady state

// Block tile of 64 * kWarpgroups * kSlabs rows x kBlockN (64 or 128) columns: each of the
// kWarpgroups consumer warpgroups multiplies kSlabs m64 slabs. One stage: B (kBlockN rows x 128 B,
// 128-byte swizzle), then A's kept values (rows x 64 B, 64-byte swizzle), then A's metadata (row
// blocks x 2 k blocks x 64 B); B and A stay aligned to their swizzle patterns because both are
// multiples of 1024 bytes and a stage is rounded up to one.
template <int kWarpgroups_, int kSlabs_, int kBlockN_>
struct Tile {
  static constexpr int kWarpgroups = kWarpgroups_, kSlabs = kSlabs_, kBlockN = kBlockN_;
  static constexpr int kBlockM = 64 * kWarpgroups * kSlabs;
  // Row tiles per raster group (even, so that tiles pair up within groups): 2048 rows for the
  // 128 x 256 tiles (measured on the H100 against 8 row tiles: down at batch 16384 9.12 -> 7.92
  // ms, gate at 4096 2.05 -> 1.89 ms, qkv at 16384 2.80 -> 2.72 ms), 8 row tiles otherwise.
  static constexpr int kGroupM = kBlockN == 256 ? 16 : 8;
  // Whether row tiles go in pairs sharing B (tiles_pair): the 128 x 256 tiles only, which read
  // B's 32 KB a stage (paired, against unpaired, on the H100: gate_up at batch 1024 1.22 -> 1.08
  // ms, down at 2048 1.12 -> 0.95 ms). Paired 128-column tiles measured no faster.
  static constexpr bool kPairs = kBlockN == 256;
  static constexpr int kConsumerThreads = 128 * kWarpgroups;
  static constexpr int kThreads = kConsumerThreads + 128;  // + the producer warpgroup
  // A consumer's registers after setmaxnreg: the block's 65536 less the producer's, at most the
  // 256 that setmaxnreg allows (one consumer warpgroup); a consumer holds a tile's accumulators
  // across the next tile's first loads.
  static constexpr int kConsumerRegisters =
      std::min(256, (65536 - 128 * kProducerRegisters) / kConsumerThreads / 8 * 8);
  static constexpr int kAccumulators = kBlockN / 2;  // per thread and slab
  static constexpr int kBBytes = kBlockN * kBlockK * 2;
  static constexpr int kABytes = kBlockM * (kBlockK / 2) * 2;
  static constexpr int kMetaBytes = (kBlockM / 16) * (kBlockK / 32) * 64;
  static constexpr int kBOffset = 0, kAOffset = kBBytes, kMetaOffset = kBBytes + kABytes;
  static constexpr int kLoadBytes = kBBytes + kABytes + kMetaBytes;  // what TMA brings per stage
  static constexpr int kStageBytes = (kLoadBytes + 1023) / 1024 * 1024;
  static_assert(kBBytes % 1024 == 0 && kABytes % 1024 == 0, "swizzled tiles stay aligned");
  // The 227 KB of shared memory a block may have, less the alignment slack and the static
  // barriers: what the ring and the staging below share.
  static constexpr int kUsableSmemBytes = 227 * 1024 - 1024 - 256;
  // Smaller tiles: as many stages as that holds (9 of 25 KB for 128 rows, 7 of 30 KB for 192), to
  // cover the load latency; measured on the H100 against 5: qkv at batch 128 50 -> 43 us, down
  // at batch 64 138 -> 122 us.
  // 256-row tiles keep 5 of 34 KB: 6 made gate and gate_up at batch 4096 5-7% slower.
  static constexpr int kStages = kBlockM == 256 ? 5 : kUsableSmemBytes / kStageBytes;
  static constexpr int kRingBytes = kStages * kStageBytes;
  // Staging for the stores of 16-bit output (gemm_kernel's store_slab_staged): 1 KB per consumer
  // warp after the ring, where the stages leave room for it (not in the 128-row tiles of 64 and
  // 128 columns, whose 13 and 9 stages leave 4.7 KB and 768 bytes) and the tile is taller than
  // one slab: the 64-row bands (batch <= 128, one tile a block) were 1-2% slower with it on the
  // H100 (rotated A/B, o at batch 16-128 30.2 -> 30.7 us, down at 16-64 99 -> 101 us).
  static constexpr int kWarpStagingBytes = 1024;  // two halves of 16 columns x 16 rows
  static constexpr int kStagingBytes = kConsumerThreads / 32 * kWarpStagingBytes;
  static constexpr bool kStaged =
      kBlockM > 64 && kRingBytes + kStagingBytes <= kUsableSmemBytes;
  static constexpr int kSmemBytes =
      kRingBytes + (kStaged ? kStagingBytes : 0) + 1024;  // + slack for alignment
};

// Tile (m0, n0) of linear block index `block`: row tiles advance fastest within groups of
// kGroupM, so consecutive blocks reuse the same columns of B and a small band of A.
template <int kBlockM, int kBlockN, int kGroupM>
__device__ __forceinline__ void tile_of(int block, int m_tiles, int n_tiles, int &m0, int &n0) {
  const int per_group = kGroupM * n_tiles;
  const int group = block / per_group;
  const int first_m = group * kGroupM;
  const int group_rows = min(kGroupM, m_tiles - first_m);
  const int in_group = block % per_group;
  m0 = (first_m + in_group % group_rows) * kBlockM;
  n0 = (in_group / group_rows) * kBlockN;
}

// Rows [m0, m0 + rows) of band `band` of `bands`: the 16-row blocks of A split as evenly as
// whole blocks allow (band heights differ by at most 16 rows).
__device__ __forceinline__ void band_of(int band, int bands, int padded_m, int &m0, int &rows) {
  const int64_t blocks = padded_m / 16;
  m0 = static_cast<int>(band * blocks / bands) * 16;
  rows = static_cast<int>((band + 1) * blocks / bands) * 16 - m0;
}

template <typename In, typename Out, typename T, int kPeers>
__global__ void __launch_bounds__(T::kThreads, 1)
    gemm_kernel(const __grid_constant__ CUtensorMap a_map,
                const __grid_constant__ CUtensorMap a_tail_map,
                const __grid_constant__ CUtensorMap b_map,
                const __grid_constant__ CUtensorMap b_tail_map,
                const __grid_constant__ CUtensorMap meta_map,
                const __grid_constant__ CUtensorMap meta_tail_map, GemmArgs args, int first_tile,
                int tiles, int split, int k_tiles_per_split, int bands, int full_rows) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  constexpr int kSlabs = T::kSlabs, kBlockN = T::kBlockN, kConsumerThreads = T::kConsumerThreads;
  constexpr int kBlockM = T::kBlockM, kStageBytes = T::kStageBytes, kAcc = T::kAccumulators;
  constexpr int kStages = T::kStages;
  constexpr int kAOffset = T::kAOffset, kBOffset = T::kBOffset, kMetaOffset = T::kMetaOffset;
  extern __shared__ uint8_t smem_raw[];
  __shared__ __align__(8) uint64_t full[kStages], empty[kStages], exchange;
  uint8_t *smem = aligned_smem(smem_raw);
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int m_tiles = (args.m + kBlockM - 1) / kBlockM, n_tiles = (args.n + kBlockN - 1) / kBlockN;
  // Tiles first_tile + t of the raster order, t = blockIdx.x / split + j * (gridDim.x / split):
  // unsplit, a persistent block takes every gridDim.x-th tile, and the ring runs on from one tile
  // to the next, so the producer loads the next tile while the consumers store this one; split,
  // the grid is one tile per cluster.
  // With `bands` > 0 the row tiles are instead bands of A's rows (band_of) of at most kBlockM
  // rows, consecutive tiles the consecutive bands of one column tile. `rows`: the tile's stored
  // rows of A, those its boxes load; `full_rows`: the rows of the full maps' boxes (set by the
  // host with the maps), a shorter tile loads through the tail maps (the last row tile, or the
  // shorter bands).
  const int tile_step = gridDim.x / split;
  auto origin = [&](int t, int &m0, int &n0, int &rows) {
    if (bands == 0) {
      tile_of<kBlockM, kBlockN, T::kGroupM>(first_tile + t, m_tiles, n_tiles, m0, n0);
      rows = min(kBlockM, args.padded_m - m0);
    } else {
      band_of((first_tile + t) % bands, bands, args.padded_m, m0, rows);
      n0 = (first_tile + t) / bands * kBlockN;
    }
  };
  const int K = args.k;
  // Block rank q of a tile's `split` blocks takes k tiles [kt_begin, kt_end).
  const int rank = blockIdx.x % split;
  const int kt_begin = rank * k_tiles_per_split;
  const int kt_end = min((K + kBlockK - 1) / kBlockK, kt_begin + k_tiles_per_split);
  // Paired (kPeers = 2, never split), the two blocks of a cluster take row tiles t and t ^ 1, the
  // same columns, and block `peer` loads part `peer` of B (kBlockN / 2 rows) into both: a stage
  // of either block is filled by both producers, so it is free again only when the consumer warps
  // of both blocks have released it (each warp arrives on both blocks' `empty`).
  const int peer = blockIdx.x % kPeers;
  // Arrivals that free a stage: every consumer thread's or, paired, each consumer warp's of both
  // blocks.
  constexpr int kReleases = kPeers == 1 ? kConsumerThreads : kPeers * kConsumerThreads / 32;
  namespace cg = cooperative_groups;

  if (tid == 0) {
    for (int s = 0; s < kStages; ++s) {
      ptx::mbarrier_init(ptx::shared_address(&full[s]), 1);
      ptx::mbarrier_init(ptx::shared_address(&empty[s]), kReleases);
    }
    ptx::mbarrier_init(ptx::shared_address(&exchange), 1);  // a split block's sums (below)
    ptx::fence_mbarrier_init();
  }
  // A partner's loads and arrivals may reach this block's barriers as soon as it starts.
  if constexpr (kPeers > 1)
    cg::this_cluster().sync();
  else
    __syncthreads();
  // So far only shared memory and the parameters were touched: the stream's previous kernel may
  // still be running (early_start).
  ptx::launch_next_grid();
  ptx::wait_previous_grid();

  if (warp >= kConsumerThreads / 32) {  // the producer warpgroup; one thread issues the loads
    ptx::setmaxnreg_dec<kProducerRegisters>();
    if (warp == kConsumerThreads / 32 && lane == 0) {
      int s = 0;
      uint32_t round_parity = 0;
      for (int t = blockIdx.x / split; t < tiles; t += tile_step) {
        int m0, n0, rows;
        origin(t, m0, n0, rows);
        // Where N or A's stored rows end inside the tile, B's or A's boxes are the rows that
        // exist (the tail maps): TMA fills rows past the tensor with zeros slowly (measured on the
        // H100: o at batch 136, 120 such rows of B in half the tiles, 74 us against 46 at batch
        // 256). Rows left stale in shared memory only reach accumulators that are never stored.
        // (The maps' boxes: A and its metadata full_rows rows, B kBlockN / kPeers; the tail
        // maps' the rows left.)
        constexpr int kBPart = kBlockN / kPeers;
        const int b_row = n0 + peer * kBPart;
        const int b_rows = min(kBPart, args.n - b_row);  // none where N ends in the other part
        const bool m_tail = rows < full_rows;
        const CUtensorMap *b_box = b_rows == kBPart ? &b_map : &b_tail_map;
        const CUtensorMap *a_box = m_tail ? &a_tail_map : &a_map;
        const CUtensorMap *meta_box = m_tail ? &meta_tail_map : &meta_map;
        // B's rows that exist, A's kept values (64 bytes a row) and metadata (128 bytes a block
        // of 16 rows) of the tile's rows.
        const uint32_t stage_bytes = (kBlockN - max(0, n0 + kBlockN - args.n)) * kBlockK * 2 +
                                     rows * (kBlockK + kBlockK / 32 * 64 / 16);
        for (int kt = kt_begin; kt < kt_end; ++kt) {
          ptx::mbarrier_wait(ptx::shared_address(&empty[s]), round_parity ^ 1);
          const uint32_t bar = ptx::shared_address(&full[s]);
          ptx::mbarrier_arrive_expect_tx(bar, stage_bytes);
          const uint32_t stage = ptx::shared_address(smem + s * kStageBytes);
          const int k0 = kt * kBlockK;
          ptx::tma_load_2d(stage + kAOffset, a_box, k0 / 2, m0, bar);
          if constexpr (kPeers == 1)
            ptx::tma_load_2d(stage + kBOffset, b_box, k0, n0, bar);
          else if (b_rows > 0)
            ptx::tma_load_2d_multicast(stage + kBOffset + peer * kBPart * kBlockK * 2, b_box, k0,
                                       b_row, bar, 0b11);
          ptx::tma_load_2d(stage + kMetaOffset, meta_box, k0 / 32 * 64, m0 / 16, bar);
          if (++s == kStages) s = 0, round_parity ^= 1;
        }
      }
    }
    // The producer warpgroup stays for the consumers' cluster barrier: the one before a split
    // block's sums travel, the final one of a paired block.
    if (split > 1 || kPeers > 1) cg::this_cluster().sync();
    return;
  }

  ptx::setmaxnreg_inc<T::kConsumerRegisters>();
  const int warpgroup = warp >> 2;
  // This warp supplies metadata for rows row0 + 64h .. +15 of the tile, h = 0 .. kSlabs-1.
  const int row0 = warpgroup * 64 * kSlabs + (warp & 3) * 16;
  // Descriptors of stage 0, computed once: stage s starts s * kStageBytes further on and step ks
  // 32 bytes further into A's rows, 64 into B's; a descriptor counts 16-byte units, and the
  // swizzle applies to absolute addresses, so only the start field moves.
  const uint32_t ring = ptx::shared_address(smem);
  uint64_t a_descriptor[kSlabs];
#pragma unroll
  for (int h = 0; h < kSlabs; ++h)
    a_descriptor[h] = ptx::k_major_swizzled_descriptor<64>(
        ring + kAOffset + (warpgroup * 64 * kSlabs + 64 * h) * 64);
  const uint64_t b_descriptor = ptx::k_major_swizzled_descriptor<128>(ring + kBOffset);
  constexpr uint32_t kStageUnits = kStageBytes / 16;

  int m0 = 0, n0 = 0, rows = 0;
  // The 16 rows of this warp in slab h exist if the tile loaded them: rows past the tile's box
  // hold stale metadata; feed the valid padding pattern.
  bool rows_exist[kSlabs];
  float acc[kSlabs][kAcc];
  // Metadata of the k tile in stage `s` (after waiting for the stage to fill). In a 32-column tail
  // tile TMA zero-fills the second half of A and B, so with the padding metadata the second step
  // adds exact zeros: no branch (a branch would serialize wgmma).
  auto fetch_metadata = [&](uint32_t(&e)[kSlabs][2], int s, uint32_t parity, int kt) {
    ptx::mbarrier_wait(ptx::shared_address(&full[s]), parity);
    const uint8_t *metadata = smem + s * kStageBytes + kMetaOffset;
    const bool two_steps = K - kt * kBlockK > 32;
#pragma unroll
    for (int h = 0; h < kSlabs; ++h)
#pragma unroll
      for (int ks = 0; ks < 2; ++ks)
        e[h][ks] = rows_exist[h] && (ks == 0 || two_steps)
                       ? load_metadata(metadata, (row0 + 64 * h) / 16, ks, lane)
                       : kPaddingMetadataWord;
  };
  auto issue = [&](const uint32_t(&e)[kSlabs][2], int s) {
    ptx::wgmma_fence();
#pragma unroll
    for (int ks = 0; ks < 2; ++ks)
#pragma unroll
      for (int h = 0; h < kSlabs; ++h)
        ptx::wgmma_sp(typename MmaTag<In>::type{}, acc[h],
                      a_descriptor[h] + s * kStageUnits + 2 * ks,
                      b_descriptor + s * kStageUnits + 4 * ks, e[h][ks]);
    ptx::wgmma_commit();
  };
  // Accumulator j*4 + r of slab h: row g (+8 for r >= 2), column 8j + 2t + (r & 1).
  int row_end = 0;  // the tile's rows of D end here (another band's, or past M)
  auto store = [&](int h, int i, float value) {
    const int j = i >> 2, r = i & 3;
    const int m = m0 + row0 + 64 * h + (lane >> 2) + (r >> 1) * 8;
    const int n = n0 + j * 8 + (lane & 3) * 2 + (r & 1);
    if (m < row_end && n < args.n) store_output<Out, true>(args, m, n, value);
  };
  // The common case, a warp's 16 rows of slab h inside D, every column of the tile in N and no C
  // to add: the same sum as store_output without its per-value index arithmetic and bounds
  // checks, the bias read once per row. `value`: alpha * sum + the row's bias, as store_output
  // computes it (no added zero: -0 stays).
  const Out *bias = static_cast<const Out *>(args.bias);
  auto bias_of = [&](int m) { return bias != nullptr ? to_float(bias[m]) : 0.f; };
  auto value = [&](float sum, float row_bias) {
    return from_float<Out>(bias != nullptr ? args.alpha * sum + row_bias : args.alpha * sum);
  };
  // Two sums of one row as the 16-bit pair the staged store takes (generic: only 16-bit output
  // calls it).
  auto value_pair = [&](auto low, auto high, float row_bias) {
    return pack_pair(value(low, row_bias), value(high, row_bias));
  };
  const size_t ldd = static_cast<size_t>(args.ldd);
  // Each value at a fixed offset from one pointer per 8 columns.
  auto store_slab_directly = [&](int h) {
    const int m = m0 + row0 + 64 * h + (lane >> 2);
    Out *d = static_cast<Out *>(args.d) + (n0 + (lane & 3) * 2) * ldd + m;
    const float bias_g = bias_of(m), bias_g8 = bias_of(m + 8);
#pragma unroll
    for (int j = 0; j < kAcc / 4; ++j) {
      Out *column = d + j * 8 * ldd;  // rows g and g + 8 of columns 8j + 2t and 8j + 2t + 1
      column[0] = value(acc[h][4 * j], bias_g);
      column[ldd] = value(acc[h][4 * j + 1], bias_g);
      column[8] = value(acc[h][4 * j + 2], bias_g8);
      column[ldd + 8] = value(acc[h][4 * j + 3], bias_g8);
    }
  };
  // 16-bit output where D takes 16-byte stores: through 1 KB of shared memory per warp, 16 columns
  // (a piece) at a time. stmatrix transposes a piece's accumulators (rows g and g + 8 of columns
  // 2t, 2t + 1 and 8 + 2t, 9 + 2t, as 4 packed pairs) into 512 bytes, rows 0-7 of each column then
  // rows 8-15, and each lane stores 8 rows of one column in one 16-byte store, whole 32-byte
  // sectors across the warp, where the direct store writes 2 bytes a lane and 4 partial sectors an
  // instruction. The two 512-byte halves alternate, so that one __syncwarp a piece orders a half's
  // reads before its next writes. Unsplit, the staging lies after the ring (T::kStaged); split,
  // in the ring after the slots of the blocks' sums.
  const bool staged_stores = sizeof(Out) == 2 && (reinterpret_cast<uintptr_t>(args.d) & 15) == 0 &&
                             args.ldd % 8 == 0;
  constexpr int kPiece = 16 * 16 * 2, kRows8To15 = 16 * 16;  // bytes: a piece, its rows 0-7
  static_assert(2 * kPiece == T::kWarpStagingBytes, "two pieces a warp");
  // Piece `column` / 16 of the 16 rows from D's row m: pairs w0 and w2 of row g, w1 and w3 of row
  // g + 8, staged in half `half` (0 or 1) of the warp's staging at `staging`.
  auto store_piece_staged = [&](const uint8_t *staging, int m, int column, int half, uint32_t w0,
                                uint32_t w1, uint32_t w2, uint32_t w3) {
    if constexpr (sizeof(Out) == 2) {
      staging += warp * T::kWarpStagingBytes + half * kPiece;
      // Lane 8k + r addresses column r of matrix k: k = 0 and 1 rows 0-7 and 8-15 of the piece's
      // first 8 columns, k = 2 and 3 of the next 8; lane l then reads column l % 16's rows 0-7
      // (l < 16) or 8-15.
      const uint32_t put = ptx::shared_address(staging) + ((lane >> 3) & 1) * kRows8To15 +
                           ((lane >> 4) * 8 + (lane & 7)) * 16;
      ptx::stmatrix_x4_trans(put, w0, w1, w2, w3);
      __syncwarp();
      Out *d = static_cast<Out *>(args.d) + (n0 + column + (lane & 15)) * ldd + m + (lane >> 4) * 8;
      *reinterpret_cast<uint4 *>(d) = *reinterpret_cast<const uint4 *>(staging + lane * 16);
    }
  };
  // Where N ends inside the tile, the piece it ends in stores value by value and those after it
  // nothing (so the staging's halves alternate only between whole pieces, which come first).
  auto store_slab_staged = [&](int h) {
    if constexpr (T::kStaged && sizeof(Out) == 2) {
      const int m = m0 + row0 + 64 * h;
      const float bias_g = bias_of(m + (lane >> 2)), bias_g8 = bias_of(m + (lane >> 2) + 8);
      auto pair = [&](int at, float row_bias) {
        return value_pair(acc[h][at], acc[h][at + 1], row_bias);
      };
#pragma unroll
      for (int piece = 0; piece < kAcc / 8; ++piece) {
        const int i = 8 * piece;
        if (n0 + 16 * piece + 16 <= args.n) {
          store_piece_staged(smem + T::kRingBytes, m, 16 * piece, piece & 1, pair(i, bias_g),
                             pair(i + 2, bias_g8), pair(i + 4, bias_g), pair(i + 6, bias_g8));
        } else if (n0 + 16 * piece < args.n) {
#pragma unroll
          for (int e = 0; e < 8; ++e) store(h, i + e, acc[h][i + e]);
        }
      }
    }
  };

  // A stage goes back to the producer once this thread's wgmma groups reading it are done;
  // paired, to both producers, once per warp: lane 0 arrives for this block, lane 1 for the
  // partner.
  auto release = [&](int stage) {
    const uint32_t bar = ptx::shared_address(&empty[stage]);
    if constexpr (kPeers == 1)
      ptx::mbarrier_arrive(bar);
    else if (lane < 2)
      ptx::mbarrier_arrive_cluster(bar, static_cast<uint32_t>(peer ^ lane));
  };

  const int n_k = kt_end - kt_begin;
  int s = 0;  // ring position and parity, carried from tile to tile as in the producer
  uint32_t parity = 0;
  for (int t = blockIdx.x / split; t < tiles; t += tile_step) {
    origin(t, m0, n0, rows);
    row_end = min(args.m, m0 + rows);
#pragma unroll
    for (int h = 0; h < kSlabs; ++h) {
      rows_exist[h] = row0 + 64 * h < rows;
#pragma unroll
      for (int i = 0; i < kAcc; ++i) acc[h][i] = 0.f;
    }
    // One wgmma group per k tile, the next one issued before waiting for the last: metadata in
    // two register sets, e[p] for the k tiles of parity p. After issuing k tile i, waiting for all
    // but one group retires k tile i-1, which frees its stage (to the producer) and its metadata
    // registers, which then take k tile i+1's while k tile i runs.
    uint32_t e[2][kSlabs][2] = {};
    int previous_s = s;
    if (n_k > 0) fetch_metadata(e[0], s, parity, kt_begin);
    auto step = [&](auto tile_parity, int i) {
      constexpr int p = decltype(tile_parity)::value;
      issue(e[p], s);
      ptx::wgmma_wait<1>();
#pragma unroll
      for (int h = 0; h < kSlabs; ++h)
#pragma unroll
        for (int ks = 0; ks < 2; ++ks) ptx::keep_in_register(e[p ^ 1][h][ks]);
      if (i > 0) release(previous_s);
      previous_s = s;
      if (++s == kStages) s = 0, parity ^= 1;
      if (i + 1 < n_k) fetch_metadata(e[p ^ 1], s, parity, kt_begin + i + 1);
    };
    for (int i = 0; i < n_k; i += 2) {
      step(std::integral_constant<int, 0>{}, i);
      if (i + 1 < n_k) step(std::integral_constant<int, 1>{}, i + 1);
    }
    ptx::wgmma_wait<0>();
#pragma unroll
    for (int h = 0; h < kSlabs; ++h) {
#pragma unroll
      for (int ks = 0; ks < 2; ++ks) {
        ptx::keep_in_register(e[0][h][ks]);
        ptx::keep_in_register(e[1][h][ks]);
      }
#pragma unroll
      for (int i = 0; i < kAcc; ++i) ptx::keep_in_register(acc[h][i]);
    }
    // The tile's last stage goes back to the producer, which fills the ring with the next tile's
    // k tiles while this one is stored.
    if (n_k > 0) release(previous_s);
    if (split == 1) {
      const bool whole_columns = n0 + kBlockN <= args.n;
#pragma unroll
      for (int h = 0; h < kSlabs; ++h) {
        if (args.beta == 0.f && m0 + row0 + 64 * h + 16 <= row_end) {
          if (T::kStaged && staged_stores) {
            store_slab_staged(h);
            continue;
          }
          if (whole_columns) {
            store_slab_directly(h);
            continue;
          }
        }
#pragma unroll
        for (int i = 0; i < kAcc; ++i) store(h, i, acc[h][i]);
      }
    }
  }
  // The partner may still arrive on this block's barriers until it passes this one.
  if constexpr (kPeers > 1) cg::this_cluster().sync();
  if (split == 1) return;
  // Block q of the split finishes its share of the tile's pieces (16 columns of a slab, two quads
  // of four accumulators from every consumer thread), pieces [q P / split, (q + 1) P / split) of
  // P, adding the blocks' sums in rank order, and stores them as the unsplit tile does, through
  // staging where it can. The sums travel once every block has consumed its stages (the cluster
  // barrier): each thread pushes the quads of the pieces another block finishes straight from its
  // registers into slot `rank` of that block's ring (st.async, completing on its `exchange`
  // barrier) and writes its own pieces' quads to its own slot, [slot][own piece][quad of the
  // piece][consumer thread]; a block then waits for its bytes alone and reads every slot from its
  // own shared memory, so no barrier keeps the blocks alive at the end: a block's shared memory
  // is written by the others only before it has received every byte. Measured on the H100
  // (per-block timelines), qkv at batch 1024, 56 tiles split 2 ways: from the last wgmma to the
  // end 23 us with per-value stores of quads q (mod split), 8 us with the pieces' staged stores
  // and the others' sums read through distributed shared memory; pushed instead (best of 2 in
  // rotation, f16 and bf16, 2026-11-25): o and qkv at batch 128 -2 to -3% (qkv 45.4 -> 44.2 us),
  // the other split tiles (o, down and gate_up at 256, qkv at 1024, gate at 512) within noise.
  constexpr int kPiecesPerSlab = kAcc / 8, kPieces = kSlabs * kPiecesPerSlab;
  constexpr int kPieceBytes = 2 * kConsumerThreads * 16;
  const uint32_t exchange_bar = ptx::shared_address(&exchange);
  // Piece p's sums: quad 2p (x, y row g, z, w row g + 8 of columns 2t, 2t + 1) and quad 2p + 1
  // (the same 8 columns on).
  auto store_piece = [&](int p, float4 a, float4 b, int half, const uint8_t *staging) {
    const int h = p / kPiecesPerSlab, column = (p % kPiecesPerSlab) * 16;
    const int m = m0 + row0 + 64 * h;
    if constexpr (sizeof(Out) == 2) {
      if (staged_stores && args.beta == 0.f && m + 16 <= row_end && n0 + column + 16 <= args.n) {
        const float bias_g = bias_of(m + (lane >> 2)), bias_g8 = bias_of(m + (lane >> 2) + 8);
        store_piece_staged(staging, m, column, half, value_pair(a.x, a.y, bias_g),
                           value_pair(a.z, a.w, bias_g8), value_pair(b.x, b.y, bias_g),
                           value_pair(b.z, b.w, bias_g8));
        return;
      }
    }
    const int i = column / 2;  // the piece's first accumulator
    store(h, i, a.x), store(h, i + 1, a.y), store(h, i + 2, a.z), store(h, i + 3, a.w);
    store(h, i + 4, b.x), store(h, i + 5, b.y), store(h, i + 6, b.z), store(h, i + 7, b.w);
  };
  auto finish = [&](auto split_constant) {
    constexpr int kSplit = decltype(split_constant)::value;
    constexpr int kOwn = (kPieces + kSplit - 1) / kSplit;
    constexpr int kSlotBytes = kOwn * kPieceBytes;
    static_assert(kSplit * kSlotBytes + T::kStagingBytes <= T::kRingBytes, "slots in the ring");
    auto first_of = [](int q) { return q * kPieces / kSplit; };
    const int first = first_of(rank), owned = first_of(rank + 1) - first;
    if (tid == 0)
      ptx::mbarrier_arrive_expect_tx(exchange_bar, (kSplit - 1) * owned * kPieceBytes);
    cg::this_cluster().sync();
#pragma unroll
    for (int p = 0; p < kPieces; ++p) {
      // The rank that finishes piece p: first_of(owner) <= p < first_of(owner + 1).
      const int owner = ((p + 1) * kSplit - 1) / kPieces;
      const int h = p / kPiecesPerSlab, quad = (p % kPiecesPerSlab) * 2;
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const float4 sums = make_float4(acc[h][4 * (quad + e)], acc[h][4 * (quad + e) + 1],
                                        acc[h][4 * (quad + e) + 2], acc[h][4 * (quad + e) + 3]);
        uint8_t *slot = smem + rank * kSlotBytes +
                        ((2 * (p - first_of(owner)) + e) * kConsumerThreads + tid) * 16;
        if (owner == rank)
          *reinterpret_cast<float4 *>(slot) = sums;
        else
          ptx::st_async_cluster(ptx::shared_address(slot), sums, exchange_bar,
                                static_cast<uint32_t>(owner));
      }
    }
    ptx::mbarrier_wait(exchange_bar, 0);
    const float4 *slots = reinterpret_cast<const float4 *>(smem);
#pragma unroll
    for (int u = 0; u < kOwn; ++u) {
      if (u >= owned) break;
      float4 sum[2];
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int index = (2 * u + e) * kConsumerThreads + tid;
        sum[e] = slots[index];
#pragma unroll
        for (int q = 1; q < kSplit; ++q) sum[e] = add(sum[e], slots[q * kSlotBytes / 16 + index]);
      }
      store_piece(first + u, sum[0], sum[1], u & 1, smem + kSplit * kSlotBytes);
    }
  };
  static_assert(kMaxSplit == 4, "one finishing step per split");
  switch (split) {
    case 2: finish(std::integral_constant<int, 2>{}); break;
    case 3: finish(std::integral_constant<int, 3>{}); break;
    case 4: finish(std::integral_constant<int, 4>{}); break;
  }
#endif
}

// The kernel for these types, tile and pairing, its shared memory size raised once per device.
template <typename In, typename Out, typename T, int kPeers = 1>
auto configured_kernel(int device) {
  static std::atomic<uint64_t> configured{0};
  auto kernel = gemm_kernel<In, Out, T, kPeers>;
  configure_smem(kernel, T::kSmemBytes, device, configured);
  return kernel;
}

// Blocks that run at once in clusters of `cluster` blocks (a split's 1 to kMaxSplit, or a pair):
// one per SM, less the SMs that a GPC's count leaves over when it is not a multiple of the
// cluster. Queried once per device.
template <typename In, typename Out, typename T>
int64_t cluster_slots(const DeviceInfo &device, int cluster) {
  if (cluster == 1) return device.sm_count;
  static std::array<std::array<std::atomic<int>, kMaxSplit + 1>, 64> cache{};
  std::atomic<int> *slot =
      device.ordinal < 64 ? &cache[static_cast<size_t>(device.ordinal)][cluster] : nullptr;
  if (slot != nullptr && slot->load(std::memory_order_acquire) > 0) return slot->load();
  cudaLaunchAttribute attributes[2];
  const cudaLaunchConfig_t config =
      cluster_launch_config(static_cast<unsigned>(cluster * device.sm_count), T::kThreads,
                            T::kSmemBytes, cluster, false, nullptr, attributes);
  int clusters = 0;
  check_cuda(cudaOccupancyMaxActiveClusters(
                 &clusters, configured_kernel<In, Out, T>(device.ordinal), &config),
             "cudaOccupancyMaxActiveClusters(sm90 gemm_kernel)");
  const int blocks = clusters > 0 ? clusters * cluster : cluster;
  if (slot != nullptr) slot->store(blocks, std::memory_order_release);
  return blocks;
}

// Whether tiles [first_tile, first_tile + tiles) of the raster order pair up, each even tile t
// with tile t + 1 the next row tile of the same columns: so where the row tiles are even in
// number (every raster group then has an even number of rows) and the range starts and ends on
// a pair.
template <typename T>
bool tiles_pair(const GemmArgs &args, int64_t first_tile, int64_t tiles) {
  const int m_tiles = (args.m + T::kBlockM - 1) / T::kBlockM;
  return T::kPairs && m_tiles % 2 == 0 && first_tile % 2 == 0 && tiles % 2 == 0;
}

// Launches tiles [first_tile, first_tile + tiles) of the raster order: unsplit, a persistent
// grid of one block per SM (at most one per tile), in pairs sharing B where the tiles pair up;
// split, `split` blocks per tile. With `bands` > 0 (unsplit, unpaired) the row tiles are that
// many bands of A's rows (band_of), each of at most T::kBlockM rows.
template <typename In, typename Out, typename T>
void launch(const GemmArgs &args, const DeviceInfo &device, int64_t first_tile, int64_t tiles,
            int split, cudaStream_t stream, int bands = 0) {
  const int peers = split == 1 && bands == 0 && tiles_pair<T>(args, first_tile, tiles) ? 2 : 1;
  const uint64_t kept = static_cast<uint64_t>(args.k / 2);
  auto a_map_of = [&](uint32_t box_rows) {
    return make_tensor_map_2d(args.values, 2, kept, args.padded_m, kept * 2, kBlockK / 2, box_rows,
                              CU_TENSOR_MAP_SWIZZLE_64B);
  };
  // Metadata as bytes: one row per 16-row block, 64 bytes per 32 dense columns.
  const uint64_t meta_row = static_cast<uint64_t>(args.k / 32) * 64;
  auto meta_map_of = [&](uint32_t box_rows) {
    return make_tensor_map_2d(args.metadata, 1, meta_row, args.padded_m / 16, meta_row,
                              kBlockK / 32 * 64, box_rows / 16, CU_TENSOR_MAP_SWIZZLE_NONE);
  };
  // The rows of a full row tile and of the shorter one: the last row tile's stored rows (16 to
  // kBlockM), or the bands' two heights; and the rows of the last column tile's one partial part
  // of B (a block's kBlockN / peers rows). A tail that is whole reuses the full box's map.
  const int64_t row_blocks = args.padded_m / 16;
  const uint32_t a_full =
      bands == 0 ? T::kBlockM : static_cast<uint32_t>((row_blocks + bands - 1) / bands * 16);
  const uint32_t a_tail =
      bands == 0 ? args.padded_m - (args.padded_m - 1) / T::kBlockM * T::kBlockM
                 : static_cast<uint32_t>(row_blocks / bands * 16);
  const CUtensorMap a_map = a_map_of(a_full), meta_map = meta_map_of(a_full);
  const uint32_t b_part = T::kBlockN / peers;
  const uint32_t b_tail = (args.n - (args.n - 1) / T::kBlockN * T::kBlockN) % b_part;
  const CUtensorMap a_tail_map = a_tail == a_full ? a_map : a_map_of(a_tail);
  const CUtensorMap meta_tail_map = a_tail == a_full ? meta_map : meta_map_of(a_tail);
  auto b_map_of = [&](uint32_t box_rows) {
    return make_tensor_map_2d(args.b, 2, args.k, args.n, static_cast<uint64_t>(args.ldb) * 2,
                              kBlockK, box_rows, CU_TENSOR_MAP_SWIZZLE_128B);
  };
  const CUtensorMap b_map = b_map_of(b_part);
  const CUtensorMap b_tail_map = b_tail == 0 ? b_map : b_map_of(b_tail);
  const int k_tiles = (args.k + kBlockK - 1) / kBlockK;
  const int k_tiles_per_split = (k_tiles + split - 1) / split;
  // Pairs: as many as run at once (an even number, as the tiles are).
  const int64_t blocks =
      split > 1 ? tiles * split
                : std::min<int64_t>(tiles, cluster_slots<In, Out, T>(device, peers));
  auto launch_kernel = [&](auto kernel) {
    launch_in_clusters(kernel, static_cast<unsigned>(blocks), T::kThreads, T::kSmemBytes,
                       split * peers, true, stream, "sm90 gemm_kernel launch", a_map,
                       a_tail_map, b_map, b_tail_map, meta_map, meta_tail_map, args,
                       static_cast<int>(first_tile), static_cast<int>(tiles), split,
                       k_tiles_per_split, bands, static_cast<int>(a_full));
  };
  if constexpr (T::kPairs)
    if (peers == 2) return launch_kernel(configured_kernel<In, Out, T, 2>(device.ordinal));
  launch_kernel(configured_kernel<In, Out, T>(device.ordinal));
}

// Blocks per tile (a cluster splitting K) for `tiles` tiles that fill less than one wave: the
// largest split, 2 to kMaxSplit, whose clusters all run at once (tiles x split <= slots(split))
// and leave each block kMinKTilesPerSplit k tiles; 1 where none does. Measured on the H100,
// splits whose clusters take two rounds were slower than the unsplit tiles although they fill
// the SMs better: 80 tiles split 3 ways (2 rounds) qkv at batch 128 41.7 -> 57.0 us, at batch 256
// 74.7 -> 92.1 us; in one round, qkv at batch 512's last 28 tiles split 4 ways 150.7 -> 113.3 us.
template <typename Slots>
int choose_split(int64_t tiles, int k, int sm_count, Slots slots) {
  if (tiles >= sm_count) return 1;
  const int k_tiles = (k + kBlockK - 1) / kBlockK;
  int best = 1;
  for (int split = 2; split <= kMaxSplit && k_tiles >= split * kMinKTilesPerSplit; ++split)
    if (tiles * split <= slots(split)) best = split;
  return best;
}

// All `tiles` tiles of one shape: whole waves unsplit; a last, partial wave that a split fills
// better (choose_split) as a launch of its own, so that only it runs in clusters (splitting every
// tile where they make more than a wave was 1.3-1.4x slower on the H100: qkv at batch 512-1024,
// gate at 512, gate_up at 256).
struct Waves {
  int64_t whole, rest;  // tiles in whole waves, tiles after them
  int rest_split;
  // Time in units of one tile per SM: the whole waves, then the rest split `rest_split` ways.
  double rounds(int sm_count) const {
    return static_cast<double>(whole / sm_count) + (rest > 0 ? 1.0 / rest_split : 0.0);
  }
};

template <typename T>
int64_t tile_count(const GemmArgs &args) {
  return int64_t{(args.m + T::kBlockM - 1) / T::kBlockM} * ((args.n + T::kBlockN - 1) / T::kBlockN);
}

template <typename In, typename Out, typename T>
Waves plan_waves(const GemmArgs &args, const DeviceInfo &device) {
  const int64_t tiles = tile_count<T>(args);
  const int64_t whole = tiles / device.sm_count * device.sm_count, rest = tiles - whole;
  auto slots = [&](int split) { return cluster_slots<In, Out, T>(device, split); };
  return {whole, rest, rest > 0 ? choose_split(rest, args.k, device.sm_count, slots) : 1};
}

template <typename In, typename Out, typename T>
void launch_waves(const GemmArgs &args, const DeviceInfo &device, const Waves &waves,
                  cudaStream_t stream) {
  if (waves.whole == 0 || waves.rest_split == 1)
    return launch<In, Out, T>(args, device, 0, waves.whole + waves.rest, waves.rest_split, stream);
  launch<In, Out, T>(args, device, 0, waves.whole, 1, stream);
  launch<In, Out, T>(args, device, waves.whole, waves.rest, waves.rest_split, stream);
}

// Tile height, by time ~ rounds x height (one block of any height per SM). 256-row tiles read a
// third less from L2 per FLOP than 128-row ones, which they give way to only where they leave SMs
// idle and the smaller tiles take fewer rounds (measured on the H100: o at batch 128, 32 tall
// blocks, 0.067 -> 0.046 ms). From batch 129 on, 192-row tiles (three consumer warpgroups) where
// the estimate is 20% below the 256-row tiles': measured on the H100, qkv (10240 rows) at batch
// 136-256, 80 tall tiles on 132 SMs or 108 of 192 rows, -13 to -19%, o at 288 -20%; at 10-15%
// (gate at 192-320) they were 7-14% slower. Below batch 129 the product is bound by reading A.
// The plan: the chosen height, its waves and the estimate (rows x rounds).
struct Sized {
  int rows;
  Waves waves;
  double time;
};

template <typename In, typename Out, int kBlockN>
Sized plan_sized(const GemmArgs &args, const DeviceInfo &device) {
  using Tall = Tile<2, 2, kBlockN>;
  using Short = Tile<2, 1, kBlockN>;
  const int sms = device.sm_count;
  const int64_t tall = tile_count<Tall>(args), short_ = tile_count<Short>(args);
  auto waves = [&](int64_t blocks) { return (blocks + sms - 1) / sms; };
  if (tall < sms && waves(short_) * 128 < waves(tall) * 256) {
    const Waves short_waves = plan_waves<In, Out, Short>(args, device);
    return {128, short_waves, 128 * short_waves.rounds(sms)};
  }
  const Waves tall_waves = plan_waves<In, Out, Tall>(args, device);
  if constexpr (kBlockN == 128) {
    using Mid = Tile<3, 1, kBlockN>;
    const Waves mid_waves = plan_waves<In, Out, Mid>(args, device);
    if (args.n > 128 && 192 * mid_waves.rounds(sms) < 0.8 * 256 * tall_waves.rounds(sms))
      return {192, mid_waves, 192 * mid_waves.rounds(sms)};
  }
  return {256, tall_waves, 256 * tall_waves.rounds(sms)};
}

template <typename In, typename Out, int kBlockN>
void launch_sized(const Sized &sized, const GemmArgs &args, const DeviceInfo &device,
                  cudaStream_t stream) {
  if (sized.rows == 128)
    return launch_waves<In, Out, Tile<2, 1, kBlockN>>(args, device, sized.waves, stream);
  if constexpr (kBlockN == 128)
    if (sized.rows == 192)
      return launch_waves<In, Out, Tile<3, 1, kBlockN>>(args, device, sized.waves, stream);
  launch_waves<In, Out, Tile<2, 2, kBlockN>>(args, device, sized.waves, stream);
}

// A batch of at most 64 takes 64-column tiles: in 128-column ones wgmma would read and multiply
// as many zero columns of B as real ones.
// From batch kWideMinN on, 128 x 256 tiles (Wide): m64n256k32 reads A's 2 KB from shared memory
// once for 256 columns, where the 128-column tiles read it twice. From kWideFromN (where the
// 128-column tiles need a second column tile), where the estimate (a 128 x 256 tile counted as a
// 256 x 128 one) is no longer than the 128-column tiles' and, where the tiles make less than one
// wave, a split leaves each block kWideMinKTilesPerSplit k tiles: measured on the H100 at batch
// 256, down (64 tiles split 2 ways, 224 k tiles each) 157 -> 144 us; o and qkv, whose splits
// keep 64 k tiles, were 13-17% slower, and at 257-383 a second 256-column tile is mostly padding
// (the estimate counts it). At batch 160 and 192 (f16, 2026-11-24), down 153 -> 134 and 158 ->
// 139 us, gate 160 -> 138 and 164 -> 149 us: the padding columns cost less than reading A twice.
// A split of only the last partial wave after whole ones needs no such length (sustained
// rotated A/B, f16 and bf16): gate_up at 160-192 347-368 -> 286-303 us, at 256 -2 to -3%, gate
// at 448 -6 to -9%; qkv at 320-448 (132 tiles, then 28 split 4 ways over 32 k tiles) -1 to +2%.
// Nor, since a split tile stores its share as an unsplit one does (b5fd52f), where the last
// column tile is at least 7/8 full: o split 2 ways over 64 k tiles (sustained rotated A/B, f16
// and bf16) at 256 48.2 -> 44.1 and 46.4 -> 44.6 us, at 224 -5 to -11%; at 192 +-1%, at 136-160
// 2-5% slower, so below that fill the length still applies. Since 2026-11-25 the layers with
// K <= kSm90WideBandsMaxK read batch 129-192 in row bands of one 192-column tile instead
// (launch_bands, faster than all of the above); this rule decides for down and above batch 192.
constexpr int kWideFromN = 129, kWideMinN = 512, kWideMinKTilesPerSplit = 128;

// Row bands (sm90_reads_in_bands, batch <= 192, one column tile of 64, 128 or 192): the product is
// bound by reading A, and SMs do not read it equally fast (per-block timelines on the H100,
// 2026-11-24: a fixed set of 24 SMs streamed 28% faster than the others, and qkv's 80 tiles of
// 128 rows left 52 SMs idle), so an equal share for every SM matters more than whole tiles. The
// bands are waves x SMs of at most 128 rows, or one per SM of at most 64 rows where the 128-row
// ones would be no taller (one consumer warpgroup, twice the stages in flight). Measured on the
// H100 against the tiles of plan_sized (qkv: 80 tiles of 128 rows; o: 64 tiles split 2 ways),
// batch 16-64: qkv 39.5 -> 35.7 us, o at 32 31.8 -> 30.3, gate -3 to -4%, gate_up -2 to -3%, down
// +-2%; 256-row bands were slower (qkv 44.6 us), as were 128-row ones of 64 rows (o at 64 33.8
// us, down +10%). At batch 65-128 every SM reads all of B (up to 256 B a column of K) from L2,
// and still at K = 8192 (sm90_reads_in_bands): o at 128 36.9 -> 34.7 us, gate at 80 109.3 ->
// 101.7, gate_up -2 to -6%, qkv -5% at 80-96; bands in 2-block clusters sharing B (TMA
// multicast) were slower (qkv 128 51.6 us, down 128 127.6): a pair goes at its slower SM's pace.
// At batch 129-192, one 192-column tile (m64n192k32) where the tiles took a 256-column one or two
// of 128 columns, as the 128-column tile did at 65-128 (this or launch_split_over_bands; best
// of 2 in rotation, f16 and bf16, H100, 2026-11-25): qkv at 129 60.5 -> 46.1 us, o 43.7 ->
// 37.0, gate 139.1 -> 117.7, gate_up 277.6 -> 237.2, -13 to -24% at 129-192 (down, K = 28672,
// keeps its tiles). 256-column bands of 64 rows at 193-256 (o) were 8-20% slower than the
// 128 x 256 tiles split 2 ways.
// The rows of a band's blocks: 64 (one consumer warpgroup, a band per SM) where the 128-row
// blocks' bands would be no taller, else 128.
inline int band_block_rows(const GemmArgs &args, int sm_count) {
  return args.padded_m / 16 <= 4 * int64_t{sm_count} ? 64 : 128;
}

template <typename In, typename Out>
void launch_bands(const GemmArgs &args, const DeviceInfo &device, cudaStream_t stream) {
  const int64_t row_blocks = args.padded_m / 16, sms = device.sm_count;
  auto launch_in = [&](auto tile, int64_t bands) {
    using T = decltype(tile);
    launch<In, Out, T>(args, device, 0, bands, 1, stream, static_cast<int>(bands));
  };
  auto launch_n = [&](auto columns) {
    constexpr int kBlockN = decltype(columns)::value;
    if (band_block_rows(args, device.sm_count) == 64)
      return launch_in(Tile<1, 1, kBlockN>{}, sms);
    launch_in(Tile<2, 1, kBlockN>{}, (row_blocks + 8 * sms - 1) / (8 * sms) * sms);
  };
  if (args.n <= 64) return launch_n(std::integral_constant<int, 64>{});
  if (args.n <= 128) return launch_n(std::integral_constant<int, 128>{});
  launch_n(std::integral_constant<int, 192>{});
}

// Above batch 64, where the bands would be read with one column tile of 128 or 192 columns: tiles
// of 128 or 192 rows and those columns split 2 ways over K instead, where they all run at once and
// a block multiplies no more rows than a band's warpgroups (a band block's 64 rows a warpgroup
// against a split tile's rows / 2), since a split tile stores its share as an unsplit one does
// (b5fd52f). Measured on the H100 (f16 and bf16, best of 2 in rotation, 2026-11-24) at batch
// 72-128: qkv's 54 tiles of 192 rows (bands: 132 of 64-80 rows in 128-row blocks) at 128 49.1 ->
// 46.1 us f16, 45.6 -> 45.2 bf16, at 80-120 -3 to -6%; o's 64 tiles of 128 rows (bands of 62 rows
// in 64-row blocks) at 80 36.8 -> 34.6 us, at 96-128 0 to -13%; at 72 both within 1%. Returns
// whether it launched.
template <typename In, typename Out>
bool launch_split_over_bands(const GemmArgs &args, const DeviceInfo &device,
                             cudaStream_t stream) {
  const int band_rows = band_block_rows(args, device.sm_count);
  const int k_tiles = (args.k + kBlockK - 1) / kBlockK;
  if (args.n <= kSm90NarrowBandsMaxN || k_tiles < 2 * kMinKTilesPerSplit) return false;
  auto split_in_one_round = [&](auto tile) {
    using T = decltype(tile);
    const int64_t tiles = tile_count<T>(args);
    if (T::kBlockM / 2 > band_rows || tiles * 2 > cluster_slots<In, Out, T>(device, 2))
      return false;
    launch<In, Out, T>(args, device, 0, tiles, 2, stream);
    return true;
  };
  if (args.n <= 128)
    return split_in_one_round(Tile<2, 1, 128>{}) || split_in_one_round(Tile<3, 1, 128>{});
  return split_in_one_round(Tile<2, 1, 192>{}) || split_in_one_round(Tile<3, 1, 192>{});
}

template <typename In, typename Out>
void launch_width(const GemmArgs &args, const DeviceInfo &device, cudaStream_t stream) {
  using Wide = Tile<2, 1, 256>;
  if (sm90_reads_in_bands(args, device.sm_count)) {
    if (launch_split_over_bands<In, Out>(args, device, stream)) return;
    return launch_bands<In, Out>(args, device, stream);
  }
  if (args.n <= 64)
    return launch_sized<In, Out, 64>(plan_sized<In, Out, 64>(args, device), args, device, stream);
  if (args.n >= kWideMinN)
    return launch_waves<In, Out, Wide>(args, device, plan_waves<In, Out, Wide>(args, device),
                                       stream);
  // Past K = kSm90WideBandsMaxK (down), where the bands give way to tiles above batch 64, at
  // 129-192 the 192-column tiles split 2 ways as where the bands run (launch_split_over_bands)
  // rather than a 256-column tile mostly padding (down at 129-192 on the H100, 2026-11-25: -9 to
  // -13%, 125.7 -> 110.2 us at 129).
  if (args.n > 128 && args.n <= kSm90BandsMaxN && sm90_band_rows_suffice(args, device.sm_count) &&
      launch_split_over_bands<In, Out>(args, device, stream))
    return;
  const Sized sized = plan_sized<In, Out, 128>(args, device);
  if (args.n >= kWideFromN) {
    const Waves wide = plan_waves<In, Out, Wide>(args, device);
    const int k_tiles = (args.k + kBlockK - 1) / kBlockK;
    const int last_columns = args.n - (args.n - 1) / 256 * 256;  // of the last column tile
    if (256 * wide.rounds(device.sm_count) <= sized.time &&
        (wide.rest_split == 1 || wide.whole > 0 || 8 * last_columns >= 7 * 256 ||
         k_tiles / wide.rest_split >= kWideMinKTilesPerSplit))
      return launch_waves<In, Out, Wide>(args, device, wide, stream);
  }
  launch_sized<In, Out, 128>(sized, args, device, stream);
}

template <typename In>
void dispatch(sf_dtype_t output, const GemmArgs &args, const DeviceInfo &device,
              cudaStream_t stream) {
  switch (output) {
    case SF_DTYPE_F16: return launch_width<In, __half>(args, device, stream);
    case SF_DTYPE_BF16: return launch_width<In, __nv_bfloat16>(args, device, stream);
    case SF_DTYPE_F32: return launch_width<In, float>(args, device, stream);
  }
}

}  // namespace sparseflow::sm90
