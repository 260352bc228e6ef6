package sparseflow_test

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"sparseflow.dev/sparseflow"
)

func TestVersion(t *testing.T) {
	if v := sparseflow.Version(); v != 100 || sparseflow.HeaderVersion != 100 {
		t.Fatalf("Version() = %d, want 100 (header %d)", v, sparseflow.HeaderVersion)
	}
	if s := sparseflow.VersionString(); s != "0.1.0" {
		t.Fatalf("VersionString() = %q", s)
	}
	info := sparseflow.BuildInfo()
	if !strings.HasPrefix(info, "sparseflow 0.1.0 ") || !strings.Contains(info, "format 1") {
		t.Fatalf("BuildInfo() = %q", info)
	}
	t.Logf("BuildInfo: %s", info)
}

func TestConstants(t *testing.T) {
	// The ABI's fixed values (the package also checks them against the header at compile time).
	statuses := []sparseflow.Status{
		sparseflow.StatusSuccess, sparseflow.StatusNullPointer, sparseflow.StatusInvalidSize,
		sparseflow.StatusKGranularity, sparseflow.StatusMisaligned, sparseflow.StatusLeadingDimension,
		sparseflow.StatusUnsupportedDType, sparseflow.StatusUnsupportedLayout, sparseflow.StatusNoDevice,
		sparseflow.StatusUnsupportedDevice, sparseflow.StatusNot2to4, sparseflow.StatusFormatVersion,
		sparseflow.StatusBufferSize, sparseflow.StatusInvalidValue, sparseflow.StatusBadHeader,
		sparseflow.StatusCUDA, sparseflow.StatusOutOfMemory, sparseflow.StatusInternal,
	}
	seen := map[string]bool{}
	for i, s := range statuses {
		if int(s) != i {
			t.Errorf("status %d has value %d", i, s)
		}
		str := s.String()
		if str == "" || str == "unknown status" || seen[str] {
			t.Errorf("status %d: String() = %q", i, str)
		}
		seen[str] = true
	}
	if s := sparseflow.Status(1000).String(); s != "unknown status" {
		t.Errorf("Status(1000).String() = %q", s)
	}
	if sparseflow.DTypeF16 != 1 || sparseflow.DTypeBF16 != 2 || sparseflow.DTypeF32 != 3 ||
		sparseflow.MemoryHost != 1 || sparseflow.MemoryDevice != 2 ||
		sparseflow.LayoutLinear != 1 || sparseflow.LayoutRowMajor != 2 {
		t.Errorf("dtype, memory or layout values differ from the header")
	}
	if sparseflow.KGranularity != 32 || sparseflow.PruneGranularity != 4 ||
		sparseflow.FormatVersion != 1 || sparseflow.FormatMagic != 0x34324653 || sparseflow.HeaderSize != 128 {
		t.Errorf("format constants differ from the header")
	}
}

func TestCompressedSize(t *testing.T) {
	for _, dtype := range []sparseflow.DType{sparseflow.DTypeF16, sparseflow.DTypeBF16} {
		// 20 rows are stored as 32: header 256 + values 32*64 + metadata 32*64/8.
		size, err := sparseflow.CompressedSize(dtype, 20, 64)
		if err != nil || size != 256+32*64+32*64/8 {
			t.Fatalf("CompressedSize(%s, 20, 64) = %d, %v; want 2560", dtype, size, err)
		}
	}
	_, err := sparseflow.CompressedSize(sparseflow.DTypeF16, 16, 40)
	requireStatus(t, err, sparseflow.StatusKGranularity, "40", "32")
	_, err = sparseflow.CompressedSize(sparseflow.DTypeF32, 16, 64)
	requireStatus(t, err, sparseflow.StatusUnsupportedDType)
	_, err = sparseflow.CompressedSize(sparseflow.DTypeF16, 0, 64)
	requireStatus(t, err, sparseflow.StatusInvalidSize)
}

