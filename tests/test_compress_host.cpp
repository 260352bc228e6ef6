// sf_compress / sf_decompress on host memory: the documented bytes (header, values, metadata at
// the documented positions, all six index patterns), round trips, and refusals.
#include <cstring>

#include "catch_compat.hpp"
#include "sparseflow/sparseflow.h"
#include "support.hpp"

namespace {

const sf_compressed_header_t &header_of(const std::vector<uint8_t> &blob) {
  return *reinterpret_cast<const sf_compressed_header_t *>(blob.data());
}

unsigned nibble_at(const std::vector<uint8_t> &blob, int64_t r, int64_t g) {
  const auto &h = header_of(blob);
  const auto *metadata = reinterpret_cast<const uint32_t *>(blob.data() + h.metadata_offset);
  const sft::Slot slot = sft::documented_metadata_slot(r, g, h.cols);
  return (metadata[slot.word] >> slot.shift) & 0xfu;
}

uint16_t value_at(const std::vector<uint8_t> &blob, int64_t r, int64_t i) {
  const auto &h = header_of(blob);
  const auto *values = reinterpret_cast<const uint16_t *>(blob.data() + h.values_offset);
  return values[r * (h.cols / 2) + i];
}

}  // namespace

TEST_CASE("the header describes the documented layout", "[compress]") {
  size_t bytes = 0;
  REQUIRE(sf_compressed_size(SF_DTYPE_F16, 20, 64, &bytes) == SF_SUCCESS);
  // 256-byte header region, 32 stored rows x 32 kept values x 2 bytes, then 32 x 64 / 8 bytes.
  CHECK(bytes == 256 + 32 * 64 + 32 * 64 / 8);
  std::vector<uint16_t> m(20 * 64, 0);
  auto blob = sft::compress_on_host(SF_DTYPE_F16, 20, 64, m, 64);
  const auto &h = header_of(blob);
  CHECK(h.magic == SF_FORMAT_MAGIC);
  CHECK(std::memcmp(blob.data(), "SF24", 4) == 0);
  CHECK(h.format_version == SF_FORMAT_VERSION);
  CHECK(h.dtype == SF_DTYPE_F16);
  CHECK(h.header_bytes == 256);
  CHECK(h.rows == 20);
  CHECK(h.cols == 64);
  CHECK(h.padded_rows == 32);
  CHECK(h.values_offset == 256);
  CHECK(h.values_bytes == 32 * 64);
  CHECK(h.metadata_offset == 256 + 32 * 64);
  CHECK(h.metadata_bytes == 32 * 64 / 8);
  CHECK(h.total_bytes == bytes);
  for (uint64_t r : h.reserved) CHECK(r == 0);
  for (size_t i = sizeof(sf_compressed_header_t); i < 256; ++i) REQUIRE(blob[i] == 0);
  CHECK(sf_compressed_validate(&h) == SF_SUCCESS);
}

