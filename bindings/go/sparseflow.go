// Package sparseflow is the Go binding of SparseFlow, 2:4 structured-sparse matrix products on
// NVIDIA sparse tensor cores, through its C ABI (include/sparseflow/sparseflow.h).
//
// The host functions (PruneHost, Check2to4Host, CompressHost, DecompressHost) work on Go slices,
// run on CPU threads, are done on return and need no GPU. The device functions (PruneDevice,
// Check2to4Device, CompressDevice, DecompressDevice, Gemm) take device pointers and a CUDA
// stream as uintptr values (a cudaStream_t / CUstream; 0 is the legacy default stream); they
// never take Go memory and are stream-ordered exactly as the C functions document.
//
// Every failing call returns an *Error holding the status and the library's message for that
// call. All functions may be called from several goroutines at once.
//
// Device work runs on the calling OS thread's current CUDA device. Goroutines move between OS
// threads, so with more than one GPU lock the goroutine to its thread (runtime.LockOSThread) and
// select the device (cudaSetDevice) on that thread before calling the device functions; with a
// single GPU every thread's current device is device 0 and nothing needs doing.
//
// Matrices are row-major; rows and cols count elements; a leading dimension (ld) is the distance
// in elements between the starts of two rows. fp16 and bf16 elements are carried as their bit
// patterns in uint16, fp32 as float32.
package sparseflow

