/*
 * SparseFlow: 2:4 structured-sparse matrix products on NVIDIA sparse tensor cores.
 *
 * This header is the whole public API. It is valid C99 and C++, needs only <stddef.h> and
 * <stdint.h>, and forward-declares the CUDA stream so that callers need no CUDA header.
 *
 * Conventions shared by every function:
 *  - Every function returns an sf_status_t. On failure it writes nothing to any output buffer and
 *    sets a thread-local message, read with sf_last_error_message(). Each call clears that
 *    message on entry.
 *  - Matrices are row-major. "rows" and "cols" count elements; a leading dimension ("ld") is
 *    the distance in elements between the starts of two consecutive rows and must be >= cols.
 *  - 2:4 sparsity is along the columns (the K dimension): in every group of 4 consecutive
 *    elements of a row at most 2 are non-zero.
 *  - `memory` says where every pointer of the call lives (SF_MEMORY_HOST or SF_MEMORY_DEVICE).
 *    Device work runs on the current CUDA device, on `stream` (NULL means the legacy default
 *    stream, which the caller chose, never one the library chose), and is stream-ordered: the
 *    call returns before the work is done unless its documentation says it synchronizes. The
 *    stream and every device pointer must belong to the current device (SF_ERROR_INVALID_VALUE
 *    otherwise; a stream being captured into a graph is not queried, as that would end the
 *    capture); with several GPUs, call cudaSetDevice in each thread before calling here.
 *    Nothing is shared between devices: each keeps its own kernel settings and properties.
 *  - All functions may be called from several host threads at once.
 *  - Every argument is checked on the host before any device is touched; the device checks (no
 *    device, a GPU older than 8.0, a stream or pointer of another device, host memory) come last, so
 *    a bad argument gets its own status on a machine without a GPU too.
 *  - The library links the CUDA runtime statically. Device pointers and streams made by another
 *    CUDA runtime in the same process (PyTorch's, a server's) work: both use the device's
 *    primary context.
 */
#ifndef SPARSEFLOW_SPARSEFLOW_H
#define SPARSEFLOW_SPARSEFLOW_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  if defined(SF_BUILDING_LIBRARY)
#    define SF_API __declspec(dllexport)
#  else
#    define SF_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define SF_API __attribute__((visibility("default")))
#else
#  define SF_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Versions
 * ------------------------------------------------------------------------------------------- */

#define SF_VERSION_MAJOR 0
#define SF_VERSION_MINOR 1
#define SF_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH, as returned by sf_version_number(). */
#define SF_VERSION_NUMBER (SF_VERSION_MAJOR * 10000 + SF_VERSION_MINOR * 100 + SF_VERSION_PATCH)

/* Version of the compressed format written by sf_compress (independent of the library version).
 * It changes whenever the bytes sf_compress writes for the same input change. */
#define SF_FORMAT_VERSION 1u
/* First four bytes of every compressed buffer: "SF24" read as a little-endian uint32. */
#define SF_FORMAT_MAGIC 0x34324653u

/* Bytes of sf_compressed_header_t, and of the header region that starts every compressed buffer
 * (the header, then zeros). */
#define SF_COMPRESSED_HEADER_BYTES 128
#define SF_COMPRESSED_HEADER_REGION_BYTES 256

/* The column count K of a matrix given to sf_compress or sf_gemm must be a multiple of this
 * (one sparse tensor-core step along K). sf_prune and sf_check_2to4 need only a multiple of 4. */
#define SF_K_GRANULARITY 32
#define SF_PRUNE_GRANULARITY 4

/* The library's version, SF_VERSION_NUMBER of the build; compare with the macro to detect a
 * header/library mismatch. */
SF_API int sf_version_number(void);
/* "MAJOR.MINOR.PATCH". Static storage; never NULL. */
SF_API const char *sf_version_string(void);
/* One line describing the build: version, git commit (with "-dirty" when the tree had local
 * changes), CUDA version and compiled architectures, e.g.
 * "sparseflow 0.1.0 git 1a2b3c4 cuda 13.0 archs 80;86;89;90a ptx 90 format 1". Static storage. */