// Prune -> check -> compress -> decompress gives back the pruned matrix bit for bit.
func TestHostRoundTrip(t *testing.T) {
	for _, dtype := range []sparseflow.DType{sparseflow.DTypeF16, sparseflow.DTypeBF16} {
		t.Run(dtype.String(), func(t *testing.T) {
			const rows, cols, ldSrc, ldDst, ldOut = 37, 128, 136, 132, 160
			const pad = 0xa5a5
			src := randomMatrix(dtype, rows, cols, ldSrc, pad, 7)
			original := append([]uint16(nil), src...)

			before, err := sparseflow.Check2to4Host(dtype, rows, cols, src, ldSrc)
			if err != nil || before == 0 {
				t.Fatalf("random matrix: %d violations, %v; want > 0", before, err)
			}

			dst := make([]uint16, (rows-1)*ldDst+cols)
			for i := range dst {
				dst[i] = pad
			}
			if err := sparseflow.PruneHost(dtype, rows, cols, src, ldSrc, dst, ldDst); err != nil {
				t.Fatal(err)
			}
			if !equalSlices(src, original) {
				t.Fatal("PruneHost modified its source")
			}
			pruned := extract(rows, cols, dst, ldDst)
			if want := referencePrune(rows, cols, src, ldSrc, uint16(0x8000)); !equalSlices(pruned, want) {
				t.Fatal("PruneHost differs from the documented rule")
			}
			for r := 0; r < rows-1; r++ {
				for c := cols; c < ldDst; c++ {
					if dst[r*ldDst+c] != pad {
						t.Fatalf("PruneHost wrote the padding at row %d, column %d", r, c)
					}
				}
			}

			// In place gives the same bits.
			inPlace := append([]uint16(nil), src...)
			if err := sparseflow.PruneHost(dtype, rows, cols, inPlace, ldSrc, inPlace, ldSrc); err != nil {
				t.Fatal(err)
			}
			if !equalSlices(extract(rows, cols, inPlace, ldSrc), pruned) {
				t.Fatal("in-place PruneHost differs")
			}

			if v, err := sparseflow.Check2to4Host(dtype, rows, cols, dst, ldDst); err != nil || v != 0 {
				t.Fatalf("pruned matrix: %d violations, %v; want 0", v, err)
			}

			c, err := sparseflow.CompressHost(dtype, rows, cols, dst, ldDst)
			if err != nil {
				t.Fatal(err)
			}
			size, _ := sparseflow.CompressedSize(dtype, rows, cols)
			h := c.Header()
			if h.Magic != sparseflow.FormatMagic || h.FormatVersion != sparseflow.FormatVersion ||
				h.DType != dtype || h.HeaderBytes != 256 || h.Rows != rows || h.Cols != cols ||
				h.PaddedRows != 48 || h.TotalBytes != uint64(size) || c.Len() != size ||
				h.ValuesOffset != 256 || h.ValuesBytes != 48*cols ||
				h.MetadataOffset != 256+48*cols || h.MetadataBytes != 48*cols/8 ||
				h.Reserved != [6]uint64{} {
				t.Fatalf("unexpected header %+v (size %d, len %d)", h, size, c.Len())
			}
			if err := h.Validate(); err != nil {
				t.Fatal(err)
			}
			data := c.Bytes()
			if uintptr(unsafe.Pointer(&data[0]))%16 != 0 {
				t.Fatal("compressed buffer not 16-byte aligned")
			}
			if string(data[:4]) != "SF24" || !bytes.Equal(data[:sparseflow.HeaderSize], h.Bytes()) {
				t.Fatal("the buffer does not start with its header")
			}
			if parsed, err := sparseflow.ParseHeader(data); err != nil || parsed != h {
				t.Fatalf("ParseHeader = %+v, %v; want %+v", parsed, err, h)
			}

			out := make([]uint16, (rows-1)*ldOut+cols)
			for i := range out {
				out[i] = pad
			}
			if err := sparseflow.DecompressHost(c, out, ldOut); err != nil {
				t.Fatal(err)
			}
			if !equalSlices(extract(rows, cols, out, ldOut), pruned) {
				t.Fatal("decompressed matrix differs from the pruned one")
			}
			for r := 0; r < rows-1; r++ {
				for col := cols; col < ldOut; col++ {
					if out[r*ldOut+col] != pad {
						t.Fatalf("DecompressHost wrote the padding at row %d, column %d", r, col)
					}
				}
			}

			// A stored copy (with trailing bytes) loads and decompresses the same.
			stored := append(append([]byte{}, data...), 1, 2, 3)
			loaded, err := sparseflow.LoadCompressed(stored)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(loaded.Bytes(), data) || loaded.Header() != h {
				t.Fatal("LoadCompressed changed the buffer")
			}
			dense := make([]uint16, rows*cols)
			if err := sparseflow.DecompressHost(loaded, dense, cols); err != nil {
				t.Fatal(err)
			}
			if !equalSlices(dense, pruned) {
				t.Fatal("decompressed loaded matrix differs from the pruned one")
			}
		})
	}
}

