// Compressed format version 1: where each part of a compressed buffer lives, and the checks that
// a header describes exactly such a buffer. README.md ("Compressed format") documents the bytes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sparseflow/sparseflow.h"

namespace sparseflow {

constexpr uint32_t kHeaderBytes = SF_COMPRESSED_HEADER_REGION_BYTES;
static_assert(sizeof(sf_compressed_header_t) == SF_COMPRESSED_HEADER_BYTES, "header is 128 bytes");
constexpr uint64_t kSectionAlignment = 256;  // values and metadata start on this boundary
constexpr int64_t kRowPadding = 16;          // rows are stored in blocks of 16 (one mma.sp tile)

// Bytes per element of a dtype, or 0 for an unknown one.
size_t dtype_size(sf_dtype_t dtype);
const char *dtype_name(sf_dtype_t dtype);

// The header of a rows x cols matrix of `dtype`. Throws Error on bad dtype or sizes.
sf_compressed_header_t make_header(sf_dtype_t dtype, int64_t rows, int64_t cols);

// Throws Error unless `header` is exactly what make_header gives for its dtype and shape.
void validate_header(const sf_compressed_header_t &header);

}  // namespace sparseflow