SF_API const char *sf_build_info(void);

/* ---------------------------------------------------------------------------------------------
 * Status codes. Explicit values; new codes are only ever appended. Like every enumerated type
 * of this API, sf_status_t is a fixed-width int32_t so that bindings know its size; the enum
 * only names the values.
 * ------------------------------------------------------------------------------------------- */

typedef int32_t sf_status_t;
enum sf_status {
  SF_SUCCESS = 0,
  SF_ERROR_NULL_POINTER = 1,        /* a required pointer argument is NULL */
  SF_ERROR_INVALID_SIZE = 2,        /* a size (rows, cols, n) is zero or negative, or too large */
  SF_ERROR_K_GRANULARITY = 3,       /* K is not a multiple of the required granularity */
  SF_ERROR_MISALIGNED = 4,          /* a pointer is not aligned as the function requires */
  SF_ERROR_LEADING_DIMENSION = 5,   /* a leading dimension is smaller than the row it spans */
  SF_ERROR_UNSUPPORTED_DTYPE = 6,   /* the dtype is unknown or not supported by this function */
  SF_ERROR_UNSUPPORTED_LAYOUT = 7,  /* the layout is unknown */
  SF_ERROR_NO_DEVICE = 8,           /* device memory was asked for and no usable CUDA device exists */
  SF_ERROR_UNSUPPORTED_DEVICE = 9,  /* the current GPU is older than compute capability 8.0 */
  SF_ERROR_NOT_2TO4 = 10,           /* the matrix given to sf_compress is not 2:4 sparse */
  SF_ERROR_FORMAT_VERSION = 11,     /* a compressed buffer has another format version */
  SF_ERROR_BUFFER_SIZE = 12,        /* a buffer is smaller than required, or the header's sizes
                                       do not match its shape */
  SF_ERROR_INVALID_VALUE = 13,      /* an argument is invalid in another way (memory kind, a
                                       pointer on the wrong device, overlapping buffers, ...) */
  SF_ERROR_BAD_HEADER = 14,         /* a compressed buffer does not start with a valid header */
  SF_ERROR_CUDA = 15,               /* a CUDA runtime call failed; the message names it */
  SF_ERROR_OUT_OF_MEMORY = 16,      /* the host ran out of memory */
  SF_ERROR_INTERNAL = 17            /* a bug in SparseFlow; please report the message */
};

/* A static English description of a status code ("unknown status" for other values). */
SF_API const char *sf_status_string(sf_status_t status);
/* What went wrong in the most recent SparseFlow call of the calling thread, in words; "" after a
 * call that succeeded. The pointer stays valid until the thread's next SparseFlow call. */
SF_API const char *sf_last_error_message(void);

/* ---------------------------------------------------------------------------------------------
 * Types
 * ------------------------------------------------------------------------------------------- */

/* Element types. Explicit values; append only. */
typedef int32_t sf_dtype_t;
enum sf_dtype {
  SF_DTYPE_F16 = 1,  /* IEEE binary16 */
  SF_DTYPE_BF16 = 2, /* bfloat16 */
  SF_DTYPE_F32 = 3   /* IEEE binary32 */
};

/* Where the buffers of a call live. */
typedef int32_t sf_memory_t;
enum sf_memory {
  SF_MEMORY_HOST = 1,  /* host memory; the work runs on CPU threads and is done on return */
  SF_MEMORY_DEVICE = 2 /* memory of the current CUDA device; the work runs on `stream` */
};

/* Operand conventions of sf_gemm (see there). */
typedef int32_t sf_layout_t;
enum sf_layout {
  SF_LAYOUT_LINEAR = 1,   /* Y[n, M] = X[n, K] * A[M, K]^T: a linear layer, X and Y row-major */
  SF_LAYOUT_ROW_MAJOR = 2 /* D[M, n] = A[M, K] * B[K, n]: plain GEMM, B and D row-major */
};

