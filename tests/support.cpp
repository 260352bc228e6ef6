#include "support.hpp"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstring>
#include <random>

#include "catch_compat.hpp"

namespace sft {

float f32_from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

uint32_t f32_to_bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

float bits_to_float(sf_dtype_t dtype, uint16_t bits) {
  if (dtype == SF_DTYPE_BF16) return f32_from_bits(uint32_t{bits} << 16);
  __half_raw raw;
  raw.x = bits;
  return __half2float(__half(raw));
}

uint16_t float_to_bits(sf_dtype_t dtype, float value) {
  if (dtype == SF_DTYPE_BF16) {
    const __nv_bfloat16_raw raw = __nv_bfloat16(__float2bfloat16_rn(value));
    return raw.x;
  }
  const __half_raw raw = __half(__float2half_rn(value));
  return raw.x;
}

std::vector<uint16_t> random_matrix(sf_dtype_t dtype, int64_t rows, int64_t cols, int64_t ld,
                                    uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<uint16_t> m(static_cast<size_t>(rows * ld), uint16_t{0x7e00});
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) m[static_cast<size_t>(r * ld + c)] = float_to_bits(dtype, dist(rng));
  return m;
}

std::vector<float> random_floats(int64_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(count));
  for (auto &x : v) x = dist(rng);
  return v;
}

Slot documented_metadata_slot(int64_t r, int64_t g, int64_t cols) {
  // Chunks of 16 rows x 32 columns, ordered by row block then k block; 16 words per chunk.
  // Word 2*(r % 8) + (g % 8) / 4; rows r % 16 >= 8 in bits 31:16; group g % 4 at 4 * (g % 4).
  const int64_t chunk = (r / 16) * (cols / 32) + g / 8;
  const uint64_t word = static_cast<uint64_t>(chunk * 16 + 2 * (r % 8) + (g % 8) / 4);
  const unsigned shift = static_cast<unsigned>(16 * ((r % 16) / 8) + 4 * (g % 4));
  return Slot{word, shift};
}

std::vector<uint8_t> compress_on_host(sf_dtype_t dtype, int64_t rows, int64_t cols,
                                      const std::vector<uint16_t> &matrix, int64_t ld) {
  size_t bytes = 0;
  REQUIRE(sf_compressed_size(dtype, rows, cols, &bytes) == SF_SUCCESS);
  std::vector<uint8_t> blob(bytes);  // operator new: 16-byte aligned
  REQUIRE(reinterpret_cast<uintptr_t>(blob.data()) % 16 == 0);
  const sf_status_t status = sf_compress(SF_MEMORY_HOST, dtype, rows, cols, matrix.data(), ld,
                                         blob.data(), bytes, nullptr, nullptr);
  INFO(sf_last_error_message());
  REQUIRE(status == SF_SUCCESS);
  return blob;
}

}  // namespace sft
