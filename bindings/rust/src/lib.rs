//! Rust binding of SparseFlow: 2:4 structured-sparse matrix products on NVIDIA sparse tensor
//! cores, over the C ABI of `libsparseflow.so` (`include/sparseflow/sparseflow.h`).
//!
//! - [`prune_host`], [`check_2to4_host`], [`compress_host`], [`decompress_host`]: host memory,
//!   typed slices checked against the shape, CPU threads, no GPU needed.
//! - [`prune_device`], [`check_2to4_device`], [`compress_device`], [`decompress_device`],
//!   [`gemm`]: raw device pointers and a [`Stream`], `unsafe` with the contract of the
//!   [`device`] module.
//! - Every failure is an [`Error`]: the [`Status`] code and the library's message for it.
//! - [`ffi`] holds the raw declarations, one for one with the header.
//!
//! ```
//! use sparseflow::{check_2to4_host, compress_host, prune_host, F16};
//!
//! # fn main() -> sparseflow::Result<()> {
//! let (rows, cols) = (64, 128);
//! let w: Vec<F16> = (0..rows * cols).map(|i| F16::from_f32((i % 7) as f32 - 3.0)).collect();
//! let mut pruned = vec![F16::ZERO; rows * cols];
//! prune_host(rows, cols, &w, cols, &mut pruned, cols)?;
//! assert_eq!(check_2to4_host(rows, cols, &pruned, cols)?, 0);
//! let compressed = compress_host(rows, cols, &pruned, cols)?;
//! assert_eq!(compressed.decompress::<F16>()?, pruned);
//! # Ok(())
//! # }
//! ```
//!
//! Linking: `build.rs` finds the library through `SPARSEFLOW_LIB_DIR` or
//! `pkg-config --libs sparseflow`; see the crate's README.

pub mod ffi;

mod compressed;
pub mod device;
mod error;
mod host;
mod types;

pub use compressed::{Compressed, CompressedHeader, HEADER_SIZE};
pub use device::{check_2to4_device, compress_device, decompress_device, gemm, prune_device};
pub use error::{Error, Result, Status};
pub use host::{
    check_2to4_host, compress_host, compressed_size, decompress_host, prune_host,
    prune_host_in_place,
};
pub use types::{Bf16, DType, Element, Layout, Memory, Stream, F16};

use error::static_str;

/// `SF_VERSION_NUMBER` of the header this binding was written against (MAJOR * 10000 +
/// MINOR * 100 + PATCH).
pub const VERSION_NUMBER: i32 = ffi::SF_VERSION_NUMBER;
/// Version of the compressed format this binding was written against.
pub const FORMAT_VERSION: u32 = ffi::SF_FORMAT_VERSION;
/// First four bytes of every compressed buffer (`"SF24"` as a little-endian u32).
pub const FORMAT_MAGIC: u32 = ffi::SF_FORMAT_MAGIC;
/// K (columns) of a matrix to compress or multiply must be a multiple of this.
pub const K_GRANULARITY: usize = ffi::SF_K_GRANULARITY as usize;
/// Columns of a matrix to prune or check must be a multiple of this.
pub const PRUNE_GRANULARITY: usize = ffi::SF_PRUNE_GRANULARITY as usize;

/// The loaded library's version number (`sf_version_number`); compare with [`VERSION_NUMBER`].
pub fn version_number() -> i32 {
    // SAFETY: no arguments, no state.
    unsafe { ffi::sf_version_number() }
}

/// The loaded library's version, `"MAJOR.MINOR.PATCH"` (`sf_version_string`).
pub fn version() -> &'static str {
    // SAFETY: static storage, never null.
    unsafe { static_str(ffi::sf_version_string()) }
}

/// One line describing the library's build: version, git commit, CUDA version, architectures
/// and format version (`sf_build_info`).
pub fn build_info() -> &'static str {
    // SAFETY: static storage.
    unsafe { static_str(ffi::sf_build_info()) }
}
