//! Host-memory tests: need libsparseflow, no GPU.

use sparseflow::{
    build_info, check_2to4_host, compress_host, compressed_size, decompress_host, ffi, gemm,
    prune_host, prune_host_in_place, version, version_number, Bf16, Compressed, CompressedHeader,
    DType, Element, Layout, Status, Stream, F16,
};

/// xorshift64*: deterministic test data without dependencies.
struct Rng(u64);

impl Rng {
    fn next_u32(&mut self) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    }

    /// Uniform in [-1, 1), with some exact zeros, ties and negative zeros.
    fn value(&mut self) -> f32 {
        match self.next_u32() % 16 {
            0 => 0.0,
            1 => -0.0,
            2 => 0.25,
            3 => -0.25,
            _ => (self.next_u32() as f32 / 4_294_967_296.0) * 2.0 - 1.0,
        }
    }
}

trait Bits: Element {
    fn from_f32(x: f32) -> Self;
    /// Bit pattern with the sign cleared: the magnitude order of the pruning rule.
    fn magnitude(self) -> u32;
}

impl Bits for F16 {
    fn from_f32(x: f32) -> Self {
        F16::from_f32(x)
    }
    fn magnitude(self) -> u32 {
        (self.to_bits() & 0x7fff) as u32
    }
}

impl Bits for Bf16 {
    fn from_f32(x: f32) -> Self {
        Bf16::from_f32(x)
    }
    fn magnitude(self) -> u32 {
        (self.to_bits() & 0x7fff) as u32
    }
}

impl Bits for f32 {
    fn from_f32(x: f32) -> Self {
        x
    }
    fn magnitude(self) -> u32 {
        self.to_bits() & 0x7fff_ffff
    }
}

/// A `rows x cols` matrix with leading dimension `ld`; the padding holds `pad`.
fn matrix<T: Bits>(rng: &mut Rng, rows: usize, cols: usize, ld: usize, pad: T) -> Vec<T> {
    let mut m = vec![pad; (rows - 1) * ld + cols + (ld - cols)];
    for r in 0..rows {
        for c in 0..cols {
            m[r * ld + c] = T::from_f32(rng.value());
        }
    }
    m
}

/// The documented rule: keep the 2 of largest magnitude, ties to the lower index, others +0.
fn reference_prune<T: Bits>(rows: usize, cols: usize, src: &[T], ld: usize) -> Vec<T> {
    let mut out = src.to_vec();
    for r in 0..rows {
        for g in (0..cols).step_by(4) {
            let group = &src[r * ld + g..r * ld + g + 4];
            let mut idx = [0usize, 1, 2, 3];
            // Stable sort by decreasing magnitude keeps the lower index first among ties.
            idx.sort_by(|&a, &b| group[b].magnitude().cmp(&group[a].magnitude()));
            for &i in &idx[2..] {
                out[r * ld + g + i] = T::default();
            }
        }
    }
    out
}

fn bits_equal<T: Element>(a: &[T], b: &[T]) -> bool {
    // F16 and Bf16 compare bitwise; for f32 compare the bits too (NaN, -0).
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            let xb: &[u8] = unsafe {
                std::slice::from_raw_parts((x as *const T).cast(), std::mem::size_of::<T>())
            };
            let yb: &[u8] = unsafe {
                std::slice::from_raw_parts((y as *const T).cast(), std::mem::size_of::<T>())
            };
            xb == yb
        })
}

fn round_trip<T: Bits + std::fmt::Debug>(dtype: DType, pad: T) {
    // 37 rows: not a multiple of 16, so the compressed form has padding rows.
    let (rows, cols, ld) = (37usize, 96usize, 104usize);
    let mut rng = Rng(0x5eed_0000_0000_0001 + dtype.to_raw() as u64);
    let src = matrix(&mut rng, rows, cols, ld, pad);
    assert!(check_2to4_host(rows, cols, &src, ld).unwrap() > 0, "random data should not be 2:4");

    let mut pruned = vec![pad; src.len()];
    prune_host(rows, cols, &src, ld, &mut pruned, ld).unwrap();
    assert!(bits_equal(&pruned, &reference_prune(rows, cols, &src, ld)), "prune rule");
    assert_eq!(check_2to4_host(rows, cols, &pruned, ld).unwrap(), 0);

    let mut in_place = src.clone();
    prune_host_in_place(rows, cols, &mut in_place, ld).unwrap();
    assert!(bits_equal(&in_place, &pruned), "in place");

    let c = compress_host(rows, cols, &pruned, ld).unwrap();
    let h = c.header();
    assert_eq!(c.len(), compressed_size(dtype, rows, cols).unwrap());
    assert_eq!(c.as_bytes().as_ptr() as usize % 16, 0, "16-byte aligned");
    assert_eq!(&c.as_bytes()[..4], b"SF24");
    assert_eq!(h.as_raw().magic, sparseflow::FORMAT_MAGIC);
    assert_eq!(h.format_version(), sparseflow::FORMAT_VERSION);
    assert_eq!(h.dtype(), Some(dtype));
    assert_eq!((h.rows(), h.cols()), (rows as i64, cols as i64));
    assert_eq!(h.as_raw().padded_rows, 48);
    assert_eq!(h.total_bytes(), c.len() as u64);
    assert_eq!(&h.to_bytes()[..], &c.as_bytes()[..sparseflow::HEADER_SIZE]);
    h.validate().unwrap();

    // Back to dense, into a padded destination whose padding must survive.
    let mut dense = vec![pad; src.len()];
    decompress_host(&c, &mut dense, ld).unwrap();
    assert!(bits_equal(&dense, &pruned), "decompress(compress(prune(x))) == prune(x)");
    let packed: Vec<T> = c.decompress().unwrap();
    for r in 0..rows {
        assert!(bits_equal(&packed[r * cols..(r + 1) * cols], &pruned[r * ld..r * ld + cols]));
    }

    // Through bytes, as a stored model would go.
    let again = Compressed::from_bytes(&c.to_vec()).unwrap();
    assert_eq!(again, c);
    assert_eq!(again.header(), c.header());
}

