#include "host_sparsity.hpp"

#include <atomic>
#include <cstring>

#include "../kernels/sparsity_rules.hpp"
#include "parallel.hpp"

namespace sparseflow {
namespace {

template <typename Bits>
void prune_rows(int64_t begin, int64_t end, int64_t cols, const void *src, int64_t ld_src,
                void *dst, int64_t ld_dst) {
  using Word = typename Bits::word;
  for (int64_t r = begin; r < end; ++r) {
    const Word *in = static_cast<const Word *>(src) + r * ld_src;
    Word *out = static_cast<Word *>(dst) + r * ld_dst;
    for (int64_t c = 0; c < cols; c += 4) {
      const Word group[4] = {in[c], in[c + 1], in[c + 2], in[c + 3]};
      const unsigned keep = prune_keep_mask<Bits>(group);
      for (int i = 0; i < 4; ++i) out[c + i] = (keep >> i) & 1u ? group[i] : Word{0};
    }
  }
}

template <typename Bits>
int64_t count_rows(int64_t begin, int64_t end, int64_t cols, const void *src, int64_t ld) {
  using Word = typename Bits::word;
  int64_t violations = 0;
  for (int64_t r = begin; r < end; ++r) {
    const Word *in = static_cast<const Word *>(src) + r * ld;
    for (int64_t c = 0; c < cols; c += 4) {
      const Word group[4] = {in[c], in[c + 1], in[c + 2], in[c + 3]};
      violations += nonzero_count<Bits>(group) > 2 ? 1 : 0;
    }
  }
  return violations;
}

// Values and metadata of one block of 16 rows.
void compress_row_block(const sf_compressed_header_t &h, int64_t block, const uint16_t *src,
                        int64_t ld, uint8_t *dst) {
  const int64_t cols = h.cols;
  const int64_t k_blocks = cols / 32;
  uint16_t *values = reinterpret_cast<uint16_t *>(dst + h.values_offset);
  uint32_t *metadata = reinterpret_cast<uint32_t *>(dst + h.metadata_offset);
  for (int64_t r = block * 16; r < block * 16 + 16; ++r) {
    uint16_t *out = values + r * (cols / 2);
    if (r >= h.rows) {
      std::memset(out, 0, static_cast<size_t>(cols / 2) * sizeof(uint16_t));
      continue;
    }
    const uint16_t *in = src + r * ld;
    for (int64_t g = 0; g < cols / 4; ++g) {
      const uint16_t group[4] = {in[4 * g], in[4 * g + 1], in[4 * g + 2], in[4 * g + 3]};
      int first = 0, second = 0;
      compress_positions<Bits16>(group, &first, &second);
      out[2 * g] = group[first];
      out[2 * g + 1] = group[second];
    }
  }
  // Each metadata word gathers 4 groups of two rows (see metadata_slot).
  for (int64_t kb = 0; kb < k_blocks; ++kb) {
    for (unsigned w = 0; w < 16; ++w) {
      const unsigned q = w / 2, half = w % 2;
      uint32_t word = 0;
      for (unsigned upper = 0; upper < 2; ++upper) {
        const int64_t r = block * 16 + q + 8 * upper;
        for (unsigned i = 0; i < 4; ++i) {
          const int64_t g = kb * 8 + half * 4 + i;
          unsigned nibble = kPaddingNibble;
          if (r < h.rows) {
            const uint16_t *in = src + r * ld + 4 * g;
            const uint16_t group[4] = {in[0], in[1], in[2], in[3]};
            int first = 0, second = 0;
            nibble = compress_positions<Bits16>(group, &first, &second);
          }
          word |= static_cast<uint32_t>(nibble) << (16 * upper + 4 * i);
        }
      }
      metadata[(block * k_blocks + kb) * 16 + w] = word;
    }
  }
}

}  // namespace

void prune_host(size_t element_size, int64_t rows, int64_t cols, const void *src, int64_t ld_src,
                void *dst, int64_t ld_dst) {
  parallel_for(rows, cols, [&](int64_t begin, int64_t end) {
    if (element_size == 2)
      prune_rows<Bits16>(begin, end, cols, src, ld_src, dst, ld_dst);
    else
      prune_rows<Bits32>(begin, end, cols, src, ld_src, dst, ld_dst);
  });
}

int64_t count_violations_host(size_t element_size, int64_t rows, int64_t cols, const void *src,
                              int64_t ld) {
  std::atomic<int64_t> total{0};
  parallel_for(rows, cols, [&](int64_t begin, int64_t end) {
    total += element_size == 2 ? count_rows<Bits16>(begin, end, cols, src, ld)
                               : count_rows<Bits32>(begin, end, cols, src, ld);
  });
  return total.load();
}

void compress_host(const sf_compressed_header_t &h, const void *src, int64_t ld, void *dst) {
  uint8_t *out = static_cast<uint8_t *>(dst);
  std::memset(out, 0, h.values_offset);
  std::memcpy(out, &h, sizeof h);
  const uint64_t values_end = h.values_offset + h.values_bytes;
  std::memset(out + values_end, 0, h.metadata_offset - values_end);
  parallel_for(h.padded_rows / 16, 16 * h.cols, [&](int64_t begin, int64_t end) {
    for (int64_t block = begin; block < end; ++block)
      compress_row_block(h, block, static_cast<const uint16_t *>(src), ld, out);
  });
}

void decompress_host(const sf_compressed_header_t &h, const void *src, void *dst, int64_t ld_dst) {
  const uint8_t *in = static_cast<const uint8_t *>(src);
  const uint16_t *values = reinterpret_cast<const uint16_t *>(in + h.values_offset);
  const uint32_t *metadata = reinterpret_cast<const uint32_t *>(in + h.metadata_offset);
  const int64_t cols = h.cols;
  parallel_for(h.rows, cols, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      uint16_t *out = static_cast<uint16_t *>(dst) + r * ld_dst;
      for (int64_t g = 0; g < cols / 4; ++g) {
        const MetadataSlot slot = metadata_slot(r, g, cols / 32);
        const unsigned nibble = (metadata[slot.word] >> slot.shift) & 0xfu;
        out[4 * g] = out[4 * g + 1] = out[4 * g + 2] = out[4 * g + 3] = 0;
        out[4 * g + (nibble & 3u)] = values[r * (cols / 2) + 2 * g];
        out[4 * g + (nibble >> 2)] = values[r * (cols / 2) + 2 * g + 1];
      }
    }
  });
}

}  // namespace sparseflow
