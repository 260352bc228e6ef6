#include <algorithm>

#include "../src/device.hpp"
#include "../src/format.hpp"
#include "sparsity_kernels.hpp"
#include "sparsity_rules.hpp"

namespace sparseflow {
namespace {

constexpr int kThreads = 256;
// The header region is written as 32-bit words. Format 1 has no gap between the values and the
// metadata (values_bytes is a multiple of 512), so these kernels cover every byte.
constexpr int64_t kHeaderWords = kHeaderBytes / 4;

// Enough blocks to fill the device; kernels loop over the rest (grid-stride).
unsigned grid_for(int64_t items) {
  const int64_t blocks = (items + kThreads - 1) / kThreads;
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(blocks, 65536)));
}

void check_launch(const char *kernel) { check_cuda(cudaGetLastError(), kernel); }

template <typename Bits>
__global__ void prune_kernel(int64_t rows, int64_t groups_per_row, const void *src,
                             int64_t ld_src, void *dst, int64_t ld_dst) {
  using Word = typename Bits::word;
  const int64_t total = rows * groups_per_row;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / groups_per_row, c = 4 * (i % groups_per_row);
    const Word *in = static_cast<const Word *>(src) + r * ld_src + c;
    Word *out = static_cast<Word *>(dst) + r * ld_dst + c;
    const Word group[4] = {in[0], in[1], in[2], in[3]};
    const unsigned keep = prune_keep_mask<Bits>(group);
    for (int k = 0; k < 4; ++k) out[k] = (keep >> k) & 1u ? group[k] : Word{0};
  }
}

template <typename Bits>
__global__ void count_violations_kernel(int64_t rows, int64_t groups_per_row, const void *src,
                                        int64_t ld, unsigned long long *counter) {
  using Word = typename Bits::word;
  const int64_t total = rows * groups_per_row;
  unsigned long long mine = 0;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / groups_per_row, c = 4 * (i % groups_per_row);
    const Word *in = static_cast<const Word *>(src) + r * ld + c;
    const Word group[4] = {in[0], in[1], in[2], in[3]};
    mine += nonzero_count<Bits>(group) > 2 ? 1u : 0u;
  }
  for (int offset = 16; offset > 0; offset /= 2) mine += __shfl_down_sync(0xffffffffu, mine, offset);
  if ((threadIdx.x & 31) == 0 && mine != 0) atomicAdd(counter, mine);  // integer sum: exact
}

// Kept values of every stored row (rows past M are zero).
__global__ void compress_values_kernel(int64_t rows, int64_t padded_rows, int64_t cols,
                                       const uint16_t *src, int64_t ld, uint16_t *values) {
  const int64_t groups_per_row = cols / 4;
  const int64_t total = padded_rows * groups_per_row;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / groups_per_row, g = i % groups_per_row;
    uint16_t kept[2] = {0, 0};
    if (r < rows) {
      const uint16_t *in = src + r * ld + 4 * g;
      const uint16_t group[4] = {in[0], in[1], in[2], in[3]};
      int first = 0, second = 0;
      compress_positions<Bits16>(group, &first, &second);
      kept[0] = group[first];
      kept[1] = group[second];
    }
    values[r * (cols / 2) + 2 * g] = kept[0];
    values[r * (cols / 2) + 2 * g + 1] = kept[1];
  }
}

// One thread per metadata word (see metadata_slot); the first 64 threads also write the 256-byte
// header region: the header, then zeros.
__global__ void compress_metadata_kernel(sf_compressed_header_t header, const uint16_t *src,
                                         int64_t ld, uint8_t *dst) {
  const int64_t k_blocks = header.cols / 32;
  const int64_t total_words = header.padded_rows / 16 * k_blocks * 16;
  uint32_t *metadata = reinterpret_cast<uint32_t *>(dst + header.metadata_offset);
  const int64_t first = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (first < kHeaderWords) {
    const uint32_t *words = reinterpret_cast<const uint32_t *>(&header);
    constexpr int kStructWords = sizeof(sf_compressed_header_t) / 4;
    reinterpret_cast<uint32_t *>(dst)[first] = first < kStructWords ? words[first] : 0u;
  }
  for (int64_t i = first; i < total_words; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t chunk = i / 16;
    const unsigned w = static_cast<unsigned>(i % 16), q = w / 2, half = w % 2;
    const int64_t block = chunk / k_blocks, kb = chunk % k_blocks;
    uint32_t word = 0;
    for (unsigned upper = 0; upper < 2; ++upper) {
      const int64_t r = block * 16 + q + 8 * upper;
      for (unsigned k = 0; k < 4; ++k) {
        unsigned nibble = kPaddingNibble;
        if (r < header.rows) {
          const uint16_t *in = src + r * ld + 4 * (kb * 8 + half * 4 + k);
          const uint16_t group[4] = {in[0], in[1], in[2], in[3]};
          int a = 0, b = 0;
          nibble = compress_positions<Bits16>(group, &a, &b);
        }
        word |= static_cast<uint32_t>(nibble) << (16 * upper + 4 * k);
      }
    }
    metadata[i] = word;
  }
}

