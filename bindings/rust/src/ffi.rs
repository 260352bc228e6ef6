//! Raw declarations of `include/sparseflow/sparseflow.h`, one for one.
//!
//! The C enums are plain `c_int` aliases with their values as constants: a value coming back
//! from C is never turned into a Rust `enum` unchecked. Everything here is `unsafe` to call;
//! the safe API is in the crate root.
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_float, c_int, c_void};

// Versions.
pub const SF_VERSION_MAJOR: c_int = 0;
pub const SF_VERSION_MINOR: c_int = 1;
pub const SF_VERSION_PATCH: c_int = 0;
pub const SF_VERSION_NUMBER: c_int =
    SF_VERSION_MAJOR * 10000 + SF_VERSION_MINOR * 100 + SF_VERSION_PATCH;
pub const SF_FORMAT_VERSION: u32 = 1;
pub const SF_FORMAT_MAGIC: u32 = 0x3432_4653;
pub const SF_K_GRANULARITY: c_int = 32;
pub const SF_PRUNE_GRANULARITY: c_int = 4;

// sf_status_t.
pub type sf_status_t = c_int;
pub const SF_SUCCESS: sf_status_t = 0;
pub const SF_ERROR_NULL_POINTER: sf_status_t = 1;
pub const SF_ERROR_INVALID_SIZE: sf_status_t = 2;
pub const SF_ERROR_K_GRANULARITY: sf_status_t = 3;
pub const SF_ERROR_MISALIGNED: sf_status_t = 4;
pub const SF_ERROR_LEADING_DIMENSION: sf_status_t = 5;
pub const SF_ERROR_UNSUPPORTED_DTYPE: sf_status_t = 6;
pub const SF_ERROR_UNSUPPORTED_LAYOUT: sf_status_t = 7;
pub const SF_ERROR_NO_DEVICE: sf_status_t = 8;
pub const SF_ERROR_UNSUPPORTED_DEVICE: sf_status_t = 9;
pub const SF_ERROR_NOT_2TO4: sf_status_t = 10;
pub const SF_ERROR_FORMAT_VERSION: sf_status_t = 11;
pub const SF_ERROR_BUFFER_SIZE: sf_status_t = 12;
pub const SF_ERROR_INVALID_VALUE: sf_status_t = 13;
pub const SF_ERROR_BAD_HEADER: sf_status_t = 14;
pub const SF_ERROR_CUDA: sf_status_t = 15;
pub const SF_ERROR_OUT_OF_MEMORY: sf_status_t = 16;
pub const SF_ERROR_INTERNAL: sf_status_t = 17;

// sf_dtype_t.
pub type sf_dtype_t = c_int;
pub const SF_DTYPE_F16: sf_dtype_t = 1;
pub const SF_DTYPE_BF16: sf_dtype_t = 2;
pub const SF_DTYPE_F32: sf_dtype_t = 3;

// sf_memory_t.
pub type sf_memory_t = c_int;
pub const SF_MEMORY_HOST: sf_memory_t = 1;
pub const SF_MEMORY_DEVICE: sf_memory_t = 2;

// sf_layout_t.
pub type sf_layout_t = c_int;
pub const SF_LAYOUT_LINEAR: sf_layout_t = 1;
pub const SF_LAYOUT_ROW_MAJOR: sf_layout_t = 2;

/// The incomplete `struct CUstream_st` of CUDA (`cudaStream_t` and `CUstream` point to it).
#[repr(C)]
pub struct CUstream_st {
    _opaque: [u8; 0],
}
/// `sf_stream_t`: a CUDA stream; null is the legacy default stream.
pub type sf_stream_t = *mut CUstream_st;

/// `sf_compressed_header_t`: the first 128 bytes of every compressed buffer (little-endian).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct sf_compressed_header_t {
    pub magic: u32,
    pub format_version: u32,
    pub dtype: u32,
    pub header_bytes: u32,
    pub rows: i64,
    pub cols: i64,
    pub padded_rows: i64,
    pub values_offset: u64,
    pub values_bytes: u64,
    pub metadata_offset: u64,
    pub metadata_bytes: u64,
    pub total_bytes: u64,
    pub reserved: [u64; 6],
}

const _: () = assert!(std::mem::size_of::<sf_compressed_header_t>() == 128);
const _: () = assert!(std::mem::align_of::<sf_compressed_header_t>() == 8);

extern "C" {
    pub fn sf_version_number() -> c_int;
    pub fn sf_version_string() -> *const c_char;
    pub fn sf_build_info() -> *const c_char;

    pub fn sf_status_string(status: sf_status_t) -> *const c_char;
    pub fn sf_last_error_message() -> *const c_char;

    pub fn sf_prune(
        memory: sf_memory_t,
        dtype: sf_dtype_t,
        rows: i64,
        cols: i64,
        src: *const c_void,
        ld_src: i64,
        dst: *mut c_void,
        ld_dst: i64,
        stream: sf_stream_t,
    ) -> sf_status_t;

    pub fn sf_check_2to4(
        memory: sf_memory_t,
        dtype: sf_dtype_t,
        rows: i64,
        cols: i64,
        src: *const c_void,
        ld: i64,
        violations: *mut i64,
        stream: sf_stream_t,
    ) -> sf_status_t;

    pub fn sf_compressed_size(
        dtype: sf_dtype_t,
        rows: i64,
        cols: i64,
        bytes: *mut usize,
    ) -> sf_status_t;

    pub fn sf_compress(
        memory: sf_memory_t,
        dtype: sf_dtype_t,
        rows: i64,
        cols: i64,
        src: *const c_void,
        ld: i64,
        dst: *mut c_void,
        dst_bytes: usize,
        header_out: *mut sf_compressed_header_t,
        stream: sf_stream_t,
    ) -> sf_status_t;

    pub fn sf_compressed_validate(header: *const sf_compressed_header_t) -> sf_status_t;

    pub fn sf_decompress(
        memory: sf_memory_t,
        header: *const sf_compressed_header_t,
        src: *const c_void,
        src_bytes: usize,
        dst: *mut c_void,
        ld_dst: i64,
        stream: sf_stream_t,
    ) -> sf_status_t;

    pub fn sf_gemm(
        layout: sf_layout_t,
        n: i64,
        alpha: c_float,
        a_header: *const sf_compressed_header_t,
        a: *const c_void,
        a_bytes: usize,
        b: *const c_void,
        ldb: i64,
        beta: c_float,
        c: *const c_void,
        ldc: i64,
        bias: *const c_void,
        d_dtype: sf_dtype_t,
        d: *mut c_void,
        ldd: i64,
        stream: sf_stream_t,
    ) -> sf_status_t;
}