/* A CUDA stream (cudaStream_t / CUstream), declared here so no CUDA header is needed. */
typedef struct CUstream_st *sf_stream_t;

/* The header at the start of every compressed buffer, byte for byte (little-endian). A host copy
 * of it describes the buffer to sf_gemm and sf_decompress, which never read device memory from
 * the host. For a buffer in host memory the buffer itself may be passed as its header. */
typedef struct sf_compressed_header {
  uint32_t magic;           /* SF_FORMAT_MAGIC */
  uint32_t format_version;  /* SF_FORMAT_VERSION of the writer */
  uint32_t dtype;           /* sf_dtype_t value of the kept values (the wire format is unsigned) */
  uint32_t header_bytes;    /* SF_COMPRESSED_HEADER_REGION_BYTES */
  int64_t rows;             /* M: rows of the dense matrix */
  int64_t cols;             /* K: columns of the dense matrix */
  int64_t padded_rows;      /* rows actually stored: M rounded up to a multiple of 16 */
  uint64_t values_offset;   /* byte offset of the kept values */
  uint64_t values_bytes;    /* their size in bytes */
  uint64_t metadata_offset; /* byte offset of the 2-bit index metadata */
  uint64_t metadata_bytes;  /* its size in bytes */
  uint64_t total_bytes;     /* size of the whole buffer */
  uint64_t reserved[6];     /* zero */
} sf_compressed_header_t;

/* ---------------------------------------------------------------------------------------------
 * Pruning and the 2:4 check
 * ------------------------------------------------------------------------------------------- */

/* 2:4 magnitude pruning along the columns: in every group of 4 consecutive elements of a row,
 * keep the 2 of largest magnitude and set the other 2 to +0.
 *
 * Magnitude order is the order of the absolute bit patterns (sign bit cleared), so every NaN
 * ranks above +-Inf and is kept (a NaN in a weight stays visible rather than silently pruned).
 * Ties go to the element of lower column index. Kept elements are copied bit for bit. The host
 * and device paths give identical bits.
 *
 * Reads src[rows, cols] (leading dimension ld_src); writes dst[rows, cols] (ld_dst). dst may
 * equal src (in place, then ld_dst must equal ld_src); otherwise the two must not overlap.
 * Requires: rows, cols >= 1; cols a multiple of SF_PRUNE_GRANULARITY; pointers aligned to the
 * element size; dtype F16, BF16 or F32.
 * Host memory: runs on several CPU threads, done on return. Device memory: one kernel on `stream`,
 * no synchronization. */
SF_API sf_status_t sf_prune(sf_memory_t memory, sf_dtype_t dtype, int64_t rows, int64_t cols,
                            const void *src, int64_t ld_src, void *dst, int64_t ld_dst,
                            sf_stream_t stream);

/* Counts the groups of 4 consecutive elements (along the columns) that hold more than 2 non-zero
 * values; *violations receives the count (0 means the matrix is 2:4). +0 and -0 are zero; NaN is
 * non-zero. Requirements as for sf_prune.
 * Device memory: synchronizes `stream` to return the count, and makes one 8-byte stream-ordered
 * allocation (cudaMallocAsync) for it. */
SF_API sf_status_t sf_check_2to4(sf_memory_t memory, sf_dtype_t dtype, int64_t rows, int64_t cols,
                                 const void *src, int64_t ld, int64_t *violations,
                                 sf_stream_t stream);

/* ---------------------------------------------------------------------------------------------
 * Compression
 * ------------------------------------------------------------------------------------------- */

/* Bytes of the compressed buffer for a rows x cols matrix of `dtype` (F16 or BF16), written to
 * *bytes. Requires rows >= 1 and cols >= 1, cols a multiple of SF_K_GRANULARITY. */
SF_API sf_status_t sf_compressed_size(sf_dtype_t dtype, int64_t rows, int64_t cols, size_t *bytes);