/*
#cgo pkg-config: sparseflow
#include <stdint.h>
#include <stdlib.h>
#include "sparseflow/sparseflow.h"

// Device pointers and streams arrive as uintptr; these turn them into C pointers without the
// uintptr -> unsafe.Pointer conversion that Go's pointer rules (and go vet) forbid.
static inline void *sfgo_ptr(uintptr_t p) { return (void *)p; }
static inline sf_stream_t sfgo_stream(uintptr_t s) { return (sf_stream_t)s; }
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"unsafe"
)

// ---------------------------------------------------------------------------------------------
// Versions and constants
// ---------------------------------------------------------------------------------------------

const (
	// HeaderVersion is SF_VERSION_NUMBER of the header this package was compiled against
	// (MAJOR*10000 + MINOR*100 + PATCH); compare with Version() to detect a mismatch.
	HeaderVersion = 100
	// FormatVersion is the version of the compressed format written by CompressHost/CompressDevice.
	FormatVersion = 1
	// FormatMagic is the first four bytes of every compressed buffer, "SF24" as a little-endian uint32.
	FormatMagic = 0x34324653
	// KGranularity: the column count K given to Compress* or Gemm must be a multiple of it.
	KGranularity = 32
	// PruneGranularity: the column count given to Prune* and Check2to4* must be a multiple of it.
	PruneGranularity = 4
	// HeaderSize is the size in bytes of the C sf_compressed_header_t (Header's binary form).
	HeaderSize = 128
)

// Version returns the library's version number, SF_VERSION_NUMBER of its build (100 for 0.1.0).
func Version() int { return int(C.sf_version_number()) }

// VersionString returns the library's version as "MAJOR.MINOR.PATCH".
func VersionString() string { return C.GoString(C.sf_version_string()) }

// BuildInfo returns one line describing the library build: version, git commit, CUDA version,
// compiled architectures and format version.
func BuildInfo() string { return C.GoString(C.sf_build_info()) }

// ---------------------------------------------------------------------------------------------
// Status and errors
// ---------------------------------------------------------------------------------------------

// Status is an sf_status_t. Values are fixed by the C ABI; new codes are only appended, so a
// Status may hold a value that has no constant here.
type Status int32

// The status codes of sparseflow.h, with its values.
const (
	StatusSuccess           Status = 0
	StatusNullPointer       Status = 1  // a required pointer argument is NULL
	StatusInvalidSize       Status = 2  // a size (rows, cols, n) is zero or negative, or too large
	StatusKGranularity      Status = 3  // K is not a multiple of the required granularity
	StatusMisaligned        Status = 4  // a pointer is not aligned as the function requires
	StatusLeadingDimension  Status = 5  // a leading dimension is smaller than the row it spans
	StatusUnsupportedDType  Status = 6  // the dtype is unknown or not supported by this function
	StatusUnsupportedLayout Status = 7  // the layout is unknown
	StatusNoDevice          Status = 8  // device memory was asked for and no usable CUDA device exists
	StatusUnsupportedDevice Status = 9  // the current GPU is older than compute capability 8.0
	StatusNot2to4           Status = 10 // the matrix given to a Compress function is not 2:4 sparse
	StatusFormatVersion     Status = 11 // a compressed buffer has another format version
	StatusBufferSize        Status = 12 // a buffer is smaller than required, or a header's sizes do not match its shape
	StatusInvalidValue      Status = 13 // an argument is invalid in another way
	StatusBadHeader         Status = 14 // a compressed buffer does not start with a valid header
	StatusCUDA              Status = 15 // a CUDA runtime call failed; the message names it
	StatusOutOfMemory       Status = 16 // the host ran out of memory
	StatusInternal          Status = 17 // a bug in SparseFlow; please report the message
)

// String returns the library's static English description of the status (sf_status_string);
// "unknown status" for values it does not know.
func (s Status) String() string {
	return C.GoString(C.sf_status_string(C.sf_status_t(s)))
}

// Error is a failed SparseFlow call: its status and what went wrong, in words
// (sf_last_error_message of the same call).
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("sparseflow: %s (status %d)", e.Status, int32(e.Status))
	}
	return fmt.Sprintf("sparseflow: %s (status %d): %s", e.Status, int32(e.Status), e.Message)
}

// call runs one C function and turns a failure into an *Error. The message is thread-local in C,
// so the goroutine stays on its OS thread from the call until the message has been read.
func call(f func() C.sf_status_t) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	status := f()
	if status == C.SF_SUCCESS {
		return nil
	}
	return &Error{Status: Status(status), Message: C.GoString(C.sf_last_error_message())}
}

// goError is an error found by the binding before calling C, worded like the library's.
func goError(status Status, function, format string, args ...interface{}) error {
	return &Error{Status: status, Message: function + ": " + fmt.Sprintf(format, args...)}
}

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

// DType is an sf_dtype_t, an element type.
type DType int32

const (
	DTypeF16  DType = 1 // IEEE binary16, carried as uint16 bit patterns
	DTypeBF16 DType = 2 // bfloat16, carried as uint16 bit patterns
	DTypeF32  DType = 3 // IEEE binary32, carried as float32
)

// Size returns the element size in bytes, 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case DTypeF16, DTypeBF16:
		return 2
	case DTypeF32:
		return 4
	}
	return 0
}

func (d DType) String() string {
	switch d {
	case DTypeF16:
		return "f16"
	case DTypeBF16:
		return "bf16"
	case DTypeF32:
		return "f32"
	}
	return fmt.Sprintf("DType(%d)", int32(d))
}

// Memory is an sf_memory_t: where the buffers of a call live. The Host and Device functions of
// this package pass it for you.
type Memory int32

const (
	MemoryHost   Memory = 1 // host memory; the work runs on CPU threads and is done on return
	MemoryDevice Memory = 2 // memory of the current CUDA device; the work runs on the stream
)

// Layout is an sf_layout_t, the operand convention of Gemm.
type Layout int32

const (
	// LayoutLinear: Y[n, M] = X[n, K] * A[M, K]^T, a linear layer; X and Y row-major.
	LayoutLinear Layout = 1
	// LayoutRowMajor: D[M, n] = A[M, K] * B[K, n], a plain GEMM; B and D row-major.
	LayoutRowMajor Layout = 2
)

func (l Layout) String() string {
	switch l {
	case LayoutLinear:
		return "linear"
	case LayoutRowMajor:
		return "row-major"
	}
	return fmt.Sprintf("Layout(%d)", int32(l))
}

// Element is the Go type of a host matrix element: uint16 for DTypeF16 and DTypeBF16 (bit
// patterns), float32 for DTypeF32.
type Element interface {
	~uint16 | ~float32
}

// Compile-time checks that the constants above are those of the header this package is built
// against (a constant index out of range does not compile).
func _() {
	var x [1]struct{}
	_ = x[HeaderVersion-C.SF_VERSION_NUMBER]
	_ = x[FormatVersion-C.SF_FORMAT_VERSION]
	_ = x[FormatMagic-C.SF_FORMAT_MAGIC]
	_ = x[KGranularity-C.SF_K_GRANULARITY]
	_ = x[PruneGranularity-C.SF_PRUNE_GRANULARITY]
	_ = x[HeaderSize-unsafe.Sizeof(C.sf_compressed_header_t{})]
	_ = x[StatusSuccess-C.SF_SUCCESS]
	_ = x[StatusNullPointer-C.SF_ERROR_NULL_POINTER]
	_ = x[StatusInvalidSize-C.SF_ERROR_INVALID_SIZE]
	_ = x[StatusKGranularity-C.SF_ERROR_K_GRANULARITY]
	_ = x[StatusMisaligned-C.SF_ERROR_MISALIGNED]
	_ = x[StatusLeadingDimension-C.SF_ERROR_LEADING_DIMENSION]
	_ = x[StatusUnsupportedDType-C.SF_ERROR_UNSUPPORTED_DTYPE]
	_ = x[StatusUnsupportedLayout-C.SF_ERROR_UNSUPPORTED_LAYOUT]
	_ = x[StatusNoDevice-C.SF_ERROR_NO_DEVICE]
	_ = x[StatusUnsupportedDevice-C.SF_ERROR_UNSUPPORTED_DEVICE]
	_ = x[StatusNot2to4-C.SF_ERROR_NOT_2TO4]
	_ = x[StatusFormatVersion-C.SF_ERROR_FORMAT_VERSION]
	_ = x[StatusBufferSize-C.SF_ERROR_BUFFER_SIZE]
	_ = x[StatusInvalidValue-C.SF_ERROR_INVALID_VALUE]
	_ = x[StatusBadHeader-C.SF_ERROR_BAD_HEADER]
	_ = x[StatusCUDA-C.SF_ERROR_CUDA]
	_ = x[StatusOutOfMemory-C.SF_ERROR_OUT_OF_MEMORY]
	_ = x[StatusInternal-C.SF_ERROR_INTERNAL]
	_ = x[DTypeF16-C.SF_DTYPE_F16]
	_ = x[DTypeBF16-C.SF_DTYPE_BF16]
	_ = x[DTypeF32-C.SF_DTYPE_F32]
	_ = x[MemoryHost-C.SF_MEMORY_HOST]
	_ = x[MemoryDevice-C.SF_MEMORY_DEVICE]
	_ = x[LayoutLinear-C.SF_LAYOUT_LINEAR]
	_ = x[LayoutRowMajor-C.SF_LAYOUT_ROW_MAJOR]
}

// ---------------------------------------------------------------------------------------------
// The compressed header
// ---------------------------------------------------------------------------------------------

// Header is sf_compressed_header_t, the first HeaderSize bytes of every compressed buffer. Gemm
// and DecompressDevice take a host copy of it, since they never read device memory from the host.
type Header struct {
	Magic          uint32    // FormatMagic
	FormatVersion  uint32    // FormatVersion of the writer
	DType          DType     // dtype of the kept values
	HeaderBytes    uint32    // bytes reserved for the header at the start of the buffer (256)
	Rows           int64     // M: rows of the dense matrix
	Cols           int64     // K: columns of the dense matrix
	PaddedRows     int64     // rows actually stored: M rounded up to a multiple of 16
	ValuesOffset   uint64    // byte offset of the kept values
	ValuesBytes    uint64    // their size in bytes
	MetadataOffset uint64    // byte offset of the 2-bit index metadata
	MetadataBytes  uint64    // its size in bytes
	TotalBytes     uint64    // size of the whole buffer
	Reserved       [6]uint64 // zero
}

func headerFromC(c *C.sf_compressed_header_t) Header {
	h := Header{
		Magic:          uint32(c.magic),
		FormatVersion:  uint32(c.format_version),
		DType:          DType(c.dtype),
		HeaderBytes:    uint32(c.header_bytes),
		Rows:           int64(c.rows),
		Cols:           int64(c.cols),
		PaddedRows:     int64(c.padded_rows),
		ValuesOffset:   uint64(c.values_offset),
		ValuesBytes:    uint64(c.values_bytes),
		MetadataOffset: uint64(c.metadata_offset),
		MetadataBytes:  uint64(c.metadata_bytes),
		TotalBytes:     uint64(c.total_bytes),
	}
	for i := range h.Reserved {
		h.Reserved[i] = uint64(c.reserved[i])
	}
	return h
}

// toC returns a C copy of h, or nil for a nil h (the library then reports the NULL pointer).
func (h *Header) toC() *C.sf_compressed_header_t {
	if h == nil {
		return nil
	}
	c := &C.sf_compressed_header_t{
		magic:           C.uint32_t(h.Magic),
		format_version:  C.uint32_t(h.FormatVersion),
		dtype:           C.uint32_t(uint32(h.DType)),
		header_bytes:    C.uint32_t(h.HeaderBytes),
		rows:            C.int64_t(h.Rows),
		cols:            C.int64_t(h.Cols),
		padded_rows:     C.int64_t(h.PaddedRows),
		values_offset:   C.uint64_t(h.ValuesOffset),
		values_bytes:    C.uint64_t(h.ValuesBytes),
		metadata_offset: C.uint64_t(h.MetadataOffset),
		metadata_bytes:  C.uint64_t(h.MetadataBytes),
		total_bytes:     C.uint64_t(h.TotalBytes),
	}
	for i, r := range h.Reserved {
		c.reserved[i] = C.uint64_t(r)
	}
	return c
}

// ParseHeader reads a Header from the first HeaderSize bytes of b (little-endian, the format's
// byte order), e.g. the start of a compressed buffer copied from the device. It does not check
// the header; see Header.Validate.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, goError(StatusBufferSize, "ParseHeader",
			"%d bytes, a header needs %d", len(b), HeaderSize)
	}
	le := binary.LittleEndian
	h := Header{
		Magic:          le.Uint32(b[0:]),
		FormatVersion:  le.Uint32(b[4:]),
		DType:          DType(le.Uint32(b[8:])),
		HeaderBytes:    le.Uint32(b[12:]),
		Rows:           int64(le.Uint64(b[16:])),
		Cols:           int64(le.Uint64(b[24:])),
		PaddedRows:     int64(le.Uint64(b[32:])),
		ValuesOffset:   le.Uint64(b[40:]),
		ValuesBytes:    le.Uint64(b[48:]),
		MetadataOffset: le.Uint64(b[56:]),
		MetadataBytes:  le.Uint64(b[64:]),
		TotalBytes:     le.Uint64(b[72:]),
	}
	for i := range h.Reserved {
		h.Reserved[i] = le.Uint64(b[80+8*i:])
	}
	return h, nil
}

// Bytes returns the HeaderSize-byte little-endian form of h, as it starts a compressed buffer.
func (h *Header) Bytes() []byte {
	b := make([]byte, HeaderSize)
	le := binary.LittleEndian
	le.PutUint32(b[0:], h.Magic)
	le.PutUint32(b[4:], h.FormatVersion)
	le.PutUint32(b[8:], uint32(h.DType))
	le.PutUint32(b[12:], h.HeaderBytes)
	le.PutUint64(b[16:], uint64(h.Rows))
	le.PutUint64(b[24:], uint64(h.Cols))
	le.PutUint64(b[32:], uint64(h.PaddedRows))
	le.PutUint64(b[40:], h.ValuesOffset)
	le.PutUint64(b[48:], h.ValuesBytes)
	le.PutUint64(b[56:], h.MetadataOffset)
	le.PutUint64(b[64:], h.MetadataBytes)
	le.PutUint64(b[72:], h.TotalBytes)
	for i, r := range h.Reserved {
		le.PutUint64(b[80+8*i:], r)
	}
	return b
}

// Validate checks the header (sf_compressed_validate): magic, format version, dtype, and that
// the sizes and offsets are exactly those of its shape. nil means the library can compute with it.
func (h *Header) Validate() error {
	c := h.toC()
	return call(func() C.sf_status_t { return C.sf_compressed_validate(c) })
}

// CompressedSize returns the size in bytes of the compressed buffer of a rows x cols matrix of
// dtype (DTypeF16 or DTypeBF16); cols must be a multiple of KGranularity.
func CompressedSize(dtype DType, rows, cols int) (int, error) {
	var bytes C.size_t
	err := call(func() C.sf_status_t {
		return C.sf_compressed_size(C.sf_dtype_t(dtype), C.int64_t(rows), C.int64_t(cols), &bytes)
	})
	if err != nil {
		return 0, err
	}
	return int(bytes), nil
}

// ---------------------------------------------------------------------------------------------
// Host memory
// ---------------------------------------------------------------------------------------------

func slicePtr[T any](s []T) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Pointer(&s[0])
}

// checkElement refuses a slice element type that is not the dtype's size, before C reads it.
func checkElement[T Element](function string, dtype DType) error {
	var zero T
	if size := int(unsafe.Sizeof(zero)); dtype.Size() != size {
		if dtype.Size() == 0 {
			return goError(StatusUnsupportedDType, function, "unknown dtype %d", int32(dtype))
		}
		return goError(StatusUnsupportedDType, function,
			"dtype %s has %d-byte elements, the slice has %d-byte elements", dtype, dtype.Size(), size)
	}
	return nil
}

// checkLen refuses a slice too short for a rows x cols matrix with leading dimension ld. Shapes
// the library refuses anyway (sizes < 1, ld < cols) are left to it, so that it reports them.
func checkLen(function, name string, length, rows, cols, ld int) error {
	if rows < 1 || cols < 1 || ld < cols {
		return nil
	}
	if rows-1 > (math.MaxInt-cols)/ld {
		return goError(StatusInvalidSize, function, "%s: %d rows with leading dimension %d overflow int",
			name, rows, ld)
	}
	if need := (rows-1)*ld + cols; length < need {
		return goError(StatusBufferSize, function,
			"%s has %d elements, %d x %d with leading dimension %d needs %d",
			name, length, rows, cols, ld, need)
	}
	return nil
}

// PruneHost prunes src[rows, cols] (leading dimension ldSrc) to 2:4 along the columns into
// dst[rows, cols] (ldDst): in every group of 4 consecutive elements of a row the 2 of largest
// magnitude are kept bit for bit, the others set to +0 (sf_prune; ties go to the lower column,
// NaN ranks above Inf). dst may be src (in place, same leading dimension); otherwise they must
// not overlap. cols must be a multiple of PruneGranularity. T is uint16 for DTypeF16/DTypeBF16
// and float32 for DTypeF32.
func PruneHost[T Element](dtype DType, rows, cols int, src []T, ldSrc int, dst []T, ldDst int) error {
	const fn = "PruneHost"
	if err := checkElement[T](fn, dtype); err != nil {
		return err
	}
	if err := checkLen(fn, "src", len(src), rows, cols, ldSrc); err != nil {
		return err
	}
	if err := checkLen(fn, "dst", len(dst), rows, cols, ldDst); err != nil {
		return err
	}
	return call(func() C.sf_status_t {
		return C.sf_prune(C.SF_MEMORY_HOST, C.sf_dtype_t(dtype), C.int64_t(rows), C.int64_t(cols),
			slicePtr(src), C.int64_t(ldSrc), slicePtr(dst), C.int64_t(ldDst), nil)
	})
}

// Check2to4Host returns the number of groups of 4 consecutive elements (along the columns) of
// src[rows, cols] (leading dimension ld) that hold more than 2 non-zero values; 0 means the
// matrix is 2:4 (sf_check_2to4; +0 and -0 are zero, NaN is not).
func Check2to4Host[T Element](dtype DType, rows, cols int, src []T, ld int) (int, error) {
	const fn = "Check2to4Host"
	if err := checkElement[T](fn, dtype); err != nil {
		return 0, err
	}
	if err := checkLen(fn, "src", len(src), rows, cols, ld); err != nil {
		return 0, err
	}
	var violations C.int64_t
	err := call(func() C.sf_status_t {
		return C.sf_check_2to4(C.SF_MEMORY_HOST, C.sf_dtype_t(dtype), C.int64_t(rows),
			C.int64_t(cols), slicePtr(src), C.int64_t(ld), &violations, nil)
	})
	if err != nil {
		return 0, err
	}
	return int(violations), nil
}

// Compressed is a compressed 2:4 matrix in host memory: the buffer sf_compress writes (header,
// kept values, metadata), in Go memory aligned to 16 bytes, and a copy of its header.
type Compressed struct {
	header Header
	data   []byte
}

// alignedBytes returns n zeroed bytes of Go memory starting at a 16-byte boundary. Go's garbage
// collector does not move heap objects, so the alignment holds for the slice's lifetime.
func alignedBytes(n int) []byte {
	raw := make([]byte, n+15)
	off := int((16 - uintptr(unsafe.Pointer(&raw[0]))%16) % 16)
	return raw[off : off+n : off+n]
}

// Header returns a copy of the buffer's header.
func (c *Compressed) Header() Header { return c.header }

// Bytes returns the whole compressed buffer (Header().TotalBytes bytes, 16-byte aligned), e.g. to
// store it or copy it to the device. It is the Compressed's own memory: do not modify it.
func (c *Compressed) Bytes() []byte { return c.data }

// Len returns the size of the compressed buffer in bytes.
func (c *Compressed) Len() int { return len(c.data) }

// CompressHost compresses the 2:4 matrix src[rows, cols] (leading dimension ld) of dtype
// DTypeF16 or DTypeBF16 (sf_compress). cols must be a multiple of KGranularity. A matrix that is
// not 2:4 is refused with StatusNot2to4: prune it first.
func CompressHost(dtype DType, rows, cols int, src []uint16, ld int) (*Compressed, error) {
	const fn = "CompressHost"
	if err := checkElement[uint16](fn, dtype); err != nil {
		return nil, err
	}
	size, err := CompressedSize(dtype, rows, cols)
	if err != nil {
		return nil, err
	}
	if err := checkLen(fn, "src", len(src), rows, cols, ld); err != nil {
		return nil, err
	}
	data := alignedBytes(size)
	var header C.sf_compressed_header_t
	err = call(func() C.sf_status_t {
		return C.sf_compress(C.SF_MEMORY_HOST, C.sf_dtype_t(dtype), C.int64_t(rows), C.int64_t(cols),
			slicePtr(src), C.int64_t(ld), slicePtr(data), C.size_t(len(data)), &header, nil)
	})
	if err != nil {
		return nil, err
	}
	return &Compressed{header: headerFromC(&header), data: data}, nil
}

// LoadCompressed makes a Compressed from the bytes of a compressed buffer (as Bytes returned
// them, e.g. read from a file), copying them to aligned memory. The header is checked
// (Header.Validate) and data must hold at least its TotalBytes; extra bytes are dropped.
func LoadCompressed(data []byte) (*Compressed, error) {
	header, err := ParseHeader(data)
	if err != nil {
		return nil, err
	}
	if err := header.Validate(); err != nil {
		return nil, err
	}
	if uint64(len(data)) < header.TotalBytes {
		return nil, goError(StatusBufferSize, "LoadCompressed",
			"%d bytes, the header says the buffer has %d", len(data), header.TotalBytes)
	}
	buf := alignedBytes(int(header.TotalBytes))
	copy(buf, data)
	return &Compressed{header: header, data: buf}, nil
}

// DecompressHost writes the dense matrix of c into dst[rows, cols] (leading dimension ldDst;
// rows and cols are c.Header().Rows and Cols), +0 at every position not kept (sf_decompress).
// Only those rows x cols elements of dst are written.
func DecompressHost(c *Compressed, dst []uint16, ldDst int) error {
	const fn = "DecompressHost"
	if c == nil {
		return goError(StatusNullPointer, fn, "the compressed matrix is nil")
	}
	if err := checkLen(fn, "dst", len(dst), int(c.header.Rows), int(c.header.Cols), ldDst); err != nil {
		return err
	}
	header := c.header.toC()
	return call(func() C.sf_status_t {
		return C.sf_decompress(C.SF_MEMORY_HOST, header, slicePtr(c.data), C.size_t(len(c.data)),
			slicePtr(dst), C.int64_t(ldDst), nil)
	})
}

// ---------------------------------------------------------------------------------------------
// Device memory
// ---------------------------------------------------------------------------------------------
//
// Pointers are device addresses (cudaMalloc, or a tensor's data pointer) and stream is a
// cudaStream_t as an integer (0: the legacy default stream). Go memory must never be passed.

func dptr(p uintptr) unsafe.Pointer   { return C.sfgo_ptr(C.uintptr_t(p)) }
func dstream(s uintptr) C.sf_stream_t { return C.sfgo_stream(C.uintptr_t(s)) }
func sizeT(n int) C.size_t {
	if n < 0 {
		return 0 // the library then reports the buffer as too small
	}
	return C.size_t(n)
}

// PruneDevice is PruneHost on device memory: one kernel on stream, no synchronization.
func PruneDevice(dtype DType, rows, cols int, src uintptr, ldSrc int, dst uintptr, ldDst int, stream uintptr) error {
	return call(func() C.sf_status_t {
		return C.sf_prune(C.SF_MEMORY_DEVICE, C.sf_dtype_t(dtype), C.int64_t(rows), C.int64_t(cols),
			dptr(src), C.int64_t(ldSrc), dptr(dst), C.int64_t(ldDst), dstream(stream))
	})
}

// Check2to4Device is Check2to4Host on device memory. It synchronizes stream to return the count
// and makes one 8-byte stream-ordered allocation.
func Check2to4Device(dtype DType, rows, cols int, src uintptr, ld int, stream uintptr) (int, error) {
	var violations C.int64_t
	err := call(func() C.sf_status_t {
		return C.sf_check_2to4(C.SF_MEMORY_DEVICE, C.sf_dtype_t(dtype), C.int64_t(rows),
			C.int64_t(cols), dptr(src), C.int64_t(ld), &violations, dstream(stream))
	})
	if err != nil {
		return 0, err
	}
	return int(violations), nil
}

// CompressDevice compresses the 2:4 matrix src[rows, cols] (leading dimension ld) on the device
// into dst (16-byte aligned, dstBytes >= CompressedSize) and returns a host copy of the header,
// which Gemm and DecompressDevice take. It checks the input first, so it synchronizes stream once
// and makes one 8-byte stream-ordered allocation; the compression is then enqueued on stream.
func CompressDevice(dtype DType, rows, cols int, src uintptr, ld int, dst uintptr, dstBytes int, stream uintptr) (Header, error) {
	var header C.sf_compressed_header_t
	err := call(func() C.sf_status_t {
		return C.sf_compress(C.SF_MEMORY_DEVICE, C.sf_dtype_t(dtype), C.int64_t(rows),
			C.int64_t(cols), dptr(src), C.int64_t(ld), dptr(dst), sizeT(dstBytes), &header,
			dstream(stream))
	})
	if err != nil {
		return Header{}, err
	}
	return headerFromC(&header), nil
}

// DecompressDevice writes the dense matrix of the compressed device buffer src (srcBytes: the
// size of its allocation; header: a host copy of its header) into dst[Rows, Cols] (leading
// dimension ldDst) on the device. Stream-ordered, no synchronization.
func DecompressDevice(header *Header, src uintptr, srcBytes int, dst uintptr, ldDst int, stream uintptr) error {
	h := header.toC()
	return call(func() C.sf_status_t {
		return C.sf_decompress(C.SF_MEMORY_DEVICE, h, dptr(src), sizeT(srcBytes), dptr(dst),
			C.int64_t(ldDst), dstream(stream))
	})
}

// Gemm computes D = alpha * A * B + beta * C + bias on the device (sf_gemm), A being the
// compressed 2:4 matrix [M, K] described by aHeader (a host copy of its header; a is its buffer,
// aBytes the size of the allocation), accumulated in fp32. B has A's dtype; C, D and bias have
// dDType (F16, BF16 or F32).
//
// LayoutLinear (Y = X A^T + bias): b = X [n, K], ldb >= K; c, d = Y [n, M], ldc, ldd >= M.
// LayoutRowMajor: b = B [K, n], ldb >= n; c, d = D [M, n], ldc, ldd >= n.
//
// c is read only when beta != 0 (otherwise c and ldc are ignored and c may be 0) and may equal d
// (same leading dimension). bias is 0 or M values. Stream-ordered on stream: it allocates nothing
// and never synchronizes, so it can be captured in a CUDA graph.
func Gemm(layout Layout, n int, alpha float32, aHeader *Header, a uintptr, aBytes int,
	b uintptr, ldb int, beta float32, c uintptr, ldc int, bias uintptr,
	dDType DType, d uintptr, ldd int, stream uintptr) error {
	h := aHeader.toC()
	return call(func() C.sf_status_t {
		return C.sf_gemm(C.sf_layout_t(layout), C.int64_t(n), C.float(alpha), h, dptr(a),
			sizeT(aBytes), dptr(b), C.int64_t(ldb), C.float(beta), dptr(c), C.int64_t(ldc),
			dptr(bias), C.sf_dtype_t(dDType), dptr(d), C.int64_t(ldd), dstream(stream))
	})
}
