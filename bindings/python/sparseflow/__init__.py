"""SparseFlow from Python: 2:4 pruning, compression and sparse GEMM through ctypes.

Pure ctypes, Python >= 3.8, no required third-party package. The shared library is found from
the environment variable SPARSEFLOW_LIBRARY (a full path), else ctypes.util.find_library
("sparseflow"), else the soname "libsparseflow.so.0"; or call sparseflow.load(path) first.

Host path (bytes-like objects: bytes, bytearray, array.array, memoryview; numpy arrays when
numpy is imported): prune, check_2to4, compressed_size, compress -> CompressedMatrix,
decompress. 16-bit buffers without a dtype of their own (array('H'), bytearray) need
dtype='f16' or 'bf16'.

PyTorch path (torch is imported only when a tensor is passed): the same functions take a 2-D
CUDA (or CPU) tensor and run on its device and current stream; compress keeps the compressed
buffer as a torch.uint8 CUDA tensor; linear(x, compressed_weight, bias) is
torch.nn.functional.linear on the pruned weight.

Errors of the library are raised as SparseFlowError(status, message); invalid Python arguments
as TypeError or ValueError before any pointer reaches the library.
"""

from . import _host, _torch
from ._compressed import CompressedMatrix
from ._lib import (
    FORMAT_MAGIC,
    FORMAT_VERSION,
    K_GRANULARITY,
    PRUNE_GRANULARITY,
    VERSION_MAJOR,
    VERSION_MINOR,
    VERSION_NUMBER,
    VERSION_PATCH,
    CompressedHeader,
    Dtype,
    Layout,
    Memory,
    SparseFlowError,
    Status,
    as_dtype,
    build_info,
    last_error_message,
    library,
    library_path,
    load,
    status_string,
    version_number,
    version_string,
)

__all__ = [
    "CompressedHeader", "CompressedMatrix", "Dtype", "FORMAT_MAGIC", "FORMAT_VERSION",
    "K_GRANULARITY", "Layout", "Memory", "PRUNE_GRANULARITY", "SparseFlowError", "Status",
    "VERSION_MAJOR", "VERSION_MINOR", "VERSION_NUMBER", "VERSION_PATCH", "as_dtype",
    "build_info", "check_2to4", "compress", "compressed_size", "decompress",
    "last_error_message", "library", "library_path", "linear", "load", "prune",
    "status_string", "version_number", "version_string",
]

__version__ = "%d.%d.%d" % (VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH)


def _no_shape_arguments(function, **arguments):
    given = sorted(name for name, value in arguments.items() if value is not None)
    if given:
        raise TypeError("%s of a tensor takes its shape, dtype and stride from the tensor; "
                        "do not pass %s" % (function, ", ".join(given)))


def prune(src, rows=None, cols=None, *, dtype=None, ld=None, out=None, out_ld=None):
    """2:4 magnitude pruning along the columns (sf_prune): in every group of 4 consecutive
    elements of a row keep the 2 of largest magnitude, set the others to +0.

    src: a torch tensor (CUDA or CPU, 2-D, fp16/bf16/fp32), or a host bytes-like object with
    rows x cols elements (leading dimension ld, default cols; rows and cols default to a 2-D
    buffer's shape; rows defaults to what the buffer holds). Returns `out`: a new buffer of the
    same kind as src when None; out=src prunes in place.
    """
    if _torch.is_tensor(src):
        _no_shape_arguments("prune", rows=rows, cols=cols, dtype=dtype, ld=ld, out_ld=out_ld)
        return _torch.prune(src, out=out)
    return _host.prune(src, rows, cols, dtype=dtype, ld=ld, out=out, out_ld=out_ld)


def check_2to4(src, rows=None, cols=None, *, dtype=None, ld=None):
    """The number of groups of 4 consecutive elements holding more than 2 non-zeros
    (sf_check_2to4; 0 means 2:4). For a CUDA tensor it synchronizes the current stream."""
    if _torch.is_tensor(src):
        _no_shape_arguments("check_2to4", rows=rows, cols=cols, dtype=dtype, ld=ld)
        return _torch.check_2to4(src)
    return _host.check_2to4(src, rows, cols, dtype=dtype, ld=ld)


def compressed_size(rows, cols, dtype="f16"):
    """Bytes of the compressed buffer of a rows x cols fp16/bf16 matrix (sf_compressed_size)."""
    return _host.compressed_size(rows, cols, dtype)


def compress(src, rows=None, cols=None, *, dtype=None, ld=None):
    """Compresses a 2:4 fp16/bf16 matrix (sf_compress; prune it first) into a CompressedMatrix:
    in host memory (a 16-byte aligned buffer) for a bytes-like object or CPU tensor, in CUDA
    memory (a torch.uint8 tensor) for a CUDA tensor. Raises SparseFlowError with status
    Status.ERROR_NOT_2TO4 for a matrix that is not 2:4."""
    if _torch.is_tensor(src):
        _no_shape_arguments("compress", rows=rows, cols=cols, dtype=dtype, ld=ld)
        return _torch.compress(src)
    return _host.compress(src, rows, cols, dtype=dtype, ld=ld)


def decompress(compressed, out=None, *, out_ld=None):
    """The dense matrix of a compressed one (sf_decompress), +0 where nothing was kept.

    A CUDA CompressedMatrix gives a CUDA tensor (or fills the tensor `out`); a host one, or a
    stored buffer (bytes-like), gives an array.array('H') of rows * cols bit patterns, or fills
    `out` (a bytes-like object with leading dimension out_ld, or a CPU tensor).
    """
    if isinstance(compressed, CompressedMatrix) and compressed.is_cuda:
        if out_ld is not None:
            raise TypeError("out_ld applies to host buffers only")
        return _torch.decompress(compressed, out)
    if _torch.is_tensor(out):
        if out_ld is not None:
            raise TypeError("out_ld applies to host buffers only")
        if not isinstance(compressed, CompressedMatrix):
            compressed = CompressedMatrix.from_bytes(compressed)
        return _torch.decompress(compressed, out)
    return _host.decompress(compressed, out, out_ld=out_ld)


def linear(x, compressed_weight, bias=None):
    """Drop-in for torch.nn.functional.linear(x, W, bias) with W the pruned weight that
    `compressed_weight` (a CUDA CompressedMatrix) holds: x [..., K] contiguous CUDA fp16/bf16,
    output [..., N_out] of x's dtype, computed by sf_gemm on the current stream with fp32
    accumulation. Inference only (no autograd)."""
    return _torch.linear(x, compressed_weight, bias)