__global__ void decompress_kernel(int64_t rows, int64_t cols, const uint16_t *values,
                                  const uint32_t *metadata, uint16_t *dst, int64_t ld_dst) {
  const int64_t groups_per_row = cols / 4;
  const int64_t total = rows * groups_per_row;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / groups_per_row, g = i % groups_per_row;
    const MetadataSlot slot = metadata_slot(r, g, cols / 32);
    const unsigned nibble = (metadata[slot.word] >> slot.shift) & 0xfu;
    uint16_t out[4] = {0, 0, 0, 0};
    out[nibble & 3u] = values[r * (cols / 2) + 2 * g];
    out[nibble >> 2] = values[r * (cols / 2) + 2 * g + 1];
    uint16_t *o = dst + r * ld_dst + 4 * g;
    for (int k = 0; k < 4; ++k) o[k] = out[k];
  }
}

}  // namespace

void prune_device(size_t element_size, int64_t rows, int64_t cols, const void *src,
                  int64_t ld_src, void *dst, int64_t ld_dst, cudaStream_t stream) {
  const unsigned grid = grid_for(rows * (cols / 4));
  if (element_size == 2)
    prune_kernel<Bits16><<<grid, kThreads, 0, stream>>>(rows, cols / 4, src, ld_src, dst, ld_dst);
  else
    prune_kernel<Bits32><<<grid, kThreads, 0, stream>>>(rows, cols / 4, src, ld_src, dst, ld_dst);
  check_launch("prune_kernel");
}

void count_violations_device(size_t element_size, int64_t rows, int64_t cols, const void *src,
                             int64_t ld, unsigned long long *counter, cudaStream_t stream) {
  const unsigned grid = grid_for(rows * (cols / 4));
  if (element_size == 2)
    count_violations_kernel<Bits16><<<grid, kThreads, 0, stream>>>(rows, cols / 4, src, ld, counter);
  else
    count_violations_kernel<Bits32><<<grid, kThreads, 0, stream>>>(rows, cols / 4, src, ld, counter);
  check_launch("count_violations_kernel");
}

void compress_device(const sf_compressed_header_t &header, const void *src, int64_t ld, void *dst,
                     cudaStream_t stream) {
  uint8_t *out = static_cast<uint8_t *>(dst);
  const auto *in = static_cast<const uint16_t *>(src);
  compress_values_kernel<<<grid_for(header.padded_rows * (header.cols / 4)), kThreads, 0, stream>>>(
      header.rows, header.padded_rows, header.cols, in, ld,
      reinterpret_cast<uint16_t *>(out + header.values_offset));
  check_launch("compress_values_kernel");
  compress_metadata_kernel<<<grid_for(std::max<int64_t>(kHeaderWords, header.padded_rows * header.cols / 32)),
                             kThreads, 0, stream>>>(header, in, ld, out);
  check_launch("compress_metadata_kernel");
}

void decompress_device(const sf_compressed_header_t &header, const void *src, void *dst,
                       int64_t ld_dst, cudaStream_t stream) {
  const uint8_t *in = static_cast<const uint8_t *>(src);
  decompress_kernel<<<grid_for(header.rows * (header.cols / 4)), kThreads, 0, stream>>>(
      header.rows, header.cols, reinterpret_cast<const uint16_t *>(in + header.values_offset),
      reinterpret_cast<const uint32_t *>(in + header.metadata_offset),
      static_cast<uint16_t *>(dst), ld_dst);
  check_launch("decompress_kernel");
}

}  // namespace sparseflow