func TestPruneHostF32(t *testing.T) {
	const rows, cols, ld = 9, 24, 28
	src := make([]float32, rows*ld)
	f16 := randomMatrix(sparseflow.DTypeF16, rows, cols, ld, 0, 3)
	for i, h := range f16 {
		src[i] = float32(f16ToFloat64(h))
	}
	src[5] = float32(math.NaN()) // a NaN is kept
	dst := make([]float32, rows*cols)
	if err := sparseflow.PruneHost(sparseflow.DTypeF32, rows, cols, src, ld, dst, cols); err != nil {
		t.Fatal(err)
	}
	bits := make([]uint32, len(src))
	for i, v := range src {
		bits[i] = math.Float32bits(v)
	}
	want := referencePrune(rows, cols, bits, ld, uint32(0x80000000))
	for i, v := range dst {
		if math.Float32bits(v) != want[i] {
			t.Fatalf("element %d: %x, want %x", i, math.Float32bits(v), want[i])
		}
	}
	if !math.IsNaN(float64(dst[5])) {
		t.Fatal("the NaN was pruned")
	}
	if v, err := sparseflow.Check2to4Host(sparseflow.DTypeF32, rows, cols, dst, cols); err != nil || v != 0 {
		t.Fatalf("%d violations, %v", v, err)
	}
}

