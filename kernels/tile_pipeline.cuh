// The shared-memory tile pipeline of the sm80 mma.sp kernel, and the helpers the sm90 kernel
// shares with it (smem alignment, per-device smem limit, metadata reads). One stage holds, for a
// block tile of 128 rows of A x 128 columns of B x 64 dense columns of K,
//   A's kept values  128 rows x 32 halves (64 B a row), 16-byte chunk c of row r at c ^ ((r/2) % 4)
//   B                linear: 128 rows (n) x 64 halves (128 B a row), chunk c of row r at c ^ (r % 8)
//                    row-major: 64 rows (k) x 128 halves (256 B a row), chunk c at c ^ (r % 8)
//   A's metadata     8 row blocks x 2 k blocks x 16 words, format-1 order
// These swizzles are the 64- and 128-byte patterns of TMA and wgmma descriptors, which is why
// the sm90 kernel (TMA-loaded, its own stage sizes) needed no format change. Everything here is
// copied with cp.async by all threads of the block.
#pragma once

#include <atomic>

#include "../src/device.hpp"
#include "gemm.hpp"
#include "ptx.cuh"
#include "sparsity_rules.hpp"

namespace sparseflow::tiles {

constexpr int kBlockM = 128, kBlockN = 128, kBlockK = 64;  // kBlockK counts dense columns
constexpr int kABytes = kBlockM * (kBlockK / 2) * 2;
constexpr int kBBytes = kBlockN * kBlockK * 2;
constexpr int kMetaBytes = (kBlockM / 16) * (kBlockK / 32) * 16 * 4;
// A stage starts with B so that B keeps the 1024-byte alignment of the stage.
constexpr int kBOffset = 0, kAOffset = kBBytes, kMetaOffset = kBBytes + kABytes;
constexpr int kStageBytes = kBBytes + kABytes + kMetaBytes;
static_assert(kStageBytes % 1024 == 0, "stages must keep B 1024-byte aligned");

__device__ __forceinline__ int a_chunk_offset(int row, int chunk) {
  return row * 64 + ((chunk ^ ((row >> 1) & 3)) << 4);
}
__device__ __forceinline__ int b_linear_chunk_offset(int row, int chunk) {
  return row * 128 + ((chunk ^ (row & 7)) << 4);
}
__device__ __forceinline__ int b_row_major_chunk_offset(int row, int chunk) {
  return row * 256 + ((chunk ^ (row & 7)) << 4);
}

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

// Issues the copies of k tile `kt` of the block tile at (m0, n0) into `stage`, using threads
// tid = 0 .. threads-1. Rows past padded_m, columns past n and the missing half of a 32-column
// tail tile are zero; metadata chunks past the matrix get the valid padding pattern (equal
// indices would be undefined behaviour).
template <bool kLinear>
__device__ __forceinline__ void load_tile(uint8_t *stage, const GemmArgs &args, int m0, int n0,
                                          int kt, int tid, int threads) {
  const int K = args.k, N = args.n;
  const int k_blocks = K / 32;
  const int k0 = kt * kBlockK;
  const int k_valid = min(kBlockK, K - k0);  // 32 or 64: K is a multiple of 32
  const auto *values = static_cast<const uint16_t *>(args.values);
  const auto *b = static_cast<const uint16_t *>(args.b);
  for (int i = tid; i < kBlockM * 4; i += threads) {
    const int row = i >> 2, c = i & 3;
    const bool ok = m0 + row < args.padded_m && c * 8 < k_valid / 2;
    const uint16_t *src = ok ? values + (size_t)(m0 + row) * (K / 2) + k0 / 2 + c * 8 : values;
    ptx::cp_async_16(ptx::shared_address(stage + kAOffset + a_chunk_offset(row, c)), src,
                     ok ? 16 : 0);
  }
  for (int i = tid; i < kMetaBytes / 16; i += threads) {
    const int mt = i >> 3, kb = (i >> 2) & 1, part = i & 3;
    const int g_mt = m0 / 16 + mt, g_kb = k0 / 32 + kb;
    uint8_t *dst = stage + kMetaOffset + ((mt * 2 + kb) * 16 + part * 4) * 4;
    if (g_mt < args.padded_m / 16 && g_kb < k_blocks)
      ptx::cp_async_16(ptx::shared_address(dst),
                       args.metadata + ((size_t)g_mt * k_blocks + g_kb) * 16 + part * 4, 16);
    else
      *reinterpret_cast<uint4 *>(dst) = make_uint4(kPaddingMetadataWord, kPaddingMetadataWord,
                                                   kPaddingMetadataWord, kPaddingMetadataWord);
  }
  if constexpr (kLinear) {
    for (int i = tid; i < kBlockN * 8; i += threads) {
      const int row = i >> 3, c = i & 7;
      const int n = n0 + row, k = k0 + c * 8;
      const bool ok = n < N && k < K;
      load_chunk(stage + kBOffset + b_linear_chunk_offset(row, c),
                 ok ? b + (size_t)n * args.ldb + k : b, ok ? 8 : 0);
    }
  } else {
    for (int i = tid; i < kBlockK * 16; i += threads) {
      const int row = i >> 4, c = i & 15;
      const int k = k0 + row, n = n0 + c * 8;
      const int valid = k < K ? max(0, min(8, N - n)) : 0;
      load_chunk(stage + kBOffset + b_row_major_chunk_offset(row, c),
                 valid > 0 ? b + (size_t)k * args.ldb + n : b, valid);
    }
  }
}

// ldmatrix of the A fragment of rows row0 .. row0+15, 32-column step ks of the stage: lane l
// addresses row row0 + (l % 8) + 8 * ((l / 8) % 2), chunk 2 * ks + l / 16.
__device__ __forceinline__ void load_a_fragment(uint32_t (&a)[4], const uint8_t *stage, int row0,
                                                int ks, int lane) {
  const int row = row0 + (lane & 7) + ((lane >> 3) & 1) * 8;
  ptx::ldmatrix_x4(a, ptx::shared_address(stage + kAOffset + a_chunk_offset(row, ks * 2 + (lane >> 4))));
}

// The metadata word lane `lane` supplies (selector 0) for 16-row block mt of a tile whose
// metadata (row blocks x 2 k blocks x 16 words) starts at `metadata`, 32-column step ks.
__device__ __forceinline__ uint32_t load_metadata(const uint8_t *metadata, int mt, int ks, int lane) {
  const auto *meta = reinterpret_cast<const uint32_t *>(metadata);
  return meta[(mt * 2 + ks) * 16 + (lane >> 2) * 2 + (lane & 1)];
}

// Dynamic shared memory for `stages` stages, 1024-byte aligned by the kernel (hence the slack).
constexpr int smem_bytes(int stages) { return stages * kStageBytes + 1024; }

__device__ __forceinline__ uint8_t *aligned_smem(uint8_t *raw) {
  const uint32_t address = ptx::shared_address(raw);
  return raw + ((1024 - (address & 1023)) & 1023);
}

// Raises a kernel's dynamic shared-memory limit once per device (a per-device attribute; racing
// threads set the same value).
template <typename Kernel>
void configure_smem(Kernel kernel, int bytes, int device, std::atomic<uint64_t> &configured) {
  const uint64_t bit = device < 64 ? uint64_t{1} << device : 0;
  if (bit != 0 && (configured.load(std::memory_order_acquire) & bit)) return;
  check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes),
             "cudaFuncSetAttribute(MaxDynamicSharedMemorySize)");
  configured.fetch_or(bit, std::memory_order_acq_rel);
}

}  // namespace sparseflow::tiles
