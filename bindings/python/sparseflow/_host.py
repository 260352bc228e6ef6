"""The host path: prune, check, compress and decompress matrices held in bytes-like objects.

Accepted buffers: anything with the buffer protocol that is C-contiguous (bytes, bytearray,
array.array, memoryview, ctypes arrays, mmap) and numpy arrays (used only when numpy is already
imported by the caller; this module never imports it), which may also be 2-D with a row stride.

The C functions take no buffer sizes for dense matrices, so every size is checked here before a
pointer is handed over: a buffer too small for (rows - 1) * ld + cols elements is a ValueError.
"""

import array
import ctypes
import sys

from ._compressed import CompressedMatrix, aligned_host_buffer
from ._lib import CompressedHeader, Dtype, Memory, as_dtype, call, library

# Buffer formats that say which dtype the elements are; other 2-byte or 4-byte formats hold bit
# patterns and need an explicit dtype.
_FORMAT_DTYPES = {"e": Dtype.F16, "f": Dtype.F32}
_NUMPY_DTYPES = {"float16": Dtype.F16, "bfloat16": Dtype.BF16, "float32": Dtype.F32}


class _Matrix:
    """A dense host matrix handed to the library: address, shape, leading dimension, dtype."""

    __slots__ = ("address", "rows", "cols", "ld", "dtype", "keep", "kind", "template")

    def __init__(self, address, rows, cols, ld, dtype, keep, kind, template):
        self.address = address
        self.rows = rows
        self.cols = cols
        self.ld = ld
        self.dtype = dtype
        self.keep = keep  # objects that must outlive the call (ctypes views of the buffer)
        self.kind = kind  # "numpy", "array" or "bytes": what a fresh output should be
        self.template = template  # the numpy array or array.array given, to make an output like it


def _numpy_array(obj):
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(obj, numpy.ndarray):
        return numpy
    return None


def _describe(obj):
    """(address, nbytes, itemsize, format dtype hint, shape, element ld, readonly, keep, kind)."""
    if _numpy_array(obj) is not None:
        interface = obj.__array_interface__
        address, readonly = interface["data"]
        itemsize = obj.itemsize
        hint = _NUMPY_DTYPES.get(obj.dtype.name)
        shape = tuple(obj.shape)
        ld = None
        if obj.ndim == 2 and obj.shape[0] > 1 and not obj.flags.c_contiguous:
            row_stride, col_stride = obj.strides
            if obj.shape[1] > 1 and col_stride != itemsize:
                raise ValueError("a 2-D numpy array needs unit stride along its columns")
            if row_stride <= 0 or row_stride % itemsize != 0:
                raise ValueError("a 2-D numpy array needs a positive row stride of whole items")
            ld = row_stride // itemsize
            nbytes = ((obj.shape[0] - 1) * ld + obj.shape[1]) * itemsize
        elif not obj.flags.c_contiguous:
            raise ValueError("numpy arrays must be C-contiguous (or 2-D with a row stride)")
        else:
            nbytes = obj.nbytes
        return address, nbytes, itemsize, hint, shape, ld, readonly, (obj,), "numpy"
    try:
        view = memoryview(obj)
    except TypeError:
        raise TypeError(
            "expected a bytes-like object (bytes, bytearray, array.array, memoryview, numpy "
            "array) or a torch tensor, got %s" % type(obj).__name__
        ) from None
    if not view.c_contiguous:
        raise ValueError("the buffer must be C-contiguous")
    nbytes = view.nbytes
    if view.readonly:
        keep = (ctypes.c_char * nbytes).from_buffer_copy(view)  # a copy, only ever read
    else:
        keep = (ctypes.c_char * nbytes).from_buffer(view)
    hint = _FORMAT_DTYPES.get(view.format.lstrip("@=<"))
    kind = "array" if isinstance(obj, array.array) else "bytes"
    return (ctypes.addressof(keep), nbytes, view.itemsize, hint, tuple(view.shape), None,
            view.readonly, (keep, obj), kind)


def _matrix(obj, rows, cols, dtype, ld, name, writable):
    address, nbytes, itemsize, hint, shape, shape_ld, readonly, keep, kind = _describe(obj)
    if writable and readonly:
        raise TypeError("%s is read-only" % name)
    if dtype is None:
        if hint is None:
            raise TypeError(
                "%s holds items of format/size %d without a dtype of their own: pass "
                "dtype='f16', 'bf16' or 'f32'" % (name, itemsize)
            )
        dtype = hint
    else:
        dtype = as_dtype(dtype)
        if hint is not None and hint != dtype:
            raise TypeError("%s holds %s elements, not %s" % (name, hint.name, dtype.name))
    size = dtype.itemsize
    if itemsize not in (1, size):
        raise TypeError(
            "%s has %d-byte items, which cannot hold %s elements" % (name, itemsize, dtype.name)
        )
    if nbytes % size:
        raise ValueError("%s holds %d bytes, not a whole number of %s elements"
                         % (name, nbytes, dtype.name))
    elements = nbytes // size
    two_d = len(shape) == 2 and itemsize == size
    if two_d:
        if rows is not None and rows != shape[0] or cols is not None and cols != shape[1]:
            raise ValueError("rows, cols = %r, %r do not match the shape %r of %s"
                             % (rows, cols, shape, name))
        rows, cols = shape
        if ld is None:
            ld = shape_ld if shape_ld is not None else cols
    if cols is None:
        raise TypeError("cols is required for a 1-D %s" % name)
    if ld is None:
        ld = cols
    if rows is None:
        if ld != cols and cols >= 1 and ld >= 1:
            rows = (elements + ld - cols) // ld
        else:
            if cols >= 1 and elements % cols:
                raise ValueError("%s holds %d elements, not a multiple of cols = %d"
                                 % (name, elements, cols))
            rows = elements // cols if cols >= 1 else 0
    # Let the library report sizes and leading dimensions it refuses; check only what keeps the
    # call inside the buffer.
    if rows >= 1 and cols >= 1 and ld >= cols:
        needed = (rows - 1) * ld + cols
        if elements < needed:
            raise ValueError(
                "%s holds %d elements; a %d x %d matrix with ld = %d needs %d"
                % (name, elements, rows, cols, ld, needed)
            )
    template = obj if kind in ("numpy", "array") else None
    return _Matrix(address, rows, cols, ld, dtype, keep, kind, template)


