// The 2:4 rules shared bit for bit by the CPU and GPU paths: which two elements of a group of
// four pruning keeps, which positions compression records, and how a group's metadata nibble is
// encoded. Every function works on raw bit patterns so host and device agree exactly.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define SF_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define SF_HOST_DEVICE inline
#endif

namespace sparseflow {

// Bit patterns of the three element types and what "magnitude" and "zero" mean for each.
// Magnitude is the bit pattern with the sign cleared: for IEEE-style formats that orders finite
// values by |x|, puts +-Inf above them, and puts every NaN above Inf.
struct Bits16 {
  using word = uint16_t;
  static constexpr uint16_t kMagnitudeMask = 0x7fffu;
};
struct Bits32 {
  using word = uint32_t;
  static constexpr uint32_t kMagnitudeMask = 0x7fffffffu;
};

template <typename Bits>
SF_HOST_DEVICE typename Bits::word magnitude_key(typename Bits::word w) {
  return static_cast<typename Bits::word>(w & Bits::kMagnitudeMask);
}

// +0 and -0 are zero; NaN is not.
template <typename Bits>
SF_HOST_DEVICE bool is_zero(typename Bits::word w) {
  return magnitude_key<Bits>(w) == 0;
}

// Bit i (0..3) set for every element pruning keeps: the two of largest magnitude key, ties to
// the lower index. Element i beats j when key_i > key_j, or key_i == key_j and i < j; an element
// is kept when fewer than two others beat it.
template <typename Bits>
SF_HOST_DEVICE unsigned prune_keep_mask(const typename Bits::word (&w)[4]) {
  unsigned mask = 0;
  for (int i = 0; i < 4; ++i) {
    const auto ki = magnitude_key<Bits>(w[i]);
    int beaten_by = 0;
    for (int j = 0; j < 4; ++j) {
      if (j == i) continue;
      const auto kj = magnitude_key<Bits>(w[j]);
      if (kj > ki || (kj == ki && j < i)) ++beaten_by;
    }
    if (beaten_by < 2) mask |= 1u << i;
  }
  return mask;
}

// Number of non-zero elements in a group; more than 2 breaks 2:4.
template <typename Bits>
SF_HOST_DEVICE int nonzero_count(const typename Bits::word (&w)[4]) {
  int n = 0;
  for (int i = 0; i < 4; ++i) n += is_zero<Bits>(w[i]) ? 0 : 1;
  return n;
}

// The two positions compression records for a 2:4 group (at most two non-zeros): the non-zero
// positions, completed with the lowest-index zero positions, in increasing order.
// Returns the metadata nibble: low 2 bits the first index, high 2 bits the second.
template <typename Bits>
SF_HOST_DEVICE unsigned compress_positions(const typename Bits::word (&w)[4], int *first,
                                           int *second) {
  unsigned chosen = 0;
  int count = 0;
  for (int i = 0; i < 4 && count < 2; ++i)
    if (!is_zero<Bits>(w[i])) { chosen |= 1u << i; ++count; }
  for (int i = 0; i < 4 && count < 2; ++i)
    if (!(chosen & (1u << i))) { chosen |= 1u << i; ++count; }
  int idx[2] = {0, 0};
  int k = 0;
  for (int i = 0; i < 4; ++i)
    if (chosen & (1u << i)) idx[k++] = i;
  *first = idx[0];
  *second = idx[1];
  return static_cast<unsigned>(idx[0]) | (static_cast<unsigned>(idx[1]) << 2);
}

// Metadata nibble of a padding group (rows past M): indices 0 and 1, a valid pattern for the
// tensor cores (equal indices are undefined behaviour there).
constexpr unsigned kPaddingNibble = 0x4u;
constexpr uint32_t kPaddingMetadataWord = 0x44444444u;

// Where the metadata of row r, group g (group = 4 dense columns) lives in format version 1.
// Metadata is stored in chunks of 16 rows x 32 dense columns (8 groups), one chunk per
// m16n8k32 mma.sp step, chunks ordered [row_block][k_block]. A chunk is 16 uint32 words in the
// order of the lanes that feed them with sparsity selector 0: word 2*q + h goes to lane 4*q + h
// (q = lane >> 2 = row within the half-tile, h = 0 or 1 = which half of the 8 groups). Bits 15:0
// of a word hold row q's 4 groups (4 bits each, group 4h+i at bits 4i..4i+3), bits 31:16 the
// same groups of row q + 8.
struct MetadataSlot {
  uint64_t word;   // index of the uint32 word in the metadata array
  unsigned shift;  // bit offset of the group's nibble in that word
};

SF_HOST_DEVICE MetadataSlot metadata_slot(int64_t row, int64_t group, int64_t k_blocks) {
  const int64_t row_block = row >> 4;
  const int64_t k_block = group >> 3;
  const unsigned r = static_cast<unsigned>(row & 15);
  const unsigned g = static_cast<unsigned>(group & 7);
  const unsigned q = r & 7;
  const unsigned upper = r >> 3;
  const unsigned h = g >> 2;
  const uint64_t chunk = static_cast<uint64_t>(row_block * k_blocks + k_block);
  return MetadataSlot{chunk * 16u + 2u * q + h, 16u * upper + 4u * (g & 3u)};
}

}  // namespace sparseflow
