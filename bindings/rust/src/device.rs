//! Device-memory API: raw pointers to memory of the current CUDA device, and a stream.
//!
//! Every function here is `unsafe`, because the binding cannot see device allocations. The
//! library checks what it can (null pointers, alignment, that a pointer is device memory of the
//! current device, shapes and leading dimensions) and reports it as an [`Error`](crate::Error),
//! but it cannot check extents or lifetimes. Common safety contract of these functions:
//!
//! - Every pointer is null (where allowed) or points into memory of the current CUDA device
//!   (`cudaMalloc`, `cudaMallocAsync`, managed memory, ...) that holds the whole matrix it
//!   describes: `(rows - 1) * ld + cols` elements of the dtype, or the stated number of bytes.
//! - The work is stream-ordered and usually still running when the function returns: the
//!   memory must stay allocated, and must be neither written (inputs) nor read or written
//!   (outputs) by other work, until the stream has reached that point (e.g.
//!   `cudaStreamSynchronize`, an event, or later work on the same stream).
//! - `stream` is [`Stream::LEGACY_DEFAULT`] or a live stream of the current device.
//! - Output buffers overlap no input, except where a function allows it in place.
//!
//! Device memory comes from the caller (its own `cudaMalloc`, another crate, PyTorch's
//! `data_ptr()`); this crate allocates none and needs no CUDA runtime of its own. A linear layer,
//! as in the C quick start:
//!
//! ```no_run
//! use std::ffi::c_void;
//! use std::ptr;
//! use sparseflow::{compress_device, gemm, prune_device, CompressedHeader, DType, Layout, Stream};
//!
//! /// Once: prunes the fp16 weight `w[n_out, k]` in place and compresses it into `w_sparse`
//! /// (`compressed_size(DType::F16, n_out, k)` bytes); synchronizes `stream` once.
//! unsafe fn prepare(
//!     w: *mut c_void, n_out: usize, k: usize,
//!     w_sparse: *mut c_void, w_sparse_bytes: usize, stream: Stream,
//! ) -> sparseflow::Result<CompressedHeader> {
//!     prune_device(DType::F16, n_out, k, w, k, w, k, stream)?;
//!     compress_device(DType::F16, n_out, k, w, k, w_sparse, w_sparse_bytes, stream)
//! }
//!
//! /// Every step: `y[batch, n_out] = x[batch, k] * W^T`, stream-ordered, no allocation, no
//! /// synchronization.
//! unsafe fn forward(
//!     header: &CompressedHeader, w_sparse: *const c_void, w_sparse_bytes: usize,
//!     x: *const c_void, y: *mut c_void, batch: usize, stream: Stream,
//! ) -> sparseflow::Result<()> {
//!     let (n_out, k) = (header.rows() as usize, header.cols() as usize);
//!     gemm(
//!         Layout::Linear, batch, 1.0, header, w_sparse, w_sparse_bytes, x, k,
//!         0.0, ptr::null(), n_out, ptr::null(), DType::F16, y, n_out, stream,
//!     )
//! }
//! ```

use std::ffi::c_void;

use crate::compressed::CompressedHeader;
use crate::error::{check, Result};
use crate::ffi;
use crate::host::to_i64;
use crate::types::{DType, Layout, Stream};

/// 2:4 magnitude pruning of `src[rows, cols]` (leading dimension `ld_src`) into
/// `dst[rows, cols]` (`ld_dst`) on the device (`sf_prune`): one kernel on `stream`, no
/// synchronization. Same rule and same bits as [`prune_host`](crate::prune_host).
///
/// # Safety
/// The [module contract](self). `dst` may equal `src` (in place) with `ld_dst == ld_src`;
/// otherwise they must not overlap.
#[allow(clippy::too_many_arguments)]
pub unsafe fn prune_device(
    dtype: DType,
    rows: usize,
    cols: usize,
    src: *const c_void,
    ld_src: usize,
    dst: *mut c_void,
    ld_dst: usize,
    stream: Stream,
) -> Result<()> {
    check(ffi::sf_prune(
        ffi::SF_MEMORY_DEVICE,
        dtype.to_raw(),
        to_i64(rows, "rows")?,
        to_i64(cols, "cols")?,
        src,
        to_i64(ld_src, "ld_src")?,
        dst,
        to_i64(ld_dst, "ld_dst")?,
        stream.as_raw().cast(),
    ))
}

