// C entry point of the sparse GEMM: every check happens on the host, from arguments and the
// host copy of A's header, before anything is enqueued.
#include "../kernels/gemm.hpp"
#include "device.hpp"
#include "error.hpp"
#include "format.hpp"
#include "validate.hpp"

using namespace sparseflow;

namespace {

// Bytes spanned by an operand stored as `rows` rows of `cols` elements with leading dimension ld.
struct Span {
  const void *pointer;
  size_t bytes;
  const char *name;
};

void require_disjoint(const Span &out, const Span &in) {
  if (in.pointer != nullptr)
    require_no_overlap(in.pointer, in.bytes, out.pointer, out.bytes, in.name, out.name);
}

}  // namespace

extern "C" SF_API sf_status_t sf_gemm(sf_layout_t layout, int64_t n, float alpha,
                                      const sf_compressed_header_t *a_header, const void *a,
                                      size_t a_bytes, const void *b, int64_t ldb, float beta,
                                      const void *c, int64_t ldc, const void *bias,
                                      sf_dtype_t d_dtype, void *d, int64_t ldd,
                                      sf_stream_t stream) {
  return guarded("sf_gemm", [&] {
    require_layout(layout);
    require_positive(n, "n");
    if (n > kGemmMaxN)
      fail(SF_ERROR_INVALID_SIZE, "n = %lld exceeds the largest supported n %lld",
           static_cast<long long>(n), static_cast<long long>(kGemmMaxN));
    require_not_null(a_header, "a_header");
    validate_header(*a_header);
    const sf_compressed_header_t h = *a_header;
    const auto input = static_cast<sf_dtype_t>(h.dtype);
    require_dtype(d_dtype, /*allow_f32=*/true);
    const int64_t m = h.rows, k = h.cols;
    const bool linear = layout == SF_LAYOUT_LINEAR;
    const bool reads_c = beta != 0.f;
    const size_t out_size = dtype_size(d_dtype);

    require_not_null(a, "a");
    require_not_null(b, "b");
    require_not_null(d, "d");
    if (reads_c) require_not_null(c, "c (beta != 0)");
    if (a_bytes < h.total_bytes)
      fail(SF_ERROR_BUFFER_SIZE, "a_bytes = %zu, but A's header says its buffer holds %llu",
           a_bytes, static_cast<unsigned long long>(h.total_bytes));

    // Row length and row count of each dense operand under this layout.
    const int64_t b_rows = linear ? n : k, b_cols = linear ? k : n;
    const int64_t d_rows = linear ? n : m, d_cols = linear ? m : n;
    require_leading_dimension(ldb, b_cols, "ldb");
    require_leading_dimension(ldd, d_cols, "ldd");
    if (reads_c) require_leading_dimension(ldc, d_cols, "ldc");

    require_aligned(a, 16, "a");
    require_aligned(b, 2, "b");
    require_aligned(d, out_size, "d");
    if (reads_c) require_aligned(c, out_size, "c");
    if (bias != nullptr) require_aligned(bias, out_size, "bias");

    const Span d_span{d, matrix_span_bytes(d_rows, d_cols, ldd, out_size), "d"};
    require_disjoint(d_span, {a, h.total_bytes, "a"});
    require_disjoint(d_span, {b, matrix_span_bytes(b_rows, b_cols, ldb, 2), "b"});
    require_disjoint(d_span, {bias, static_cast<size_t>(m) * out_size, "bias"});
    if (reads_c && c != d)
      require_disjoint(d_span, {c, matrix_span_bytes(d_rows, d_cols, ldc, out_size), "c"});
    if (reads_c && c == d && ldc != ldd)
      fail(SF_ERROR_INVALID_VALUE, "c == d needs ldc == ldd (%lld != %lld)",
           static_cast<long long>(ldc), static_cast<long long>(ldd));

    const DeviceInfo device = require_current_device(to_cuda_stream(stream));
    require_device_pointer(a, "a", device.ordinal);
    require_device_pointer(b, "b", device.ordinal);
    require_device_pointer(d, "d", device.ordinal);
    if (reads_c && c != d) require_device_pointer(c, "c", device.ordinal);
    if (bias != nullptr) require_device_pointer(bias, "bias", device.ordinal);

    const auto *bytes = static_cast<const uint8_t *>(a);
    GemmArgs args{};
    args.m = static_cast<int32_t>(m);
    args.n = static_cast<int32_t>(n);
    args.k = static_cast<int32_t>(k);
    args.padded_m = static_cast<int32_t>(h.padded_rows);
    args.values = bytes + h.values_offset;
    args.metadata = reinterpret_cast<const uint32_t *>(bytes + h.metadata_offset);
    args.b = b;
    args.ldb = ldb;
    args.c = reads_c ? c : nullptr;
    args.ldc = reads_c ? ldc : 0;
    args.bias = bias;
    args.d = d;
    args.ldd = ldd;
    args.alpha = alpha;
    args.beta = beta;
    gemm(input, d_dtype, layout, args, device, to_cuda_stream(stream));
  });
}
