"""Loading libsparseflow and the ctypes declaration of every function of sparseflow.h.

Nothing here imports a third-party package. The library is loaded on first use (or by an
explicit `load()`), from, in order: the `path` argument of `load()`, the environment variable
SPARSEFLOW_LIBRARY, `ctypes.util.find_library("sparseflow")`, and the soname
"libsparseflow.so.0".
"""

import ctypes
import ctypes.util
import enum
import os
import threading

# --- Constants of sparseflow.h (tests/test_abi.py checks them against the header) --------------

VERSION_MAJOR = 0
VERSION_MINOR = 1
VERSION_PATCH = 0
VERSION_NUMBER = VERSION_MAJOR * 10000 + VERSION_MINOR * 100 + VERSION_PATCH
FORMAT_VERSION = 1
FORMAT_MAGIC = 0x34324653
K_GRANULARITY = 32
PRUNE_GRANULARITY = 4


class Status(enum.IntEnum):
    """sf_status_t. Values are fixed by the C ABI; new codes are only appended."""

    SUCCESS = 0
    ERROR_NULL_POINTER = 1
    ERROR_INVALID_SIZE = 2
    ERROR_K_GRANULARITY = 3
    ERROR_MISALIGNED = 4
    ERROR_LEADING_DIMENSION = 5
    ERROR_UNSUPPORTED_DTYPE = 6
    ERROR_UNSUPPORTED_LAYOUT = 7
    ERROR_NO_DEVICE = 8
    ERROR_UNSUPPORTED_DEVICE = 9
    ERROR_NOT_2TO4 = 10
    ERROR_FORMAT_VERSION = 11
    ERROR_BUFFER_SIZE = 12
    ERROR_INVALID_VALUE = 13
    ERROR_BAD_HEADER = 14
    ERROR_CUDA = 15
    ERROR_OUT_OF_MEMORY = 16
    ERROR_INTERNAL = 17


class Dtype(enum.IntEnum):
    """sf_dtype_t."""

    F16 = 1
    BF16 = 2
    F32 = 3

    @property
    def itemsize(self):
        return 4 if self is Dtype.F32 else 2


class Memory(enum.IntEnum):
    """sf_memory_t."""

    HOST = 1
    DEVICE = 2


class Layout(enum.IntEnum):
    """sf_layout_t."""

    LINEAR = 1
    ROW_MAJOR = 2


class CompressedHeader(ctypes.Structure):
    """sf_compressed_header_t: the first 128 bytes of every compressed buffer."""

    _fields_ = [
        ("magic", ctypes.c_uint32),
        ("format_version", ctypes.c_uint32),
        ("dtype", ctypes.c_uint32),
        ("header_bytes", ctypes.c_uint32),
        ("rows", ctypes.c_int64),
        ("cols", ctypes.c_int64),
        ("padded_rows", ctypes.c_int64),
        ("values_offset", ctypes.c_uint64),
        ("values_bytes", ctypes.c_uint64),
        ("metadata_offset", ctypes.c_uint64),
        ("metadata_bytes", ctypes.c_uint64),
        ("total_bytes", ctypes.c_uint64),
        ("reserved", ctypes.c_uint64 * 6),
    ]

    def __repr__(self):
        return (
            "CompressedHeader(magic=0x%08x, format_version=%d, dtype=%d, header_bytes=%d, "
            "rows=%d, cols=%d, padded_rows=%d, values=[%d, +%d), metadata=[%d, +%d), "
            "total_bytes=%d)"
            % (
                self.magic, self.format_version, self.dtype, self.header_bytes, self.rows,
                self.cols, self.padded_rows, self.values_offset, self.values_bytes,
                self.metadata_offset, self.metadata_bytes, self.total_bytes,
            )
        )


assert ctypes.sizeof(CompressedHeader) == 128, "sf_compressed_header_t is 128 bytes"

# sf_stream_t is a pointer to an incomplete struct: a c_void_p (None is the legacy default stream).
_stream_t = ctypes.c_void_p
_enum_t = ctypes.c_int32  # sf_status_t, sf_dtype_t, sf_memory_t, sf_layout_t: int32_t values
_i64 = ctypes.c_int64
_void_p = ctypes.c_void_p
_header_p = ctypes.POINTER(CompressedHeader)

# name: (restype, argtypes), one entry per function of sparseflow.h.
SIGNATURES = {
    "sf_version_number": (ctypes.c_int, []),
    "sf_version_string": (ctypes.c_char_p, []),
    "sf_build_info": (ctypes.c_char_p, []),
    "sf_status_string": (ctypes.c_char_p, [_enum_t]),
    "sf_last_error_message": (ctypes.c_char_p, []),
    "sf_prune": (
        _enum_t,
        [_enum_t, _enum_t, _i64, _i64, _void_p, _i64, _void_p, _i64, _stream_t],
    ),
    "sf_check_2to4": (
        _enum_t,
        [_enum_t, _enum_t, _i64, _i64, _void_p, _i64, ctypes.POINTER(_i64), _stream_t],
    ),
    "sf_compressed_size": (_enum_t, [_enum_t, _i64, _i64, ctypes.POINTER(ctypes.c_size_t)]),
    "sf_compress": (
        _enum_t,
        [_enum_t, _enum_t, _i64, _i64, _void_p, _i64, _void_p, ctypes.c_size_t, _header_p,
         _stream_t],
    ),
    "sf_compressed_validate": (_enum_t, [_header_p]),
    "sf_decompress": (
        _enum_t,
        [_enum_t, _header_p, _void_p, ctypes.c_size_t, _void_p, _i64, _stream_t],
    ),
    "sf_gemm": (
        _enum_t,
        [_enum_t, _i64, ctypes.c_float, _header_p, _void_p, ctypes.c_size_t, _void_p, _i64,
         ctypes.c_float, _void_p, _i64, _void_p, _enum_t, _void_p, _i64, _stream_t],
    ),
}


