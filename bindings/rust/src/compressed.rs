//! The compressed 2:4 format: its header and a host buffer holding it.

use std::fmt;

use crate::error::{check, Error, Result, Status};
use crate::ffi;
use crate::types::DType;

/// Size in bytes of the header at the start of every compressed buffer.
pub const HEADER_SIZE: usize = std::mem::size_of::<ffi::sf_compressed_header_t>();

/// A host copy of a compressed buffer's header (`sf_compressed_header_t`): what
/// [`gemm`](crate::gemm) and [`decompress_device`](crate::decompress_device) need to know about
/// a buffer in device memory, which they never read from the host.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct CompressedHeader(ffi::sf_compressed_header_t);

impl CompressedHeader {
    /// Wraps a raw header as it is, unchecked; [`validate`](Self::validate) checks it, and every
    /// library call that takes it checks it again.
    pub fn from_raw(raw: ffi::sf_compressed_header_t) -> CompressedHeader {
        CompressedHeader(raw)
    }

    /// Reads the header from the first [`HEADER_SIZE`] bytes of a compressed buffer (for
    /// instance a stored model) and validates it.
    pub fn from_bytes(bytes: &[u8]) -> Result<CompressedHeader> {
        if bytes.len() < HEADER_SIZE {
            return Err(Error::binding(
                Status::BUFFER_SIZE,
                format!(
                    "a compressed buffer starts with a {}-byte header; got {} bytes",
                    HEADER_SIZE,
                    bytes.len()
                ),
            ));
        }
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
        let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap());
        let mut reserved = [0u64; 6];
        for (k, r) in reserved.iter_mut().enumerate() {
            *r = u64_at(80 + 8 * k);
        }
        let header = CompressedHeader(ffi::sf_compressed_header_t {
            magic: u32_at(0),
            format_version: u32_at(4),
            dtype: u32_at(8),
            header_bytes: u32_at(12),
            rows: u64_at(16) as i64,
            cols: u64_at(24) as i64,
            padded_rows: u64_at(32) as i64,
            values_offset: u64_at(40),
            values_bytes: u64_at(48),
            metadata_offset: u64_at(56),
            metadata_bytes: u64_at(64),
            total_bytes: u64_at(72),
            reserved,
        });
        header.validate()?;
        Ok(header)
    }

    /// The header's [`HEADER_SIZE`] bytes, little-endian, as they start the buffer.
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let h = &self.0;
        let mut out = [0u8; HEADER_SIZE];
        let mut put = |i: usize, b: &[u8]| out[i..i + b.len()].copy_from_slice(b);
        put(0, &h.magic.to_le_bytes());
        put(4, &h.format_version.to_le_bytes());
        put(8, &h.dtype.to_le_bytes());
        put(12, &h.header_bytes.to_le_bytes());
        put(16, &h.rows.to_le_bytes());
        put(24, &h.cols.to_le_bytes());
        put(32, &h.padded_rows.to_le_bytes());
        put(40, &h.values_offset.to_le_bytes());
        put(48, &h.values_bytes.to_le_bytes());
        put(56, &h.metadata_offset.to_le_bytes());
        put(64, &h.metadata_bytes.to_le_bytes());
        put(72, &h.total_bytes.to_le_bytes());
        for (k, r) in h.reserved.iter().enumerate() {
            put(80 + 8 * k, &r.to_le_bytes());
        }
        out
    }

    /// `sf_compressed_validate`: magic, format version, dtype, and sizes and offsets exactly
    /// those of the shape.
    pub fn validate(&self) -> Result<()> {
        // SAFETY: reads only *header, which lives for the call.
        check(unsafe { ffi::sf_compressed_validate(&self.0) })
    }

    pub fn as_raw(&self) -> &ffi::sf_compressed_header_t {
        &self.0
    }

    pub fn into_raw(self) -> ffi::sf_compressed_header_t {
        self.0
    }

    /// M: rows of the dense matrix.
    pub fn rows(&self) -> i64 {
        self.0.rows
    }

    /// K: columns of the dense matrix.
    pub fn cols(&self) -> i64 {
        self.0.cols
    }

    /// The raw `sf_dtype_t` value of the kept values.
    pub fn dtype_raw(&self) -> u32 {
        self.0.dtype
    }

    /// The dtype of the kept values, `None` for a value this binding does not know.
    pub fn dtype(&self) -> Option<DType> {
        match self.0.dtype as i32 {
            ffi::SF_DTYPE_F16 => Some(DType::F16),
            ffi::SF_DTYPE_BF16 => Some(DType::Bf16),
            ffi::SF_DTYPE_F32 => Some(DType::F32),
            _ => None,
        }
    }

    pub fn format_version(&self) -> u32 {
        self.0.format_version
    }

    /// Size of the whole compressed buffer in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.0.total_bytes
    }
}

