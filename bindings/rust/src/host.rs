//! Host-memory API: typed slices, checked against the shape before the library sees them. The
//! work runs on CPU threads, needs no GPU, and gives the same bits as the device path.

use std::ffi::c_void;
use std::ptr;

use crate::compressed::{Compressed, CompressedHeader};
use crate::error::{check, Error, Result, Status};
use crate::ffi;
use crate::types::{DType, Element};

/// A size as the C API's `int64_t`.
pub(crate) fn to_i64(value: usize, what: &str) -> Result<i64> {
    i64::try_from(value).map_err(|_| {
        Error::binding(
            Status::INVALID_SIZE,
            format!("{} = {} does not fit in int64_t", what, value),
        )
    })
}

/// Checks that a slice of `len` elements holds a `rows x cols` matrix with leading dimension
/// `ld`. Shapes the library refuses anyway (a zero size, `ld < cols`) are left to it, so that
/// its status and message come back; it reads and writes nothing then.
fn check_len(len: usize, rows: usize, cols: usize, ld: usize, what: &str) -> Result<()> {
    if rows == 0 || cols == 0 || ld < cols {
        return Ok(());
    }
    let needed = (rows - 1).checked_mul(ld).and_then(|n| n.checked_add(cols));
    match needed {
        Some(needed) if len >= needed => Ok(()),
        _ => Err(Error::binding(
            Status::BUFFER_SIZE,
            format!(
                "{} has {} elements; a {} x {} matrix with leading dimension {} needs {}",
                what,
                len,
                rows,
                cols,
                ld,
                needed.map_or_else(|| "more than usize::MAX".to_string(), |n| n.to_string())
            ),
        )),
    }
}

/// 2:4 magnitude pruning along the columns (`sf_prune` on host memory): in every group of 4
/// consecutive elements of a row, keeps the 2 of largest magnitude and writes +0 for the others.
///
/// Reads `src[rows, cols]` with leading dimension `ld_src`, writes `dst[rows, cols]` with
/// `ld_dst`; elements between `cols` and the leading dimension are left untouched. `cols` must
/// be a multiple of 4. See [`prune_host_in_place`] to prune one buffer.
pub fn prune_host<T: Element>(
    rows: usize,
    cols: usize,
    src: &[T],
    ld_src: usize,
    dst: &mut [T],
    ld_dst: usize,
) -> Result<()> {
    check_len(src.len(), rows, cols, ld_src, "src")?;
    check_len(dst.len(), rows, cols, ld_dst, "dst")?;
    // SAFETY: both slices hold the matrices they describe (checked above, or the library refuses
    // the shape before touching memory); they cannot overlap (& and &mut).
    check(unsafe {
        ffi::sf_prune(
            ffi::SF_MEMORY_HOST,
            T::DTYPE.to_raw(),
            to_i64(rows, "rows")?,
            to_i64(cols, "cols")?,
            src.as_ptr().cast::<c_void>(),
            to_i64(ld_src, "ld_src")?,
            dst.as_mut_ptr().cast::<c_void>(),
            to_i64(ld_dst, "ld_dst")?,
            ptr::null_mut(),
        )
    })
}

/// [`prune_host`] in place on `data[rows, cols]` (leading dimension `ld`).
pub fn prune_host_in_place<T: Element>(
    rows: usize,
    cols: usize,
    data: &mut [T],
    ld: usize,
) -> Result<()> {
    check_len(data.len(), rows, cols, ld, "data")?;
    let p = data.as_mut_ptr().cast::<c_void>();
    let ld = to_i64(ld, "ld")?;
    // SAFETY: as in prune_host; dst == src with ld_dst == ld_src is the documented in-place form.
    check(unsafe {
        ffi::sf_prune(
            ffi::SF_MEMORY_HOST,
            T::DTYPE.to_raw(),
            to_i64(rows, "rows")?,
            to_i64(cols, "cols")?,
            p,
            ld,
            p,
            ld,
            ptr::null_mut(),
        )
    })
}

/// Counts the groups of 4 consecutive elements along the columns of `src[rows, cols]` that hold
/// more than 2 non-zeros (`sf_check_2to4` on host memory); 0 means the matrix is 2:4. +0 and -0
/// are zero, NaN is not.
pub fn check_2to4_host<T: Element>(rows: usize, cols: usize, src: &[T], ld: usize) -> Result<u64> {
    check_len(src.len(), rows, cols, ld, "src")?;
    let mut violations: i64 = 0;
    // SAFETY: src holds the matrix (see prune_host); violations is a live i64.
    check(unsafe {
        ffi::sf_check_2to4(
            ffi::SF_MEMORY_HOST,
            T::DTYPE.to_raw(),
            to_i64(rows, "rows")?,
            to_i64(cols, "cols")?,
            src.as_ptr().cast::<c_void>(),
            to_i64(ld, "ld")?,
            &mut violations,
            ptr::null_mut(),
        )
    })?;
    Ok(violations as u64)
}

