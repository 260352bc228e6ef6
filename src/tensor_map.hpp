// 2-D tensor maps for the tensor memory accelerator, encoded through the driver's
// cuTensorMapEncodeTiled (reached with cudaGetDriverEntryPointByVersion, so the library needs no
// link to libcuda).
#pragma once

#include <cuda.h>

#include <cstdint>

namespace sparseflow {

// A row-major [outer, inner] tensor of `element_bytes`-byte elements at `base` with rows
// `row_bytes` apart, read in boxes of box_outer x box_inner elements with `swizzle`; reads past
// the tensor give zeros. Throws Error(SF_ERROR_CUDA) if the driver refuses it.
CUtensorMap make_tensor_map_2d(const void *base, int element_bytes, uint64_t inner, uint64_t outer,
                               uint64_t row_bytes, uint32_t box_inner, uint32_t box_outer,
                               CUtensorMapSwizzle swizzle);

}  // namespace sparseflow