TEST_CASE("all six index patterns land at their documented metadata position", "[compress]") {
  const int pairs[6][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
  const int64_t rows = 24, cols = 96;  // row padding (24 -> 32) and three k blocks
  for (sf_dtype_t dtype : {SF_DTYPE_F16, SF_DTYPE_BF16}) {
    std::vector<uint16_t> m(static_cast<size_t>(rows * cols), 0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t g = 0; g < cols / 4; ++g) {
        const auto &p = pairs[(r * 7 + g) % 6];
        m[static_cast<size_t>(r * cols + 4 * g + p[0])] = sft::float_to_bits(dtype, float(r + 1));
        m[static_cast<size_t>(r * cols + 4 * g + p[1])] = sft::float_to_bits(dtype, -float(g + 1));
      }
    auto blob = sft::compress_on_host(dtype, rows, cols, m, cols);
    for (int64_t r = 0; r < 32; ++r)
      for (int64_t g = 0; g < cols / 4; ++g) {
        if (r >= rows) {  // padding rows: indices 0 and 1, zero values
          REQUIRE(nibble_at(blob, r, g) == 0x4u);
          REQUIRE(value_at(blob, r, 2 * g) == 0);
          REQUIRE(value_at(blob, r, 2 * g + 1) == 0);
          continue;
        }
        const auto &p = pairs[(r * 7 + g) % 6];
        REQUIRE(nibble_at(blob, r, g) == static_cast<unsigned>(p[0] | (p[1] << 2)));
        REQUIRE(value_at(blob, r, 2 * g) == sft::float_to_bits(dtype, float(r + 1)));
        REQUIRE(value_at(blob, r, 2 * g + 1) == sft::float_to_bits(dtype, -float(g + 1)));
      }
  }
}

TEST_CASE("groups with fewer than two non-zeros record the lowest free positions", "[compress]") {
  // Groups {0,0,0,0} -> (0,1); {0,0,x,0} -> (0,2); {x,0,0,0} -> (0,1); {0,0,0,x} -> (0,3);
  // {0,-0,x,0} -> (0,2): -0 counts as zero, and zeros fill from the lowest free index.
  std::vector<uint16_t> m(32, 0);
  m[6] = 0x4500;
  m[8] = 0x4500;
  m[15] = 0x4500;
  m[17] = 0x8000;
  m[18] = 0x4500;
  auto blob = sft::compress_on_host(SF_DTYPE_F16, 1, 32, m, 32);
  CHECK(nibble_at(blob, 0, 0) == (0u | 1u << 2));
  CHECK(nibble_at(blob, 0, 1) == (0u | 2u << 2));
  CHECK(nibble_at(blob, 0, 2) == (0u | 1u << 2));
  CHECK(nibble_at(blob, 0, 3) == (0u | 3u << 2));
  CHECK(nibble_at(blob, 0, 4) == (0u | 2u << 2));
  CHECK(value_at(blob, 0, 8) == 0x0000);
  CHECK(value_at(blob, 0, 9) == 0x4500);
}

TEST_CASE("compress then decompress gives back the pruned matrix bit for bit", "[compress]") {
  for (sf_dtype_t dtype : {SF_DTYPE_F16, SF_DTYPE_BF16}) {
    for (int64_t rows : {1, 16, 45}) {
      const int64_t cols = 160, ld = 168;
      auto m = sft::random_matrix(dtype, rows, cols, ld, 100 + rows);
      REQUIRE(sf_prune(SF_MEMORY_HOST, dtype, rows, cols, m.data(), ld, m.data(), ld, nullptr) ==
              SF_SUCCESS);
      auto blob = sft::compress_on_host(dtype, rows, cols, m, ld);
      const int64_t ld_out = 170;
      std::vector<uint16_t> out(static_cast<size_t>(rows * ld_out), 0x1234);
      REQUIRE(sf_decompress(SF_MEMORY_HOST, &header_of(blob), blob.data(), blob.size(), out.data(),
                            ld_out, nullptr) == SF_SUCCESS);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < ld_out; ++c) {
          const uint16_t got = out[static_cast<size_t>(r * ld_out + c)];
          if (c < cols) REQUIRE(got == m[static_cast<size_t>(r * ld + c)]);
          else REQUIRE(got == 0x1234);
        }
    }
  }
}

TEST_CASE("compress refuses a matrix that is not 2:4 and writes nothing", "[compress][errors]") {
  auto m = sft::random_matrix(SF_DTYPE_F16, 16, 64, 64, 9);  // dense: not 2:4
  size_t bytes = 0;
  REQUIRE(sf_compressed_size(SF_DTYPE_F16, 16, 64, &bytes) == SF_SUCCESS);
  std::vector<uint8_t> dst(bytes, 0xa5);
  sf_compressed_header_t header;
  std::memset(&header, 0x5a, sizeof header);
  CHECK(sf_compress(SF_MEMORY_HOST, SF_DTYPE_F16, 16, 64, m.data(), 64, dst.data(), bytes, &header,
                    nullptr) == SF_ERROR_NOT_2TO4);
  CHECK(std::string(sf_last_error_message()).find("not 2:4") != std::string::npos);
  for (uint8_t b : dst) REQUIRE(b == 0xa5);
  CHECK(header.magic == 0x5a5a5a5au);
}

TEST_CASE("the header copy given to compress matches the buffer", "[compress]") {
  auto m = sft::random_matrix(SF_DTYPE_BF16, 3, 32, 32, 1);
  REQUIRE(sf_prune(SF_MEMORY_HOST, SF_DTYPE_BF16, 3, 32, m.data(), 32, m.data(), 32, nullptr) ==
          SF_SUCCESS);
  size_t bytes = 0;
  REQUIRE(sf_compressed_size(SF_DTYPE_BF16, 3, 32, &bytes) == SF_SUCCESS);
  std::vector<uint8_t> dst(bytes);
  sf_compressed_header_t header;
  REQUIRE(sf_compress(SF_MEMORY_HOST, SF_DTYPE_BF16, 3, 32, m.data(), 32, dst.data(), bytes,
                      &header, nullptr) == SF_SUCCESS);
  CHECK(std::memcmp(&header, dst.data(), sizeof header) == 0);
  CHECK(std::string(sf_last_error_message()).empty());
}