/// Bytes of the compressed buffer of a `rows x cols` matrix (`sf_compressed_size`). `dtype` must
/// be F16 or BF16 and `cols` a multiple of 32.
pub fn compressed_size(dtype: DType, rows: usize, cols: usize) -> Result<usize> {
    let mut bytes: usize = 0;
    // SAFETY: bytes is a live size_t.
    check(unsafe {
        ffi::sf_compressed_size(
            dtype.to_raw(),
            to_i64(rows, "rows")?,
            to_i64(cols, "cols")?,
            &mut bytes,
        )
    })?;
    Ok(bytes)
}

/// Compresses the 2:4 matrix `src[rows, cols]` (leading dimension `ld`) into a new host buffer
/// (`sf_compress` on host memory). `T` must be [`F16`](crate::F16) or [`Bf16`](crate::Bf16)
/// (`f32` gives [`Status::UNSUPPORTED_DTYPE`]), `cols` a multiple of 32; a matrix that is not
/// 2:4 gives [`Status::NOT_2TO4`].
pub fn compress_host<T: Element>(
    rows: usize,
    cols: usize,
    src: &[T],
    ld: usize,
) -> Result<Compressed> {
    let bytes = compressed_size(T::DTYPE, rows, cols)?;
    check_len(src.len(), rows, cols, ld, "src")?;
    let mut out = Compressed::zeroed(bytes);
    let mut header = ffi::sf_compressed_header_t::default();
    let dst = out.as_mut_bytes();
    // SAFETY: src holds the matrix; dst is a 16-byte aligned buffer of exactly `bytes` bytes;
    // header is a live header.
    check(unsafe {
        ffi::sf_compress(
            ffi::SF_MEMORY_HOST,
            T::DTYPE.to_raw(),
            to_i64(rows, "rows")?,
            to_i64(cols, "cols")?,
            src.as_ptr().cast::<c_void>(),
            to_i64(ld, "ld")?,
            dst.as_mut_ptr().cast::<c_void>(),
            dst.len(),
            &mut header,
            ptr::null_mut(),
        )
    })?;
    out.set_header(CompressedHeader::from_raw(header));
    Ok(out)
}

/// The shape of a compressed matrix as sizes, checking that `T` is its dtype.
fn dense_shape<T: Element>(header: &CompressedHeader) -> Result<(usize, usize)> {
    if header.dtype_raw() != T::DTYPE.to_raw() as u32 {
        return Err(Error::binding(
            Status::UNSUPPORTED_DTYPE,
            format!(
                "the compressed matrix holds dtype {} ({:?}); the destination slice is {:?}",
                header.dtype_raw(),
                header.dtype(),
                T::DTYPE
            ),
        ));
    }
    let rows = usize::try_from(header.rows()).unwrap_or(0);
    let cols = usize::try_from(header.cols()).unwrap_or(0);
    Ok((rows, cols))
}

/// Writes the dense matrix of `compressed` into `dst[rows, cols]` (leading dimension `ld_dst`),
/// +0 at every position not kept (`sf_decompress` on host memory). `T` must be the compressed
/// matrix's dtype ([`Status::UNSUPPORTED_DTYPE`] otherwise).
pub fn decompress_host<T: Element>(
    compressed: &Compressed,
    dst: &mut [T],
    ld_dst: usize,
) -> Result<()> {
    let header = compressed.header();
    let (rows, cols) = dense_shape::<T>(header)?;
    check_len(dst.len(), rows, cols, ld_dst, "dst")?;
    let src = compressed.as_bytes();
    // SAFETY: the header is a host copy; src is the 16-byte aligned buffer with its true size;
    // dst holds rows x cols elements of the header's dtype (checked above; a header whose shape
    // is invalid is refused by the library before it writes).
    check(unsafe {
        ffi::sf_decompress(
            ffi::SF_MEMORY_HOST,
            header.as_raw(),
            src.as_ptr().cast::<c_void>(),
            src.len(),
            dst.as_mut_ptr().cast::<c_void>(),
            to_i64(ld_dst, "ld_dst")?,
            ptr::null_mut(),
        )
    })
}

impl Compressed {
    /// The dense matrix, `rows x cols` with leading dimension `cols` ([`decompress_host`]).
    pub fn decompress<T: Element>(&self) -> Result<Vec<T>> {
        let (rows, cols) = dense_shape::<T>(self.header())?;
        let len = rows.checked_mul(cols).ok_or_else(|| {
            Error::binding(
                Status::INVALID_SIZE,
                format!("{} x {} elements overflow usize", rows, cols),
            )
        })?;
        let mut dst: Vec<T> = Vec::with_capacity(len);
        dst.resize(len, T::default());
        decompress_host(self, &mut dst, cols)?;
        Ok(dst)
    }
}