class SparseFlowError(RuntimeError):
    """A SparseFlow call returned a status other than SF_SUCCESS.

    `status` is a `Status` (a plain int for a code newer than this binding), `message` the
    library's thread-local message (sf_last_error_message, which names the function), and
    `status_string` the library's description of the code (sf_status_string).
    """

    def __init__(self, status, message):
        try:
            status = Status(status)
        except ValueError:
            status = int(status)
        super().__init__(status, message)
        self.status = status
        self.message = message

    @property
    def status_string(self):
        return status_string(self.status)

    def __str__(self):
        name = "SF_" + self.status.name if isinstance(self.status, Status) else "status"
        return "%s [%s = %d]" % (self.message, name, int(self.status))


_lock = threading.Lock()
_lib = None
_lib_path = None


def _candidates(path):
    if path is not None:
        return [os.fspath(path)]
    env = os.environ.get("SPARSEFLOW_LIBRARY")
    if env:
        return [env]
    found = ctypes.util.find_library("sparseflow")
    names = [found] if found else []
    if "libsparseflow.so.0" not in names:
        names.append("libsparseflow.so.0")
    return names


def _declare(lib):
    for name, (restype, argtypes) in SIGNATURES.items():
        function = getattr(lib, name)  # AttributeError names a missing symbol
        function.restype = restype
        function.argtypes = argtypes


def load(path=None):
    """Loads (once) and returns the ctypes.CDLL of libsparseflow, every function declared.

    A later call with another `path` raises; a call without one returns the loaded library.
    Raises OSError when no library can be loaded or its major version differs from this
    binding's (or it is older than the header this binding mirrors).
    """
    global _lib, _lib_path
    with _lock:
        if _lib is not None:
            if path is not None and os.fspath(path) != _lib_path:
                raise OSError(
                    "libsparseflow is already loaded from %s; cannot load %s" % (_lib_path, path)
                )
            return _lib
        errors = []
        for candidate in _candidates(path):
            try:
                lib = ctypes.CDLL(candidate)
            except OSError as error:
                errors.append("%s: %s" % (candidate, error))
                continue
            _declare(lib)
            number = lib.sf_version_number()
            if number // 10000 != VERSION_MAJOR or number < VERSION_NUMBER:
                raise OSError(
                    "%s is SparseFlow %s (%d); this binding needs %d.%d.x with x >= %d"
                    % (candidate, lib.sf_version_string().decode(), number, VERSION_MAJOR,
                       VERSION_MINOR, VERSION_PATCH)
                )
            _lib, _lib_path = lib, candidate
            return lib
        raise OSError(
            "cannot load libsparseflow (set SPARSEFLOW_LIBRARY to its full path): "
            + "; ".join(errors)
        )


def library():
    """The loaded ctypes.CDLL (loading it on first use)."""
    return _lib if _lib is not None else load()


def library_path():
    """The path or name the library was loaded from (None before it is loaded)."""
    return _lib_path


def call(function, *args):
    """Calls a declared library function; raises SparseFlowError on a status other than 0.

    The message is read right after the call, on the same thread: it is thread-local and only
    valid until this thread's next SparseFlow call (c_char_p copies it into a bytes object).
    """
    status = function(*args)
    if status != Status.SUCCESS:
        message = library().sf_last_error_message()
        raise SparseFlowError(status, message.decode("utf-8", "replace") if message else "")


def status_string(status):
    """sf_status_string: the library's static English description of a status code."""
    text = library().sf_status_string(int(status))
    return text.decode("utf-8", "replace") if text else ""


def last_error_message():
    """sf_last_error_message of the calling thread ("" after a call that succeeded)."""
    text = library().sf_last_error_message()
    return text.decode("utf-8", "replace") if text else ""


def version_number():
    """sf_version_number(): MAJOR * 10000 + MINOR * 100 + PATCH of the loaded library."""
    return library().sf_version_number()


def version_string():
    """sf_version_string(): "MAJOR.MINOR.PATCH" of the loaded library."""
    return library().sf_version_string().decode()


def build_info():
    """sf_build_info(): one line with version, git commit, CUDA version and architectures."""
    return library().sf_build_info().decode()


_DTYPE_NAMES = {
    "f16": Dtype.F16, "fp16": Dtype.F16, "float16": Dtype.F16, "half": Dtype.F16,
    "bf16": Dtype.BF16, "bfloat16": Dtype.BF16,
    "f32": Dtype.F32, "fp32": Dtype.F32, "float32": Dtype.F32, "float": Dtype.F32,
}


def as_dtype(dtype):
    """A Dtype from a Dtype, its int value, a name ("f16", "bfloat16", ...), a torch dtype or a
    numpy dtype (by name)."""
    if isinstance(dtype, Dtype):
        return dtype
    if isinstance(dtype, int) and not isinstance(dtype, bool):
        return Dtype(dtype)
    name = getattr(dtype, "name", None)  # numpy dtype
    if not isinstance(name, str):
        name = str(dtype)
    name = name.lower()
    if name.startswith("torch."):
        name = name[len("torch."):]
    if name not in _DTYPE_NAMES:
        raise TypeError(
            "unsupported dtype %r (use float16/f16, bfloat16/bf16 or float32/f32)" % (dtype,)
        )
    return _DTYPE_NAMES[name]
