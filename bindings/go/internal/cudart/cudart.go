// Package cudart is the little of the CUDA runtime that the sparseflow tests need: find a usable
// GPU, allocate and copy device memory, make a stream. Only the tests import it, so the
// sparseflow package itself never links the CUDA runtime (libsparseflow carries its own, static).
//
// The toolkit is looked for in /usr/local/cuda; point CGO_CFLAGS / CGO_LDFLAGS elsewhere for
// another location.
package cudart

/*
#cgo CFLAGS: -I/usr/local/cuda/include
#cgo LDFLAGS: -L/usr/local/cuda/lib64 -lcudart -Wl,-rpath,/usr/local/cuda/lib64
#include <stdint.h>
#include <cuda_runtime_api.h>

static inline void *cudart_ptr(uintptr_t p) { return (void *)p; }
static inline cudaStream_t cudart_stream(uintptr_t s) { return (cudaStream_t)s; }

static cudaError_t cudart_malloc(uintptr_t *p, size_t bytes) {
  void *q = NULL;
  cudaError_t e = cudaMalloc(&q, bytes);
  *p = (uintptr_t)q;
  return e;
}

static cudaError_t cudart_stream_create(uintptr_t *s) {
  cudaStream_t q = NULL;
  cudaError_t e = cudaStreamCreateWithFlags(&q, cudaStreamNonBlocking);
  *s = (uintptr_t)q;
  return e;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

func check(call string, e C.cudaError_t) error {
	if e == C.cudaSuccess {
		return nil
	}
	return fmt.Errorf("%s: %s (%s)", call, C.GoString(C.cudaGetErrorString(e)),
		C.GoString(C.cudaGetErrorName(e)))
}

// Usable reports whether device 0 can run SparseFlow (compute capability 8.0 or later). When it
// cannot, reason says why, and noDevice is true when there is no CUDA device or driver at all.
func Usable() (ok, noDevice bool, reason string) {
	var count C.int
	if err := check("cudaGetDeviceCount", C.cudaGetDeviceCount(&count)); err != nil {
		C.cudaGetLastError()
		return false, true, err.Error()
	}
	if count == 0 {
		return false, true, "no CUDA device"
	}
	var major, minor C.int
	if err := check("cudaDeviceGetAttribute", C.cudaDeviceGetAttribute(&major,
		C.cudaDevAttrComputeCapabilityMajor, 0)); err != nil {
		return false, false, err.Error()
	}
	C.cudaDeviceGetAttribute(&minor, C.cudaDevAttrComputeCapabilityMinor, 0)
	if major < 8 {
		return false, false, fmt.Sprintf("device 0 has compute capability %d.%d, SparseFlow needs 8.0",
			major, minor)
	}
	return true, false, ""
}

// Malloc allocates bytes of device memory (cudaMalloc: 256-byte aligned).
func Malloc(bytes int) (uintptr, error) {
	var p C.uintptr_t
	if err := check("cudaMalloc", C.cudart_malloc(&p, C.size_t(bytes))); err != nil {
		return 0, err
	}
	return uintptr(p), nil
}

// Free frees device memory from Malloc.
func Free(p uintptr) { C.cudaFree(C.cudart_ptr(C.uintptr_t(p))) }

// CopyIn copies src from host to the device memory at dst (synchronous cudaMemcpy).
func CopyIn[T any](dst uintptr, src []T) error {
	if len(src) == 0 {
		return nil
	}
	var zero T
	return check("cudaMemcpy", C.cudaMemcpy(C.cudart_ptr(C.uintptr_t(dst)), unsafe.Pointer(&src[0]),
		C.size_t(uintptr(len(src))*unsafe.Sizeof(zero)), C.cudaMemcpyHostToDevice))
}

// CopyOut copies len(dst) elements from the device memory at src to dst (synchronous cudaMemcpy).
func CopyOut[T any](dst []T, src uintptr) error {
	if len(dst) == 0 {
		return nil
	}
	var zero T
	return check("cudaMemcpy", C.cudaMemcpy(unsafe.Pointer(&dst[0]), C.cudart_ptr(C.uintptr_t(src)),
		C.size_t(uintptr(len(dst))*unsafe.Sizeof(zero)), C.cudaMemcpyDeviceToHost))
}

// StreamCreate makes a non-blocking stream, returned as a cudaStream_t integer.
func StreamCreate() (uintptr, error) {
	var s C.uintptr_t
	if err := check("cudaStreamCreateWithFlags", C.cudart_stream_create(&s)); err != nil {
		return 0, err
	}
	return uintptr(s), nil
}

// StreamSynchronize waits for the work of stream.
func StreamSynchronize(stream uintptr) error {
	return check("cudaStreamSynchronize",
		C.cudaStreamSynchronize(C.cudart_stream(C.uintptr_t(stream))))
}

// StreamDestroy destroys a stream from StreamCreate.
func StreamDestroy(stream uintptr) {
	C.cudaStreamDestroy(C.cudart_stream(C.uintptr_t(stream)))
}
