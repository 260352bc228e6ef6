#include "format.hpp"

#include <cstring>

#include "error.hpp"
#include "validate.hpp"

namespace sparseflow {
namespace {
uint64_t round_up(uint64_t value, uint64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}
}  // namespace

size_t dtype_size(sf_dtype_t dtype) {
  switch (dtype) {
    case SF_DTYPE_F16:
    case SF_DTYPE_BF16: return 2;
    case SF_DTYPE_F32: return 4;
  }
  return 0;
}

const char *dtype_name(sf_dtype_t dtype) {
  switch (dtype) {
    case SF_DTYPE_F16: return "f16";
    case SF_DTYPE_BF16: return "bf16";
    case SF_DTYPE_F32: return "f32";
  }
  return "unknown";
}

sf_compressed_header_t make_header(sf_dtype_t dtype, int64_t rows, int64_t cols) {
  require_dtype(dtype, /*allow_f32=*/false);
  require_matrix_shape(rows, cols, SF_K_GRANULARITY);
  const uint64_t padded_rows = round_up(static_cast<uint64_t>(rows), kRowPadding);
  sf_compressed_header_t h;
  std::memset(&h, 0, sizeof h);
  h.magic = SF_FORMAT_MAGIC;
  h.format_version = SF_FORMAT_VERSION;
  h.dtype = static_cast<uint32_t>(dtype);
  h.header_bytes = kHeaderBytes;
  h.rows = rows;
  h.cols = cols;
  h.padded_rows = static_cast<int64_t>(padded_rows);
  h.values_offset = kHeaderBytes;
  // Kept values: padded_rows x cols/2 elements of 2 bytes.
  h.values_bytes = padded_rows * static_cast<uint64_t>(cols);
  h.metadata_offset = round_up(h.values_offset + h.values_bytes, kSectionAlignment);
  // Metadata: 4 bits per group of 4 dense columns, i.e. one bit per dense element.
  h.metadata_bytes = padded_rows * static_cast<uint64_t>(cols) / 8;
  h.total_bytes = h.metadata_offset + h.metadata_bytes;
  return h;
}

void validate_header(const sf_compressed_header_t &h) {
  if (h.magic != SF_FORMAT_MAGIC)
    fail(SF_ERROR_BAD_HEADER, "header magic is 0x%08x, expected 0x%08x (\"SF24\")", h.magic,
         SF_FORMAT_MAGIC);
  if (h.format_version != SF_FORMAT_VERSION)
    fail(SF_ERROR_FORMAT_VERSION,
         "compressed buffer has format version %u; this library reads version %u only "
         "(re-compress the matrix with this library)",
         h.format_version, SF_FORMAT_VERSION);
  for (uint64_t r : h.reserved)
    if (r != 0) fail(SF_ERROR_BAD_HEADER, "header reserved fields are not zero");
  const sf_compressed_header_t expected =
      make_header(static_cast<sf_dtype_t>(h.dtype), h.rows, h.cols);
  if (h.header_bytes != expected.header_bytes || h.padded_rows != expected.padded_rows ||
      h.values_offset != expected.values_offset || h.values_bytes != expected.values_bytes ||
      h.metadata_offset != expected.metadata_offset ||
      h.metadata_bytes != expected.metadata_bytes)
    fail(SF_ERROR_BAD_HEADER, "header offsets and sizes do not match its %lld x %lld %s shape",
         static_cast<long long>(h.rows), static_cast<long long>(h.cols),
         dtype_name(static_cast<sf_dtype_t>(h.dtype)));
  if (h.total_bytes != expected.total_bytes)
    fail(SF_ERROR_BUFFER_SIZE, "header total_bytes is %llu, expected %llu for its shape",
         static_cast<unsigned long long>(h.total_bytes),
         static_cast<unsigned long long>(expected.total_bytes));
}

}  // namespace sparseflow
