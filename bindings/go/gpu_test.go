package sparseflow_test

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"sparseflow.dev/sparseflow"
	"sparseflow.dev/sparseflow/internal/cudart"
)

// requireGPU skips the test without a usable CUDA device. Where there is no device or driver at
// all, it first checks that the device path says so with StatusNoDevice.
func requireGPU(t *testing.T) {
	t.Helper()
	ok, noDevice, reason := cudart.Usable()
	if ok {
		return
	}
	if noDevice {
		err := sparseflow.PruneDevice(sparseflow.DTypeF16, 16, 64, 0x10000, 64, 0x10000, 64, 0)
		requireStatus(t, err, sparseflow.StatusNoDevice)
	}
	t.Skipf("no CUDA device (%s)", reason)
}

type deviceMemory struct {
	t    *testing.T
	ptrs []uintptr
}

func (m *deviceMemory) alloc(bytes int) uintptr {
	m.t.Helper()
	p, err := cudart.Malloc(bytes)
	if err != nil {
		m.t.Fatal(err)
	}
	m.ptrs = append(m.ptrs, p)
	return p
}

func (m *deviceMemory) free() {
	for _, p := range m.ptrs {
		cudart.Free(p)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Prune and compress on the device, check against the host path, then Gemm against an fp64
// reference made from the pruned matrix.
func TestGPUGemm(t *testing.T) {
	requireGPU(t)
	const dtype = sparseflow.DTypeF16
	const M, K = 256, 512
	mem := &deviceMemory{t: t}
	defer mem.free()
	stream, err := cudart.StreamCreate()
	must(t, err)
	defer cudart.StreamDestroy(stream)

	w := randomMatrix(dtype, M, K, K, 0, 21)
	dW := mem.alloc(M * K * 2)
	must(t, cudart.CopyIn(dW, w))

	// Prune in place on the device: the same bits as the host path.
	must(t, sparseflow.PruneDevice(dtype, M, K, dW, K, dW, K, stream))
	violations, err := sparseflow.Check2to4Device(dtype, M, K, dW, K, stream)
	must(t, err)
	if violations != 0 {
		t.Fatalf("%d violations after PruneDevice", violations)
	}
	pruned := make([]uint16, M*K)
	must(t, cudart.StreamSynchronize(stream))
	must(t, cudart.CopyOut(pruned, dW))
	hostPruned := make([]uint16, M*K)
	must(t, sparseflow.PruneHost(dtype, M, K, w, K, hostPruned, K))
	if !equalSlices(pruned, hostPruned) {
		t.Fatal("PruneDevice and PruneHost differ")
	}

	// Compress on the device: the same bytes and header as the host path.
	size, err := sparseflow.CompressedSize(dtype, M, K)
	must(t, err)
	dA := mem.alloc(size)
	header, err := sparseflow.CompressDevice(dtype, M, K, dW, K, dA, size, stream)
	must(t, err)
	must(t, cudart.StreamSynchronize(stream))
	deviceBytes := make([]byte, size)
	must(t, cudart.CopyOut(deviceBytes, dA))
	hostCompressed, err := sparseflow.CompressHost(dtype, M, K, hostPruned, K)
	must(t, err)
	if header != hostCompressed.Header() || !bytes.Equal(deviceBytes, hostCompressed.Bytes()) {
		t.Fatal("CompressDevice and CompressHost differ")
	}

	// Decompress on the device.
	dDense := mem.alloc(M * K * 2)
	must(t, sparseflow.DecompressDevice(&header, dA, size, dDense, K, stream))
	must(t, cudart.StreamSynchronize(stream))
	dense := make([]uint16, M*K)
	must(t, cudart.CopyOut(dense, dDense))
	if !equalSlices(dense, pruned) {
		t.Fatal("DecompressDevice differs from the pruned matrix")
	}

	wf := make([]float64, M*K)
	for i, h := range pruned {
		wf[i] = f16ToFloat64(h)
	}
	for _, n := range []int{8, 40} {
		x := randomMatrix(dtype, n, K, K, 0, int64(100+n))
		dX := mem.alloc(n * K * 2)
		must(t, cudart.CopyIn(dX, x))
		// ref[i][j] = sum_k X[i][k] W[j][k]
		ref := make([]float64, n*M)
		for i := 0; i < n; i++ {
			for j := 0; j < M; j++ {
				s := 0.0
				for k := 0; k < K; k++ {
					s += f16ToFloat64(x[i*K+k]) * wf[j*K+k]
				}
				ref[i*M+j] = s
			}
		}

		// Linear layout, fp32 output: Y[n, M] = X W^T.
		dY := mem.alloc(n * M * 4)
		must(t, sparseflow.Gemm(sparseflow.LayoutLinear, n, 1, &header, dA, size, dX, K, 0, 0, M, 0,
			sparseflow.DTypeF32, dY, M, stream))
		must(t, cudart.StreamSynchronize(stream))
		y := make([]float32, n*M)
		must(t, cudart.CopyOut(y, dY))
		compare(t, fmt.Sprintf("n=%d linear f32", n), y, ref, func(v float32) float64 { return float64(v) }, 1e-3, 1e-3)

		// Linear layout, fp16 output, in place on C with beta and a bias:
		// Y = 0.5 X W^T + 1 * Y0 + bias.
		y0 := randomMatrix(dtype, n, M, M, 0, int64(200+n))
		bias := randomMatrix(dtype, 1, M, M, 0, int64(300+n))
		dY16, dBias := mem.alloc(n*M*2), mem.alloc(M*2)
		must(t, cudart.CopyIn(dY16, y0))
		must(t, cudart.CopyIn(dBias, bias))
		must(t, sparseflow.Gemm(sparseflow.LayoutLinear, n, 0.5, &header, dA, size, dX, K, 1, dY16, M,
			dBias, sparseflow.DTypeF16, dY16, M, stream))
		must(t, cudart.StreamSynchronize(stream))
		y16 := make([]uint16, n*M)
		must(t, cudart.CopyOut(y16, dY16))
		ref16 := make([]float64, n*M)
		for i := 0; i < n; i++ {
			for j := 0; j < M; j++ {
				ref16[i*M+j] = 0.5*ref[i*M+j] + f16ToFloat64(y0[i*M+j]) + f16ToFloat64(bias[j])
			}
		}
		compare(t, fmt.Sprintf("n=%d linear f16 beta bias", n), y16, ref16, f16ToFloat64, 1e-2, 2e-3)

		// Row-major layout, fp32 output: D[M, n] = W[M, K] B[K, n] with B = X^T.
		b := make([]uint16, K*n)
		for i := 0; i < n; i++ {
			for k := 0; k < K; k++ {
				b[k*n+i] = x[i*K+k]
			}
		}
		dB, dD := mem.alloc(K*n*2), mem.alloc(M*n*4)
		must(t, cudart.CopyIn(dB, b))
		must(t, sparseflow.Gemm(sparseflow.LayoutRowMajor, n, 1, &header, dA, size, dB, n, 0, 0, n, 0,
			sparseflow.DTypeF32, dD, n, stream))
		must(t, cudart.StreamSynchronize(stream))
		d := make([]float32, M*n)
		must(t, cudart.CopyOut(d, dD))
		refT := make([]float64, M*n)
		for i := 0; i < n; i++ {
			for j := 0; j < M; j++ {
				refT[j*n+i] = ref[i*M+j]
			}
		}
		compare(t, fmt.Sprintf("n=%d row-major f32", n), d, refT, func(v float32) float64 { return float64(v) }, 1e-3, 1e-3)
	}

	// A refused device call: X's leading dimension is smaller than K.
	dOut := mem.alloc(8 * M * 4)
	err = sparseflow.Gemm(sparseflow.LayoutLinear, 8, 1, &header, dA, size, dDense, K-32, 0, 0, M, 0,
		sparseflow.DTypeF32, dOut, M, stream)
	requireStatus(t, err, sparseflow.StatusLeadingDimension, "ldb")
}

func compare[T any](t *testing.T, what string, got []T, want []float64, conv func(T) float64, atol, rtol float64) {
	t.Helper()
	worst := 0.0
	for i := range want {
		g := conv(got[i])
		diff := math.Abs(g - want[i])
		if !(diff <= atol+rtol*math.Abs(want[i])) {
			t.Fatalf("%s: element %d is %g, reference %g", what, i, g, want[i])
		}
		worst = math.Max(worst, diff)
	}
	t.Logf("%s: %d elements, largest difference %.3g", what, len(want), worst)
}
