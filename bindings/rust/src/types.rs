//! Element types, memory kinds, GEMM layouts and streams.

use std::ffi::c_void;
use std::fmt;

use crate::ffi;

/// Element type of a matrix (`sf_dtype_t`). Converts to the C value only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
    /// IEEE binary16.
    F16,
    /// bfloat16.
    Bf16,
    /// IEEE binary32 (prune, check and GEMM output only; not compressible).
    F32,
}

impl DType {
    pub const fn to_raw(self) -> ffi::sf_dtype_t {
        match self {
            DType::F16 => ffi::SF_DTYPE_F16,
            DType::Bf16 => ffi::SF_DTYPE_BF16,
            DType::F32 => ffi::SF_DTYPE_F32,
        }
    }

    /// Bytes of one element.
    pub const fn size(self) -> usize {
        match self {
            DType::F16 | DType::Bf16 => 2,
            DType::F32 => 4,
        }
    }
}

impl From<DType> for ffi::sf_dtype_t {
    fn from(d: DType) -> Self {
        d.to_raw()
    }
}

/// Where the buffers of a call live (`sf_memory_t`). Converts to the C value only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Memory {
    /// Host memory: the work runs on CPU threads and is done on return.
    Host,
    /// Memory of the current CUDA device: the work runs on the given stream.
    Device,
}

impl Memory {
    pub const fn to_raw(self) -> ffi::sf_memory_t {
        match self {
            Memory::Host => ffi::SF_MEMORY_HOST,
            Memory::Device => ffi::SF_MEMORY_DEVICE,
        }
    }
}

impl From<Memory> for ffi::sf_memory_t {
    fn from(m: Memory) -> Self {
        m.to_raw()
    }
}

/// Operand conventions of [`gemm`](crate::gemm) (`sf_layout_t`). Converts to the C value only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layout {
    /// `Y[n, M] = X[n, K] * A[M, K]^T`: a linear layer, X and Y row-major.
    Linear,
    /// `D[M, n] = A[M, K] * B[K, n]`: plain GEMM, B and D row-major.
    RowMajor,
}

impl Layout {
    pub const fn to_raw(self) -> ffi::sf_layout_t {
        match self {
            Layout::Linear => ffi::SF_LAYOUT_LINEAR,
            Layout::RowMajor => ffi::SF_LAYOUT_ROW_MAJOR,
        }
    }
}

impl From<Layout> for ffi::sf_layout_t {
    fn from(l: Layout) -> Self {
        l.to_raw()
    }
}

/// A CUDA stream handle (`cudaStream_t` / `CUstream`), passed through to the library untouched.
/// The binding never dereferences it, so it is `Send` and `Sync`; whether it is a live stream of
/// the current device is part of the contract of the `unsafe` device functions.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Stream(ffi::sf_stream_t);

// SAFETY: an opaque handle, never dereferenced by Rust; CUDA streams may be used from any thread.
unsafe impl Send for Stream {}
unsafe impl Sync for Stream {}

impl Stream {
    /// The legacy default stream (a null handle).
    pub const LEGACY_DEFAULT: Stream = Stream(std::ptr::null_mut());

    /// Wraps a `cudaStream_t` / `CUstream` obtained from CUDA or another library (e.g. PyTorch's
    /// `cuda_stream`). Null means the legacy default stream.
    pub fn from_raw(stream: *mut c_void) -> Stream {
        Stream(stream.cast())
    }

    pub fn as_raw(self) -> *mut c_void {
        self.0.cast()
    }

    pub fn is_legacy_default(self) -> bool {
        self.0.is_null()
    }
}

impl Default for Stream {
    fn default() -> Self {
        Stream::LEGACY_DEFAULT
    }
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Stream({:p})", self.0)
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::F16 {}
    impl Sealed for super::Bf16 {}
    impl Sealed for f32 {}
}

/// An element type the host functions accept in a typed slice: [`F16`], [`Bf16`] and `f32`.
/// Sealed: its layout must be exactly the C element's.
pub trait Element: Copy + Default + PartialEq + sealed::Sealed + Send + Sync + 'static {
    const DTYPE: DType;
}

impl Element for F16 {
    const DTYPE: DType = DType::F16;
}
impl Element for Bf16 {
    const DTYPE: DType = DType::Bf16;
}
impl Element for f32 {
    const DTYPE: DType = DType::F32;
}

/// An IEEE binary16 value, stored as its bits. Equality is bitwise.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct F16(pub u16);

impl F16 {
    pub const ZERO: F16 = F16(0);
    pub const ONE: F16 = F16(0x3c00);

    pub const fn from_bits(bits: u16) -> F16 {
        F16(bits)
    }

    pub const fn to_bits(self) -> u16 {
        self.0
    }

    /// Rounds to nearest, ties to even; overflow gives infinity, NaN stays NaN.
    pub fn from_f32(x: f32) -> F16 {
        F16(f32_to_f16_bits(x))
    }

    /// Exact.
    pub fn to_f32(self) -> f32 {
        f16_bits_to_f32(self.0)
    }
}

impl fmt::Debug for F16 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "F16({:?} = {:#06x})", self.to_f32(), self.0)
    }
}

impl From<F16> for f32 {
    fn from(x: F16) -> f32 {
        x.to_f32()
    }
}

/// A bfloat16 value, stored as its bits. Equality is bitwise.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Bf16(pub u16);

impl Bf16 {
    pub const ZERO: Bf16 = Bf16(0);
    pub const ONE: Bf16 = Bf16(0x3f80);