impl fmt::Debug for CompressedHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// 16 bytes aligned to 16: the unit of [`Compressed`]'s storage, which the library requires to
/// be 16-byte aligned.
#[derive(Clone, Copy, Default)]
#[repr(C, align(16))]
struct Block([u8; 16]);

/// A compressed 2:4 matrix in host memory: its bytes (16-byte aligned, starting with the header)
/// and a copy of the header.
#[derive(Clone)]
pub struct Compressed {
    storage: Vec<Block>,
    len: usize,
    header: CompressedHeader,
}

impl Compressed {
    /// A zeroed, 16-byte aligned buffer of `len` bytes; the header is filled in by the caller.
    pub(crate) fn zeroed(len: usize) -> Compressed {
        Compressed {
            storage: vec![Block::default(); (len + 15) / 16],
            len,
            header: CompressedHeader(ffi::sf_compressed_header_t::default()),
        }
    }

    pub(crate) fn set_header(&mut self, header: CompressedHeader) {
        self.header = header;
    }

    /// Copies a compressed buffer (e.g. read from a file) into aligned storage, checking its
    /// header and that it holds at least `total_bytes`. Bytes past `total_bytes` are dropped.
    pub fn from_bytes(bytes: &[u8]) -> Result<Compressed> {
        let header = CompressedHeader::from_bytes(bytes)?;
        let total = usize::try_from(header.total_bytes()).unwrap_or(usize::MAX);
        if bytes.len() < total {
            return Err(Error::binding(
                Status::BUFFER_SIZE,
                format!(
                    "the header says the buffer has {} bytes; got {}",
                    header.total_bytes(),
                    bytes.len()
                ),
            ));
        }
        let mut c = Compressed::zeroed(total);
        c.as_mut_bytes().copy_from_slice(&bytes[..total]);
        c.header = header;
        Ok(c)
    }

    /// The whole buffer, header first (16-byte aligned).
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: `storage` holds at least `len` initialized bytes; u8 has alignment 1.
        unsafe { std::slice::from_raw_parts(self.storage.as_ptr().cast::<u8>(), self.len) }
    }

    pub(crate) fn as_mut_bytes(&mut self) -> &mut [u8] {
        // SAFETY: as in as_bytes, and `self` is borrowed mutably.
        unsafe { std::slice::from_raw_parts_mut(self.storage.as_mut_ptr().cast::<u8>(), self.len) }
    }

    pub fn header(&self) -> &CompressedHeader {
        &self.header
    }

    /// Size of the buffer in bytes (`sf_compressed_size` of its shape).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies the bytes out, e.g. to store them. [`from_bytes`](Self::from_bytes) reads them back.
    pub fn to_vec(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}

impl fmt::Debug for Compressed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compressed").field("len", &self.len).field("header", &self.header).finish()
    }
}

impl PartialEq for Compressed {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Compressed {}

impl AsRef<[u8]> for Compressed {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}