/// Counts the groups of 4 along the columns of `src[rows, cols]` holding more than 2 non-zeros
/// (`sf_check_2to4` on the device). Synchronizes `stream` to return the count, and makes one
/// 8-byte stream-ordered allocation.
///
/// # Safety
/// The [module contract](self); as the call synchronizes, `src` need only be valid during it.
pub unsafe fn check_2to4_device(
    dtype: DType,
    rows: usize,
    cols: usize,
    src: *const c_void,
    ld: usize,
    stream: Stream,
) -> Result<u64> {
    let mut violations: i64 = 0;
    check(ffi::sf_check_2to4(
        ffi::SF_MEMORY_DEVICE,
        dtype.to_raw(),
        to_i64(rows, "rows")?,
        to_i64(cols, "cols")?,
        src,
        to_i64(ld, "ld")?,
        &mut violations,
        stream.as_raw().cast(),
    ))?;
    Ok(violations as u64)
}

/// Compresses the 2:4 matrix `src[rows, cols]` (leading dimension `ld`) into the device buffer
/// `dst` of `dst_bytes` bytes (`sf_compress` on the device) and returns a host copy of the
/// header, to pass to [`gemm`] and [`decompress_device`]. `dst_bytes` must be at least
/// [`compressed_size`](crate::compressed_size); `dst` must be 16-byte aligned (`cudaMalloc`
/// gives 256). Checks the input first, so it synchronizes `stream` once and makes one 8-byte
/// stream-ordered allocation; the compression itself is then enqueued on `stream`.
///
/// # Safety
/// The [module contract](self); `dst` holds `dst_bytes` bytes.
#[allow(clippy::too_many_arguments)]
pub unsafe fn compress_device(
    dtype: DType,
    rows: usize,
    cols: usize,
    src: *const c_void,
    ld: usize,
    dst: *mut c_void,
    dst_bytes: usize,
    stream: Stream,
) -> Result<CompressedHeader> {
    let mut header = ffi::sf_compressed_header_t::default();
    check(ffi::sf_compress(
        ffi::SF_MEMORY_DEVICE,
        dtype.to_raw(),
        to_i64(rows, "rows")?,
        to_i64(cols, "cols")?,
        src,
        to_i64(ld, "ld")?,
        dst,
        dst_bytes,
        &mut header,
        stream.as_raw().cast(),
    ))?;
    Ok(CompressedHeader::from_raw(header))
}

/// Writes the dense matrix of the compressed device buffer `src` (`src_bytes`: the size of its
/// allocation) into `dst[header.rows(), header.cols()]` with leading dimension `ld_dst`
/// (`sf_decompress` on the device): stream-ordered, no synchronization.
///
/// # Safety
/// The [module contract](self); `header` describes `src`.
pub unsafe fn decompress_device(
    header: &CompressedHeader,
    src: *const c_void,
    src_bytes: usize,
    dst: *mut c_void,
    ld_dst: usize,
    stream: Stream,
) -> Result<()> {
    check(ffi::sf_decompress(
        ffi::SF_MEMORY_DEVICE,
        header.as_raw(),
        src,
        src_bytes,
        dst,
        to_i64(ld_dst, "ld_dst")?,
        stream.as_raw().cast(),
    ))
}

/// `D = alpha * A * B + beta * C + bias` with A the compressed 2:4 matrix `[M, K]`
/// (`sf_gemm`; M = `a_header.rows()`, K = `a_header.cols()`), accumulated in fp32. All buffers
/// are device memory; the call is stream-ordered, allocates nothing and never synchronizes, so
/// it can be captured in a CUDA graph.
///
/// | layout | `b` | `c`, `d` | leading dimensions |
/// |---|---|---|---|
/// | [`Layout::Linear`] | X `[n, K]` | Y `[n, M]` | `ldb >= K`, `ldc, ldd >= M` |
/// | [`Layout::RowMajor`] | B `[K, n]` | D `[M, n]` | `ldb >= n`, `ldc, ldd >= n` |
///
/// `b` has A's dtype; `c`, `d` and `bias` have `d_dtype` (F16, BF16 or F32). `c` is read only
/// when `beta != 0` (it may then be null) and may equal `d` with the same leading dimension.
/// `bias` is null or M values. `a` is A's 16-byte aligned buffer and `a_bytes` its size.
///
/// # Safety
/// The [module contract](self); `a_header` describes `a`.
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm(
    layout: Layout,
    n: usize,
    alpha: f32,
    a_header: &CompressedHeader,
    a: *const c_void,
    a_bytes: usize,
    b: *const c_void,
    ldb: usize,
    beta: f32,
    c: *const c_void,
    ldc: usize,
    bias: *const c_void,
    d_dtype: DType,
    d: *mut c_void,
    ldd: usize,
    stream: Stream,
) -> Result<()> {
    check(ffi::sf_gemm(
        layout.to_raw(),
        to_i64(n, "n")?,
        alpha,
        a_header.as_raw(),
        a,
        a_bytes,
        b,
        to_i64(ldb, "ldb")?,
        beta,
        c,
        to_i64(ldc, "ldc")?,
        bias,
        d_dtype.to_raw(),
        d,
        to_i64(ldd, "ldd")?,
        stream.as_raw().cast(),
    ))
}