    pub const fn from_bits(bits: u16) -> Bf16 {
        Bf16(bits)
    }

    pub const fn to_bits(self) -> u16 {
        self.0
    }

    /// Rounds to nearest, ties to even; NaN stays (a quiet) NaN.
    pub fn from_f32(x: f32) -> Bf16 {
        let b = x.to_bits();
        if x.is_nan() {
            return Bf16(((b >> 16) as u16) | 0x0040);
        }
        let rounded = b.wrapping_add(0x7fff + ((b >> 16) & 1));
        Bf16((rounded >> 16) as u16)
    }

    /// Exact.
    pub fn to_f32(self) -> f32 {
        f32::from_bits((self.0 as u32) << 16)
    }
}

impl fmt::Debug for Bf16 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bf16({:?} = {:#06x})", self.to_f32(), self.0)
    }
}

impl From<Bf16> for f32 {
    fn from(x: Bf16) -> f32 {
        x.to_f32()
    }
}

fn f32_to_f16_bits(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32;
    let man = b & 0x007f_ffff;
    if exp == 0xff {
        // Infinity, or NaN kept quiet with its top payload bits.
        let nan = if man != 0 { 0x0200 | (man >> 13) as u16 } else { 0 };
        return sign | 0x7c00 | nan;
    }
    let e = exp - 127 + 15; // biased binary16 exponent
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        // Subnormal binary16 (or zero): units of 2^-24.
        if e < -10 {
            return sign;
        }
        let m = man | 0x0080_0000;
        let shift = (14 - e) as u32;
        let mut r = m >> shift;
        let rem = m & ((1u32 << shift) - 1);
        let half = 1u32 << (shift - 1);
        if rem > half || (rem == half && (r & 1) == 1) {
            r += 1; // may carry into the smallest normal, which is the right encoding
        }
        return sign | r as u16;
    }
    let mut h = ((e as u32) << 10) | (man >> 13);
    let rem = man & 0x1fff;
    if rem > 0x1000 || (rem == 0x1000 && (h & 1) == 1) {
        h += 1; // may carry into the exponent, up to infinity
    }
    sign | h as u16
}

fn f16_bits_to_f32(h: u16) -> f32 {
    let sign = ((h & 0x8000) as u32) << 16;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x03ff) as u32;
    let bits = match exp {
        0 if man == 0 => sign,
        0 => {
            // Subnormal: man * 2^-24, exact in f32.
            let v = man as f32 * (1.0 / 16_777_216.0);
            sign | v.to_bits()
        }
        0x1f => sign | 0x7f80_0000 | (man << 13),
        _ => sign | ((exp + 112) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_conversions() {
        for (x, bits) in [
            (0.0f32, 0x0000u16),
            (-0.0, 0x8000),
            (1.0, 0x3c00),
            (-2.0, 0xc000),
            (0.5, 0x3800),
            (65504.0, 0x7bff),
            (65520.0, 0x7c00), // rounds up to infinity
            (65519.0, 0x7bff),
            (f32::INFINITY, 0x7c00),
            (f32::NEG_INFINITY, 0xfc00),
            (5.960_464_5e-8, 0x0001), // 2^-24
            (2.980_232_2e-8, 0x0000), // 2^-25: a tie, to even (zero)
            (4.470_348_4e-8, 0x0001), // 1.5 * 2^-25 rounds up
            (6.103_515_6e-5, 0x0400), // smallest normal
            (1.000_488_3, 0x3c00),    // 1 + 2^-11: a tie, to even
            (1.001_464_8, 0x3c02),    // 1 + 3 * 2^-11: a tie, to even (up)
        ] {
            assert_eq!(F16::from_f32(x).to_bits(), bits, "{}", x);
        }
        assert!(F16::from_f32(f32::NAN).to_f32().is_nan());
        for bits in 0..=u16::MAX {
            let h = F16(bits);
            if h.to_f32().is_nan() {
                assert_eq!(bits & 0x7c00, 0x7c00);
                continue;
            }
            assert_eq!(F16::from_f32(h.to_f32()), h, "{:#06x}", bits);
        }
    }

    #[test]
    fn bf16_conversions() {
        assert_eq!(Bf16::from_f32(1.0), Bf16::ONE);
        assert_eq!(Bf16::from_f32(-2.0).to_bits(), 0xc000);
        assert_eq!(Bf16::from_f32(1.0 + 1.0 / 256.0).to_bits(), 0x3f80); // tie, to even
        assert_eq!(Bf16::from_f32(1.0 + 3.0 / 256.0).to_bits(), 0x3f82); // tie, to even (up)
        assert!(Bf16::from_f32(f32::NAN).to_f32().is_nan());
        assert_eq!(Bf16::from_f32(f32::MAX).to_bits(), 0x7f80); // rounds up to infinity
        for bits in 0..=u16::MAX {
            let h = Bf16(bits);
            if !h.to_f32().is_nan() {
                assert_eq!(Bf16::from_f32(h.to_f32()), h);
            }
        }
    }

    #[test]
    fn raw_values() {
        assert_eq!(DType::F16.to_raw(), 1);
        assert_eq!(DType::Bf16.to_raw(), 2);
        assert_eq!(DType::F32.to_raw(), 3);
        assert_eq!(Memory::Host.to_raw(), 1);
        assert_eq!(Memory::Device.to_raw(), 2);
        assert_eq!(Layout::Linear.to_raw(), 1);
        assert_eq!(Layout::RowMajor.to_raw(), 2);
        assert!(Stream::default().is_legacy_default());
    }
}
