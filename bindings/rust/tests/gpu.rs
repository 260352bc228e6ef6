//! Device test: prune, check, compress and decompress on the GPU, then `gemm`, checked against
//! the host path and an f64 reference. Ignored by default (CI has no GPU); on a machine with a
//! CUDA GPU of compute capability 8.0 or later run:
//!
//!     cargo test --features gpu-tests -- --ignored
//!
//! The `gpu-tests` feature links the CUDA runtime into this test only (to allocate device
//! memory and make a stream); the crate itself never needs it.

#[test]
#[ignore = "needs a CUDA GPU: cargo test --features gpu-tests -- --ignored"]
fn device_prune_compress_gemm() {
    #[cfg(feature = "gpu-tests")]
    gpu::device_prune_compress_gemm();
    #[cfg(not(feature = "gpu-tests"))]
    panic!("built without the CUDA runtime: run `cargo test --features gpu-tests -- --ignored`");
}

#[cfg(feature = "gpu-tests")]
mod gpu {
    use std::ffi::{c_char, c_int, c_void, CStr};
    use std::ptr;

    use sparseflow::{
        check_2to4_device, compress_device, compress_host, compressed_size, decompress_device,
        gemm, prune_device, prune_host, DType, Layout, Status, Stream, F16,
    };

    // The few CUDA runtime functions the test needs (cuda_runtime_api.h).
    #[link(name = "cudart")]
    extern "C" {
        fn cudaGetDeviceCount(count: *mut c_int) -> c_int;
        fn cudaGetDevice(device: *mut c_int) -> c_int;
        fn cudaDeviceGetAttribute(value: *mut c_int, attr: c_int, device: c_int) -> c_int;
        fn cudaMalloc(ptr: *mut *mut c_void, size: usize) -> c_int;
        fn cudaFree(ptr: *mut c_void) -> c_int;
        fn cudaMemcpy(dst: *mut c_void, src: *const c_void, count: usize, kind: c_int) -> c_int;
        fn cudaMemset(ptr: *mut c_void, value: c_int, count: usize) -> c_int;
        fn cudaStreamCreate(stream: *mut *mut c_void) -> c_int;
        fn cudaStreamSynchronize(stream: *mut c_void) -> c_int;
        fn cudaStreamDestroy(stream: *mut c_void) -> c_int;
        fn cudaGetErrorString(error: c_int) -> *const c_char;
    }
    const CUDA_MEMCPY_HOST_TO_DEVICE: c_int = 1;
    const CUDA_MEMCPY_DEVICE_TO_HOST: c_int = 2;
    const CUDA_DEV_ATTR_COMPUTE_CAPABILITY_MAJOR: c_int = 75;
    const CUDA_DEV_ATTR_COMPUTE_CAPABILITY_MINOR: c_int = 76;

    fn cuda(status: c_int, what: &str) {
        if status != 0 {
            let msg = unsafe { CStr::from_ptr(cudaGetErrorString(status)) };
            panic!("{} failed: {} ({})", what, msg.to_string_lossy(), status);
        }
    }

    /// A device allocation, freed on drop.
    struct DeviceBuffer {
        ptr: *mut c_void,
        bytes: usize,
    }

    impl DeviceBuffer {
        fn new(bytes: usize) -> DeviceBuffer {
            let mut ptr = ptr::null_mut();
            cuda(unsafe { cudaMalloc(&mut ptr, bytes) }, "cudaMalloc");
            // Garbage, so that anything not written shows.
            cuda(unsafe { cudaMemset(ptr, 0x7f, bytes) }, "cudaMemset");
            DeviceBuffer { ptr, bytes }
        }

        fn from_slice<T: Copy>(data: &[T]) -> DeviceBuffer {
            let bytes = std::mem::size_of_val(data);
            let buf = DeviceBuffer::new(bytes);
            cuda(
                unsafe {
                    cudaMemcpy(buf.ptr, data.as_ptr().cast(), bytes, CUDA_MEMCPY_HOST_TO_DEVICE)
                },
                "cudaMemcpy to the device",
            );
            buf
        }

        /// Copies the buffer back (synchronizes with all blocking streams).
        fn to_vec<T: Copy + Default>(&self) -> Vec<T> {
            let mut out = vec![T::default(); self.bytes / std::mem::size_of::<T>()];
            cuda(
                unsafe {
                    cudaMemcpy(
                        out.as_mut_ptr().cast(),
                        self.ptr,
                        std::mem::size_of_val(&out[..]),
                        CUDA_MEMCPY_DEVICE_TO_HOST,
                    )
                },
                "cudaMemcpy to the host",
            );
            out
        }
    }

    impl Drop for DeviceBuffer {
        fn drop(&mut self) {
            unsafe { cudaFree(self.ptr) };
        }
    }

    struct OwnedStream(*mut c_void);

    impl OwnedStream {
        fn new() -> OwnedStream {
            let mut s = ptr::null_mut();
            cuda(unsafe { cudaStreamCreate(&mut s) }, "cudaStreamCreate");
            OwnedStream(s)
        }
        fn stream(&self) -> Stream {
            Stream::from_raw(self.0)
        }
        fn sync(&self) {
            cuda(unsafe { cudaStreamSynchronize(self.0) }, "cudaStreamSynchronize");
        }
    }