def _new_output(src):
    """A fresh dense rows x cols output of the same kind as the source."""
    count = src.rows * src.cols
    if src.kind == "numpy":
        numpy = sys.modules["numpy"]
        shape = (src.rows, src.cols) if src.template.ndim == 2 else (count,)
        if src.template.itemsize == src.dtype.itemsize:
            return numpy.empty(shape, dtype=src.template.dtype)
        return numpy.empty(count * src.dtype.itemsize, dtype=numpy.uint8)
    if src.kind == "array" and src.template.itemsize == src.dtype.itemsize:
        out = array.array(src.template.typecode)
        out.frombytes(bytes(count * src.dtype.itemsize))
        return out
    return bytearray(count * src.dtype.itemsize)


def _output(out, shape, dtype, out_ld):
    return _matrix(out, shape[0], shape[1], dtype, out_ld, "out", writable=True)


def prune(src, rows=None, cols=None, *, dtype=None, ld=None, out=None, out_ld=None):
    """sf_prune on host memory: 2:4 magnitude pruning along the columns. Returns `out` (a new
    buffer of the same kind as `src` when None; pass out=src to prune in place)."""
    s = _matrix(src, rows, cols, dtype, ld, "src", writable=False)
    if out is None:
        out = _new_output(s)
        if out_ld is None:
            out_ld = s.cols
    d = _output(out, (s.rows, s.cols), s.dtype, out_ld)
    call(library().sf_prune, Memory.HOST, s.dtype, s.rows, s.cols, s.address, s.ld, d.address,
         d.ld, None)
    return out


def check_2to4(src, rows=None, cols=None, *, dtype=None, ld=None):
    """sf_check_2to4 on host memory: the number of groups of 4 holding more than 2 non-zeros."""
    s = _matrix(src, rows, cols, dtype, ld, "src", writable=False)
    violations = ctypes.c_int64(-1)
    call(library().sf_check_2to4, Memory.HOST, s.dtype, s.rows, s.cols, s.address, s.ld,
         ctypes.byref(violations), None)
    return violations.value


def compressed_size(rows, cols, dtype="f16"):
    """sf_compressed_size: bytes of the compressed buffer of a rows x cols matrix."""
    size = ctypes.c_size_t(0)
    call(library().sf_compressed_size, as_dtype(dtype), rows, cols, ctypes.byref(size))
    return size.value


def compress(src, rows=None, cols=None, *, dtype=None, ld=None):
    """sf_compress on host memory: a CompressedMatrix holding a 16-byte aligned copy."""
    s = _matrix(src, rows, cols, dtype, ld, "src", writable=False)
    nbytes = compressed_size(s.rows, s.cols, s.dtype)
    view, address = aligned_host_buffer(nbytes)
    header = CompressedHeader()
    call(library().sf_compress, Memory.HOST, s.dtype, s.rows, s.cols, s.address, s.ld, address,
         nbytes, ctypes.byref(header), None)
    return CompressedMatrix(header, view, address)


def decompress(compressed, out=None, *, out_ld=None):
    """sf_decompress on host memory. `compressed` is a host CompressedMatrix or a bytes-like
    stored buffer. Returns `out` (an array.array('H') of rows * cols bit patterns when None)."""
    if not isinstance(compressed, CompressedMatrix):
        compressed = CompressedMatrix.from_bytes(compressed)
    if compressed.is_cuda:
        raise ValueError("this CompressedMatrix is in CUDA memory; use the torch path")
    header = compressed.header
    if out is None:
        out = array.array("H")
        out.frombytes(bytes(max(header.rows, 0) * max(header.cols, 0) * 2))
        if out_ld is None:
            out_ld = header.cols
    dtype = Dtype(header.dtype) if header.dtype in (1, 2, 3) else Dtype.F16
    d = _output(out, (header.rows, header.cols), dtype, out_ld)
    call(library().sf_decompress, Memory.HOST, ctypes.byref(header), compressed.address,
         compressed.buffer_bytes, d.address, d.ld, None)
    return out
