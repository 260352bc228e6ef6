// Helpers shared by the tests: element conversions, random matrices, a CUDA check, and the
// format-1 metadata position written from README.md's description (independently of the
// library's sparsity_rules.hpp, so tests catch a drift between the two).
#pragma once

#include <cstdint>
#include <vector>

#include "sparseflow/sparseflow.h"

namespace sft {

float bits_to_float(sf_dtype_t dtype, uint16_t bits);
uint16_t float_to_bits(sf_dtype_t dtype, float value);  // round to nearest even
float f32_from_bits(uint32_t bits);
uint32_t f32_to_bits(float value);

// rows x ld matrix of 16-bit elements with uniform values in [-1, 1) in the first `cols` columns
// and a recognisable filler (0x7e00 pattern) in the padding columns.
std::vector<uint16_t> random_matrix(sf_dtype_t dtype, int64_t rows, int64_t cols, int64_t ld,
                                    uint64_t seed);
std::vector<float> random_floats(int64_t count, uint64_t seed);

// Where README.md says the nibble of row r, group g lives: word index and bit shift.
struct Slot {
  uint64_t word;
  unsigned shift;
};
Slot documented_metadata_slot(int64_t r, int64_t g, int64_t cols);

// Kept positions of a nibble: low 2 bits the first, high 2 bits the second.
inline int nibble_first(unsigned nibble) { return static_cast<int>(nibble & 3u); }
inline int nibble_second(unsigned nibble) { return static_cast<int>(nibble >> 2); }

// The compressed buffer of a host matrix, through the public API (REQUIREs success).
std::vector<uint8_t> compress_on_host(sf_dtype_t dtype, int64_t rows, int64_t cols,
                                      const std::vector<uint16_t> &matrix, int64_t ld);

}  // namespace sft
