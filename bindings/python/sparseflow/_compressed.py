"""CompressedMatrix: a compressed 2:4 buffer (host bytes or a torch CUDA uint8 tensor) together
with a host copy of its header."""

import ctypes

from ._lib import CompressedHeader, Dtype, call, library

ALIGNMENT = 16  # sf_compress, sf_decompress and sf_gemm need a 16-byte aligned buffer


def aligned_host_buffer(nbytes):
    """A zeroed writable memoryview of `nbytes` bytes whose address is 16-byte aligned, and that
    address. The view keeps its private bytearray alive; the bytearray is never resized, so the
    address stays valid as long as the view does."""
    storage = bytearray(nbytes + ALIGNMENT - 1)
    base = ctypes.addressof(ctypes.c_char.from_buffer(storage))  # the export ends here
    offset = (-base) % ALIGNMENT
    return memoryview(storage)[offset:offset + nbytes], base + offset


def header_of(data):
    """A CompressedHeader copied from the first 128 bytes of a bytes-like object."""
    view = memoryview(data).cast("B")
    size = ctypes.sizeof(CompressedHeader)
    if view.nbytes < size:
        raise ValueError(
            "a compressed buffer starts with a %d-byte header; got %d bytes" % (size, view.nbytes)
        )
    return CompressedHeader.from_buffer_copy(view[:size])


class CompressedMatrix:
    """A rows x cols 2:4 matrix in SparseFlow's compressed format (version 1).

    Attributes: `header` (a host CompressedHeader), `rows`, `cols`, `shape`, `dtype` (Dtype),
    `nbytes` (header.total_bytes), `is_cuda`, `device` (a torch.device or None), and `buffer`:
    for host memory a 16-byte aligned writable memoryview of `nbytes` bytes, for device memory a
    torch.uint8 CUDA tensor of `nbytes` elements.
    """

    __slots__ = ("header", "buffer", "_address")

    def __init__(self, header, buffer, address):
        self.header = header
        self.buffer = buffer
        self._address = address

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def from_bytes(cls, data):
        """A host CompressedMatrix copied from a stored compressed buffer (bytes-like), checked
        with sf_compressed_validate. Extra bytes past header.total_bytes are ignored."""
        header = header_of(data)
        call(library().sf_compressed_validate, ctypes.byref(header))
        source = memoryview(data).cast("B")
        if source.nbytes < header.total_bytes:
            raise ValueError(
                "the header says the buffer holds %d bytes; got %d"
                % (header.total_bytes, source.nbytes)
            )
        view, address = aligned_host_buffer(header.total_bytes)
        view[:] = source[:header.total_bytes]
        return cls(header, view, address)

    @classmethod
    def _from_tensor(cls, header, tensor):
        return cls(header, tensor, None)

    # --- description -------------------------------------------------------------------------

    @property
    def rows(self):
        return self.header.rows

    @property
    def cols(self):
        return self.header.cols

    @property
    def shape(self):
        return (self.header.rows, self.header.cols)

    @property
    def dtype(self):
        return Dtype(self.header.dtype)

    @property
    def nbytes(self):
        return self.header.total_bytes

    @property
    def is_cuda(self):
        return self._address is None

    @property
    def device(self):
        return self.buffer.device if self.is_cuda else None

    @property
    def address(self):
        """The buffer's address (host or device) as an int."""
        return self.buffer.data_ptr() if self.is_cuda else self._address

    @property
    def buffer_bytes(self):
        """The size of the buffer's allocation, passed to the library as a_bytes / src_bytes."""
        return self.buffer.numel() if self.is_cuda else self.buffer.nbytes

    def __repr__(self):
        where = str(self.device) if self.is_cuda else "host"
        return "CompressedMatrix(%d x %d, %s, %d bytes, %s)" % (
            self.rows, self.cols, self.dtype.name.lower(), self.nbytes, where)

    # --- copies ------------------------------------------------------------------------------

    def to_bytes(self):
        """The whole compressed buffer as bytes (copied to the host; for device memory this
        synchronizes with the current stream)."""
        if not self.is_cuda:
            return self.buffer.tobytes()
        host = self.buffer.to("cpu")
        out = bytearray(host.numel())
        if out:
            ctypes.memmove((ctypes.c_char * len(out)).from_buffer(out), host.data_ptr(), len(out))
        return bytes(out)

    def cpu(self):
        """A host copy (this object itself when it already is in host memory)."""
        if not self.is_cuda:
            return self
        return CompressedMatrix.from_bytes(self.to_bytes())

    def cuda(self, device=None):
        """A copy in CUDA memory as a torch.uint8 tensor (needs torch), on `device` (default:
        the current CUDA device). A device matrix already on that device is returned as is."""
        import torch

        device = torch.device("cuda") if device is None else torch.device(device)
        if device.type != "cuda":
            raise ValueError("cuda() needs a CUDA device, got %s" % device)
        if device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        if self.is_cuda:
            if self.buffer.device == device:
                return self
            return CompressedMatrix._from_tensor(_copy_header(self.header), self.buffer.to(device))
        host = torch.frombuffer(bytearray(self.buffer), dtype=torch.uint8)
        return CompressedMatrix._from_tensor(_copy_header(self.header), host.to(device))


def _copy_header(header):
    return CompressedHeader.from_buffer_copy(header)