#[test]
fn host_round_trip_f16() {
    round_trip(DType::F16, F16::from_f32(7.0));
}

#[test]
fn host_round_trip_bf16() {
    round_trip(DType::Bf16, Bf16::from_f32(7.0));
}

#[test]
fn host_prune_f32() {
    let (rows, cols, ld) = (5usize, 12usize, 16usize);
    let mut rng = Rng(42);
    let mut src = matrix(&mut rng, rows, cols, ld, 9.0f32);
    src[1] = f32::NAN; // NaN ranks above everything and is kept
    src[2] = f32::INFINITY;
    let mut dst = vec![9.0f32; src.len()];
    prune_host(rows, cols, &src, ld, &mut dst, ld).unwrap();
    assert!(bits_equal(&dst, &reference_prune(rows, cols, &src, ld)));
    assert!(dst[1].is_nan() && dst[2] == f32::INFINITY && dst[0] == 0.0 && dst[3] == 0.0);
    assert_eq!(check_2to4_host(rows, cols, &dst, ld).unwrap(), 0);
}

#[test]
fn compress_refuses_cols_not_multiple_of_32() {
    let (rows, cols) = (16usize, 48usize); // a multiple of 4, so pruning is fine
    let src = vec![F16::ZERO; rows * cols];
    let err = compress_host(rows, cols, &src, cols).unwrap_err();
    assert_eq!(err.status, Status::K_GRANULARITY);
    assert!(!err.message.is_empty(), "the library's message");
    let err = compressed_size(DType::F16, rows, cols).unwrap_err();
    assert_eq!(err.status, Status::K_GRANULARITY);
    assert!(!err.message.is_empty());
    // Display carries the description, the name and the message.
    let shown = err.to_string();
    assert!(shown.contains("SF_ERROR_K_GRANULARITY") && shown.contains(&err.message), "{}", shown);
}

#[test]
fn errors_from_the_library() {
    let m = vec![F16::ONE; 4 * 32];
    // Not 2:4.
    let err = compress_host(4, 32, &m, 32).unwrap_err();
    assert_eq!(err.status, Status::NOT_2TO4);
    assert!(!err.message.is_empty());
    // f32 cannot be compressed.
    let err = compress_host(4, 32, &vec![0.0f32; 4 * 32], 32).unwrap_err();
    assert_eq!(err.status, Status::UNSUPPORTED_DTYPE);
    assert_eq!(compressed_size(DType::F32, 4, 32).unwrap_err().status, Status::UNSUPPORTED_DTYPE);
    // Zero rows, a leading dimension below cols, cols not a multiple of 4.
    let mut out = vec![F16::ZERO; 4 * 32];
    assert_eq!(prune_host(0, 32, &m, 32, &mut out, 32).unwrap_err().status, Status::INVALID_SIZE);
    assert_eq!(
        prune_host(4, 32, &m, 16, &mut out, 32).unwrap_err().status,
        Status::LEADING_DIMENSION
    );
    let err = check_2to4_host(4, 30, &m, 32).unwrap_err();
    assert_eq!(err.status, Status::K_GRANULARITY);
    assert!(!err.message.is_empty());
    // On failure nothing is written.
    assert!(out.iter().all(|x| *x == F16::ZERO));
}

#[test]
fn slice_lengths_are_checked_before_the_call() {
    let src = vec![F16::ONE; 4 * 32];
    let mut dst = vec![F16::ZERO; 4 * 32 - 1];
    let err = prune_host(4, 32, &src, 32, &mut dst, 32).unwrap_err();
    assert_eq!(err.status, Status::BUFFER_SIZE);
    assert!(err.message.contains("dst"), "{}", err.message);
    // Rows 0..2 of a leading dimension 40 need 3 * 40 + 32 = 152 elements.
    let err = check_2to4_host(4, 32, &vec![F16::ZERO; 151], 40).unwrap_err();
    assert_eq!(err.status, Status::BUFFER_SIZE);
    assert_eq!(check_2to4_host(4, 32, &vec![F16::ZERO; 152], 40).unwrap(), 0);
    // A typed destination of another dtype than the compressed matrix.
    let c = compress_host(16, 32, &vec![F16::ZERO; 16 * 32], 32).unwrap();
    let err = decompress_host(&c, &mut vec![Bf16::ZERO; 16 * 32], 32).unwrap_err();
    assert_eq!(err.status, Status::UNSUPPORTED_DTYPE);
    let err = decompress_host(&c, &mut vec![F16::ZERO; 16 * 32 - 1], 32).unwrap_err();
    assert_eq!(err.status, Status::BUFFER_SIZE);
}