func TestErrors(t *testing.T) {
	const rows, cols = 16, 64
	w := randomMatrix(sparseflow.DTypeF16, rows, cols, cols, 0, 11)

	// K not a multiple of 32: the library's status and message.
	_, err := sparseflow.CompressHost(sparseflow.DTypeF16, rows, 36, w, 36)
	requireStatus(t, err, sparseflow.StatusKGranularity, "36", "multiple of 32")
	var e *sparseflow.Error
	if !errors.As(err, &e) || !strings.Contains(err.Error(), e.Message) ||
		!strings.Contains(err.Error(), e.Status.String()) {
		t.Fatalf("Error() = %q", err.Error())
	}
	t.Logf("error: %v", err)

	// Not 2:4.
	_, err = sparseflow.CompressHost(sparseflow.DTypeF16, rows, cols, w, cols)
	requireStatus(t, err, sparseflow.StatusNot2to4)

	dst := make([]uint16, rows*cols)
	for i := range dst {
		dst[i] = 0xa5a5
	}
	err = sparseflow.PruneHost(sparseflow.DTypeF16, rows, 6, w, cols, dst, cols)
	requireStatus(t, err, sparseflow.StatusKGranularity, "6")
	err = sparseflow.PruneHost(sparseflow.DTypeF16, rows, cols, w, cols-4, dst, cols)
	requireStatus(t, err, sparseflow.StatusLeadingDimension)
	err = sparseflow.PruneHost(sparseflow.DTypeF16, 0, cols, w, cols, dst, cols)
	requireStatus(t, err, sparseflow.StatusInvalidSize)
	err = sparseflow.PruneHost(sparseflow.DType(9), rows, cols, w, cols, dst, cols)
	requireStatus(t, err, sparseflow.StatusUnsupportedDType)

	// Checked by the binding before C reads a Go slice.
	err = sparseflow.PruneHost(sparseflow.DTypeF16, rows, cols, w[:len(w)-1], cols, dst, cols)
	requireStatus(t, err, sparseflow.StatusBufferSize, "src", "1023")
	err = sparseflow.PruneHost(sparseflow.DTypeF32, rows, cols, w, cols, dst, cols)
	requireStatus(t, err, sparseflow.StatusUnsupportedDType, "f32")
	_, err = sparseflow.Check2to4Host(sparseflow.DTypeF16, rows, cols, w, 2*cols)
	requireStatus(t, err, sparseflow.StatusBufferSize)
	if !allEqual(dst, 0xa5a5) {
		t.Fatal("a refused call wrote its output")
	}

	// Headers.
	if err := sparseflow.PruneHost(sparseflow.DTypeF16, rows, cols, w, cols, w, cols); err != nil {
		t.Fatal(err)
	}
	c, err := sparseflow.CompressHost(sparseflow.DTypeF16, rows, cols, w, cols)
	if err != nil {
		t.Fatal(err)
	}
	err = sparseflow.DecompressHost(c, dst, cols-1)
	requireStatus(t, err, sparseflow.StatusLeadingDimension)
	if !allEqual(dst, 0xa5a5) {
		t.Fatal("a refused call wrote its output")
	}
	bad := append([]byte{}, c.Bytes()...)
	bad[0] ^= 1
	_, err = sparseflow.LoadCompressed(bad)
	requireStatus(t, err, sparseflow.StatusBadHeader)
	h := c.Header()
	h.FormatVersion = 2
	requireStatus(t, h.Validate(), sparseflow.StatusFormatVersion)
	_, err = sparseflow.LoadCompressed(c.Bytes()[:c.Len()-1])
	requireStatus(t, err, sparseflow.StatusBufferSize)
	_, err = sparseflow.ParseHeader(c.Bytes()[:100])
	requireStatus(t, err, sparseflow.StatusBufferSize)
	requireStatus(t, sparseflow.DecompressHost(nil, dst, cols), sparseflow.StatusNullPointer)
	requireStatus(t, sparseflow.Gemm(sparseflow.LayoutLinear, 8, 1, nil, 0, 0, 0, cols, 0, 0, 0, 0,
		sparseflow.DTypeF16, 0, 0, 0), sparseflow.StatusNullPointer)
}

// The message is thread-local in C: each goroutine must get the message of its own call, however
// the scheduler moves goroutines between threads.
func TestErrorMessagesFromManyGoroutines(t *testing.T) {
	w := make([]uint16, 64*64)
	var wg sync.WaitGroup
	failures := make(chan string, 64)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				cols := 4 * (1 + (g+i)%7) // 4..28: never a multiple of 32
				_, err := sparseflow.CompressHost(sparseflow.DTypeF16, 64, cols, w, 64)
				e, ok := err.(*sparseflow.Error)
				want := " = " + strconv.Itoa(cols) + " is"
				if !ok || e.Status != sparseflow.StatusKGranularity || !strings.Contains(e.Message, want) {
					failures <- err.Error() + " (wanted " + want + ")"
					return
				}
				if _, err := sparseflow.CompressedSize(sparseflow.DTypeF16, 16, 64); err != nil {
					failures <- err.Error()
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
}

func equalSlices[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func allEqual(s []uint16, v uint16) bool {
	for _, x := range s {
		if x != v {
			return false
		}
	}
	return true
}