/* Compresses a 2:4 matrix src[rows, cols] (leading dimension ld) into dst: header, kept values
 * and metadata in the order the GEMM kernels load them (format in README.md). Every byte of
 * dst[0, sf_compressed_size) is written; the host and device paths write identical bytes.
 * If header_out is not NULL it receives a host copy of the header.
 *
 * A group with fewer than 2 non-zero values keeps its non-zero ones plus the lowest-index zeros.
 * A matrix that is not 2:4 is refused with SF_ERROR_NOT_2TO4 and nothing is written.
 * Requires: dtype F16 or BF16; cols a multiple of SF_K_GRANULARITY; src aligned to the element
 * size; dst 16-byte aligned; dst_bytes >= sf_compressed_size.
 * Device memory: checks the input first, so it synchronizes `stream` once and makes one 8-byte
 * stream-ordered allocation; the compression itself is then enqueued on `stream`. */
SF_API sf_status_t sf_compress(sf_memory_t memory, sf_dtype_t dtype, int64_t rows, int64_t cols,
                               const void *src, int64_t ld, void *dst, size_t dst_bytes,
                               sf_compressed_header_t *header_out, sf_stream_t stream);

/* Checks a host copy of a compressed buffer's header: magic, format version, dtype, and that the
 * sizes and offsets are exactly those of its shape. Returns SF_SUCCESS for a header this library
 * can compute with. Reads only *header. */
SF_API sf_status_t sf_compressed_validate(const sf_compressed_header_t *header);

/* Inverse of sf_compress: writes the dense matrix dst[header->rows, header->cols] (leading
 * dimension ld_dst), +0 at every position not kept. `header` is a host copy of the buffer's
 * header (for a host buffer, the buffer itself); `src_bytes` is the size of src's allocation.
 * Requires a valid header (sf_compressed_validate), src 16-byte aligned, src_bytes >=
 * header->total_bytes. Device memory: stream-ordered, no synchronization. */
SF_API sf_status_t sf_decompress(sf_memory_t memory, const sf_compressed_header_t *header,
                                 const void *src, size_t src_bytes, void *dst, int64_t ld_dst,
                                 sf_stream_t stream);

/* ---------------------------------------------------------------------------------------------
 * Sparse GEMM
 * ------------------------------------------------------------------------------------------- */

/* D = alpha * A * B + beta * C + bias, with A the compressed 2:4 matrix [M, K] (M = a_header->rows,
 * K = a_header->cols), accumulated in fp32. B has A's dtype. All buffers are device memory of the
 * current device; the call is stream-ordered on `stream`: it allocates nothing, never
 * synchronizes and never reads device memory from the host, so it can be captured in a graph.
 *
 * layout SF_LAYOUT_LINEAR (a linear layer Y = X W^T + bias, with W = A):
 *   b = X [n, K] row-major, ldb >= K;  c, d = Y [n, M] row-major, ldc, ldd >= M.
 * layout SF_LAYOUT_ROW_MAJOR (plain GEMM):
 *   b = B [K, n] row-major, ldb >= n;  c, d = D [M, n] row-major, ldc, ldd >= n.
 *
 * a_header: host copy of A's header; a: A's compressed buffer (16-byte aligned); a_bytes: the
 *   size of its allocation (>= a_header->total_bytes).
 * c: read only when beta != 0; when beta == 0, c and ldc are ignored and c may be NULL. c may
 *   equal d (same ld) for an in-place update.
 * bias: NULL or M values, one per row of A (per output feature); added after alpha and beta.
 * c, d and bias have dtype d_dtype (F16, BF16 or F32); b, c, d, bias aligned to their element size.
 * n >= 1 is the batch (linear) or the column count of B (row-major); any M >= 1.
 * The same inputs give the same bits on every call. */
SF_API sf_status_t sf_gemm(sf_layout_t layout, int64_t n, float alpha,
                           const sf_compressed_header_t *a_header, const void *a, size_t a_bytes,
                           const void *b, int64_t ldb, float beta, const void *c, int64_t ldc,
                           const void *bias, sf_dtype_t d_dtype, void *d, int64_t ldd,
                           sf_stream_t stream);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SPARSEFLOW_SPARSEFLOW_H */