#[test]
fn compressed_size_matches_the_format() {
    for &(rows, cols) in &[(1usize, 32usize), (16, 32), (17, 64), (256, 512), (8192, 8192)] {
        let mp = (rows + 15) / 16 * 16;
        let expected = 256 + mp * cols + mp * cols / 8; // README, "Compressed format"
        assert_eq!(compressed_size(DType::F16, rows, cols).unwrap(), expected, "{}x{}", rows, cols);
        assert_eq!(compressed_size(DType::Bf16, rows, cols).unwrap(), expected);
    }
    assert_eq!(compressed_size(DType::F16, 0, 32).unwrap_err().status, Status::INVALID_SIZE);
    assert_eq!(
        compressed_size(DType::F16, usize::MAX, 32).unwrap_err().status,
        Status::INVALID_SIZE
    );
}

#[test]
fn headers_are_checked() {
    let (rows, cols) = (20usize, 64usize);
    let c = compress_host(rows, cols, &vec![F16::ZERO; rows * cols], cols).unwrap();
    let bytes = c.to_vec();

    let mut bad = bytes.clone();
    bad[0] ^= 0xff; // magic
    assert_eq!(Compressed::from_bytes(&bad).unwrap_err().status, Status::BAD_HEADER);
    let mut bad = bytes.clone();
    bad[4] = 2; // format version
    assert_eq!(Compressed::from_bytes(&bad).unwrap_err().status, Status::FORMAT_VERSION);
    let err = Compressed::from_bytes(&bytes[..bytes.len() - 1]).unwrap_err();
    assert_eq!(err.status, Status::BUFFER_SIZE);
    assert_eq!(
        CompressedHeader::from_bytes(&bytes[..100]).unwrap_err().status,
        Status::BUFFER_SIZE
    );

    let mut raw = *c.header().as_raw();
    raw.total_bytes += 16;
    let err = CompressedHeader::from_raw(raw).validate().unwrap_err();
    assert!(err.status == Status::BUFFER_SIZE || err.status == Status::BAD_HEADER, "{:?}", err);
    assert!(!err.message.is_empty());
}

#[test]
fn version_matches_the_header() {
    assert_eq!(sparseflow::VERSION_NUMBER, 100);
    assert_eq!(version_number(), ffi::SF_VERSION_NUMBER);
    assert_eq!(version(), "0.1.0");
    assert!(build_info().starts_with("sparseflow 0.1.0"), "{}", build_info());
    assert!(build_info().contains("format 1"), "{}", build_info());
}

#[test]
fn status_codes() {
    assert_eq!(Status::NOT_2TO4, Status(10));
    assert_eq!(Status::INTERNAL.0, 17);
    assert_eq!(Status::NOT_2TO4.name(), Some("SF_ERROR_NOT_2TO4"));
    assert_eq!(Status(1000).name(), None);
    assert_eq!(format!("{:?}", Status::CUDA), "SF_ERROR_CUDA(15)");
    assert!(!Status::NOT_2TO4.description().is_empty());
    assert_eq!(Status(1000).description(), "unknown status");
    assert_eq!(Status(-1).description(), "unknown status");
    assert!(Status::SUCCESS.is_success());
}

#[test]
fn error_messages_are_per_thread() {
    let handles: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                for _ in 0..200 {
                    if i % 2 == 0 {
                        let e = compressed_size(DType::F16, 16, 48).unwrap_err();
                        assert_eq!(e.status, Status::K_GRANULARITY);
                        assert!(!e.message.is_empty());
                    } else {
                        let e = compressed_size(DType::F32, 16, 32).unwrap_err();
                        assert_eq!(e.status, Status::UNSUPPORTED_DTYPE);
                        assert!(!e.message.is_empty());
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn device_calls_refuse_null_pointers() {
    // Needs no GPU: the library refuses the arguments before touching a device.
    let c = compress_host(16, 32, &vec![F16::ZERO; 16 * 32], 32).unwrap();
    let err = unsafe {
        gemm(
            Layout::Linear,
            8,
            1.0,
            c.header(),
            std::ptr::null(),
            c.len(),
            std::ptr::null(),
            32,
            0.0,
            std::ptr::null(),
            16,
            std::ptr::null(),
            DType::F16,
            std::ptr::null_mut(),
            16,
            Stream::LEGACY_DEFAULT,
        )
    }
    .unwrap_err();
    assert!(err.status == Status::NULL_POINTER || err.status == Status::NO_DEVICE, "{:?}", err);
    assert!(!err.message.is_empty());
}