    impl Drop for OwnedStream {
        fn drop(&mut self) {
            unsafe { cudaStreamDestroy(self.0) };
        }
    }

    struct Rng(u64);

    impl Rng {
        /// Uniform in [-1, 1).
        fn value(&mut self) -> f32 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let u = (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32 / 16_777_216.0;
            u * 2.0 - 1.0
        }
    }

    fn require_device() {
        let mut count = 0;
        let status = unsafe { cudaGetDeviceCount(&mut count) };
        if status != 0 || count == 0 {
            let msg = unsafe { CStr::from_ptr(cudaGetErrorString(status)) };
            panic!("no usable CUDA device ({}); this test needs one", msg.to_string_lossy());
        }
        let (mut dev, mut major, mut minor) = (0, 0, 0);
        cuda(unsafe { cudaGetDevice(&mut dev) }, "cudaGetDevice");
        cuda(
            unsafe {
                cudaDeviceGetAttribute(&mut major, CUDA_DEV_ATTR_COMPUTE_CAPABILITY_MAJOR, dev)
            },
            "cudaDeviceGetAttribute",
        );
        cuda(
            unsafe {
                cudaDeviceGetAttribute(&mut minor, CUDA_DEV_ATTR_COMPUTE_CAPABILITY_MINOR, dev)
            },
            "cudaDeviceGetAttribute",
        );
        eprintln!(
            "device {}: compute capability {}.{}; {}",
            dev,
            major,
            minor,
            sparseflow::build_info()
        );
        assert!(major >= 8, "SparseFlow needs compute capability 8.0 or later");
    }

    /// `|got - want| <= tol`, reporting the worst element.
    fn assert_close(what: &str, got: &[f64], want: &[f64], tol: &[f64]) {
        let mut worst = (0usize, 0.0f64);
        for i in 0..want.len() {
            let excess = (got[i] - want[i]).abs() / tol[i];
            assert!(!got[i].is_nan(), "{}: NaN at {}", what, i);
            if excess > worst.1 {
                worst = (i, excess);
            }
        }
        let i = worst.0;
        assert!(
            worst.1 <= 1.0,
            "{}: element {} is {}, reference {} (tolerance {})",
            what,
            i,
            got[i],
            want[i],
            tol[i]
        );
    }

    pub fn device_prune_compress_gemm() {
        require_device();
        const M: usize = 256;
        const K: usize = 512;
        const N_MAX: usize = 64;
        let stream = OwnedStream::new();
        let s = stream.stream();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let w: Vec<F16> = (0..M * K).map(|_| F16::from_f32(rng.value())).collect();
        let x: Vec<F16> = (0..N_MAX * K).map(|_| F16::from_f32(rng.value())).collect();
        let bias: Vec<f32> = (0..M).map(|_| rng.value()).collect();

        // Prune on the device: same bits as the host.
        let mut w_pruned = vec![F16::ZERO; M * K];
        prune_host(M, K, &w, K, &mut w_pruned, K).unwrap();
        let d_w = DeviceBuffer::from_slice(&w);
        let d_wp = DeviceBuffer::new(M * K * 2);
        unsafe {
            prune_device(DType::F16, M, K, d_w.ptr, K, d_wp.ptr, K, s).unwrap();
            assert!(check_2to4_device(DType::F16, M, K, d_w.ptr, K, s).unwrap() > 0);
            assert_eq!(check_2to4_device(DType::F16, M, K, d_wp.ptr, K, s).unwrap(), 0);
        }
        stream.sync();
        assert!(d_wp.to_vec::<F16>() == w_pruned, "device prune == host prune");

        // Compress on the device: same bytes and header as the host.
        let bytes = compressed_size(DType::F16, M, K).unwrap();
        let d_a = DeviceBuffer::new(bytes);
        let header =
            unsafe { compress_device(DType::F16, M, K, d_wp.ptr, K, d_a.ptr, bytes, s).unwrap() };
        stream.sync();
        let host = compress_host(M, K, &w_pruned, K).unwrap();
        assert_eq!(&header, host.header());
        assert!(d_a.to_vec::<u8>() == host.as_bytes(), "device compress == host compress");

        // Refused on the device too: not 2:4.
        let err = unsafe { compress_device(DType::F16, M, K, d_w.ptr, K, d_a.ptr, bytes, s) }
            .unwrap_err();
        assert_eq!(err.status, Status::NOT_2TO4);
        assert!(!err.message.is_empty());

        // Decompress on the device.
        let d_dense = DeviceBuffer::new(M * K * 2);
        unsafe { decompress_device(&header, d_a.ptr, bytes, d_dense.ptr, K, s).unwrap() };
        stream.sync();
        assert!(d_dense.to_vec::<F16>() == w_pruned, "device decompress == pruned");

        // Reference from the pruned matrix: xw[i][m] = sum_k x[i][k] * w[m][k] in f64.
        let wf: Vec<f64> = w_pruned.iter().map(|v| v.to_f32() as f64).collect();
        let xf: Vec<f64> = x.iter().map(|v| v.to_f32() as f64).collect();
        let mut xw = vec![0.0f64; N_MAX * M];
        let mut xw_abs = vec![0.0f64; N_MAX * M];
        for i in 0..N_MAX {
            for m in 0..M {
                let (mut sum, mut abs) = (0.0, 0.0);
                for k in 0..K {
                    let p = xf[i * K + k] * wf[m * K + k];
                    sum += p;
                    abs += p.abs();
                }
                xw[i * M + m] = sum;
                xw_abs[i * M + m] = abs;
            }
        }

        let d_x = DeviceBuffer::from_slice(&x);
        let d_bias = DeviceBuffer::from_slice(&bias);
        for &n in &[8usize, N_MAX] {
            // Linear, fp32 output: Y = 0.5 * X W^T + bias.
            let d_y = DeviceBuffer::new(n * M * 4);
            let run = || unsafe {
                gemm(
                    Layout::Linear,
                    n,
                    0.5,
                    &header,
                    d_a.ptr,
                    bytes,
                    d_x.ptr,
                    K,
                    0.0,
                    ptr::null(),
                    M,
                    d_bias.ptr,
                    DType::F32,
                    d_y.ptr,
                    M,
                    s,
                )
                .unwrap()
            };
            run();
            stream.sync();
            let y: Vec<f32> = d_y.to_vec();
            let got: Vec<f64> = y.iter().map(|&v| v as f64).collect();
            let want: Vec<f64> = (0..n * M).map(|j| 0.5 * xw[j] + bias[j % M] as f64).collect();
            let tol: Vec<f64> = (0..n * M).map(|j| 1e-5 + 1e-5 * xw_abs[j]).collect();
            assert_close(&format!("linear f32 n={}", n), &got, &want, &tol);
            run();
            stream.sync();
            assert!(d_y.to_vec::<f32>() == y, "same bits on every call");

            // Linear, fp16 output, in place: Y16 = X W^T + 1.0 * Y16.
            let y0: Vec<F16> = (0..n * M).map(|_| F16::from_f32(rng.value())).collect();
            let d_y16 = DeviceBuffer::from_slice(&y0);
            unsafe {
                gemm(
                    Layout::Linear,
                    n,
                    1.0,
                    &header,
                    d_a.ptr,
                    bytes,
                    d_x.ptr,
                    K,
                    1.0,
                    d_y16.ptr,
                    M,
                    ptr::null(),
                    DType::F16,
                    d_y16.ptr,
                    M,
                    s,
                )
                .unwrap();
            }
            stream.sync();
            let got: Vec<f64> = d_y16.to_vec::<F16>().iter().map(|v| v.to_f32() as f64).collect();
            let want: Vec<f64> = (0..n * M).map(|j| xw[j] + y0[j].to_f32() as f64).collect();
            let tol: Vec<f64> =
                (0..n * M).map(|j| 1e-3 + 1e-5 * xw_abs[j] + want[j].abs() / 1024.0).collect();
            assert_close(&format!("linear f16 beta=1 n={}", n), &got, &want, &tol);

            // Row-major: D[M, n] = A[M, K] * B[K, n] with B = X^T, so D = (X W^T)^T.
            let b: Vec<F16> = (0..K * n).map(|j| x[(j % n) * K + j / n]).collect();
            let d_b = DeviceBuffer::from_slice(&b);
            let d_d = DeviceBuffer::new(M * n * 4);
            unsafe {
                gemm(
                    Layout::RowMajor,
                    n,
                    1.0,
                    &header,
                    d_a.ptr,
                    bytes,
                    d_b.ptr,
                    n,
                    0.0,
                    ptr::null(),
                    n,
                    ptr::null(),
                    DType::F32,
                    d_d.ptr,
                    n,
                    s,
                )
                .unwrap();
            }
            stream.sync();
            let got: Vec<f64> = d_d.to_vec::<f32>().iter().map(|&v| v as f64).collect();
            let want: Vec<f64> = (0..M * n).map(|j| xw[(j % n) * M + j / n]).collect();
            let tol: Vec<f64> =
                (0..M * n).map(|j| 1e-5 + 1e-5 * xw_abs[(j % n) * M + j / n]).collect();
            assert_close(&format!("row-major f32 n={}", n), &got, &want, &tol);
        }

        // A host pointer where device memory is required is refused, not dereferenced.
        let mut host_y = vec![0.0f32; 8 * M];
        let err = unsafe {
            gemm(
                Layout::Linear,
                8,
                1.0,
                &header,
                d_a.ptr,
                bytes,
                d_x.ptr,
                K,
                0.0,
                ptr::null(),
                M,
                ptr::null(),
                DType::F32,
                host_y.as_mut_ptr().cast(),
                M,
                s,
            )
        }
        .unwrap_err();
        assert_eq!(err.status, Status::INVALID_VALUE, "{}", err);
        stream.sync();
    }
}
