"""The PyTorch path: tensors on a CUDA device (or the CPU), imported only when used.

Device work runs on the tensor's device (made current for the call) and on that device's
current stream, torch.cuda.current_stream(device).cuda_stream, so it is ordered with the
surrounding PyTorch work like any PyTorch operation; nothing here synchronizes except
check_2to4 and compress, whose C functions synchronize the stream to learn the 2:4 count.
"""

import contextlib
import ctypes
import sys

from ._compressed import CompressedMatrix, aligned_host_buffer
from ._host import compressed_size
from ._lib import CompressedHeader, Dtype, Layout, Memory, call, library


def is_tensor(obj):
    """True for a torch.Tensor (without importing torch: if torch is not imported, obj is not
    one)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def _torch():
    import torch

    return torch


def torch_dtype(dtype):
    """The torch dtype of a Dtype."""
    torch = _torch()
    return {Dtype.F16: torch.float16, Dtype.BF16: torch.bfloat16, Dtype.F32: torch.float32}[
        Dtype(dtype)]


def _dtype_of(tensor, name, allowed):
    torch = _torch()
    dtype = {torch.float16: Dtype.F16, torch.bfloat16: Dtype.BF16,
             torch.float32: Dtype.F32}.get(tensor.dtype)
    if dtype not in allowed:
        raise TypeError("%s must be %s, got %s" % (
            name, " or ".join(str(torch_dtype(d)) for d in allowed), tensor.dtype))
    return dtype


def _memory(tensor, name):
    kind = tensor.device.type
    if kind == "cuda":
        return Memory.DEVICE
    if kind == "cpu":
        return Memory.HOST
    raise ValueError("%s is on %s; SparseFlow takes CUDA or CPU tensors" % (name, tensor.device))


def _require_tensor(obj, name):
    if not is_tensor(obj):
        raise TypeError("%s must be a torch.Tensor, got %s" % (name, type(obj).__name__))


def _matrix(tensor, name):
    """(rows, cols, ld) of a 2-D tensor whose rows are contiguous."""
    if tensor.dim() != 2:
        raise ValueError("%s must be 2-D [rows, cols], got shape %s" % (name, tuple(tensor.shape)))
    rows, cols = tensor.shape
    if rows > 1 and cols > 1 and tensor.stride(1) != 1:
        raise ValueError("%s needs unit stride along its columns (call .contiguous())" % name)
    ld = tensor.stride(0) if rows > 1 else cols
    return rows, cols, ld


def _check_like(out, name, dtype, device, shape):
    _require_tensor(out, name)
    if out.dtype != dtype:
        raise TypeError("%s must be %s, got %s" % (name, dtype, out.dtype))
    if out.device != device:
        raise ValueError("%s must be on %s, got %s" % (name, device, out.device))
    if tuple(out.shape) != tuple(shape):
        raise ValueError("%s must have shape %s, got %s" % (name, tuple(shape), tuple(out.shape)))


@contextlib.contextmanager
def _on(device):
    """Makes a CUDA `device` current and yields the handle of its current stream (None, the
    legacy default stream, when that is the current one; None for the CPU)."""
    if device.type != "cuda":
        yield None
        return
    torch = _torch()
    with torch.cuda.device(device):
        yield torch.cuda.current_stream(device).cuda_stream or None


def prune(weight, out=None):
    """sf_prune on a 2-D fp16/bf16/fp32 tensor (CUDA: one kernel on the current stream).
    Returns `out` (a new contiguous tensor when None; out=weight prunes in place)."""
    _require_tensor(weight, "weight")
    torch = _torch()
    dtype = _dtype_of(weight, "weight", (Dtype.F16, Dtype.BF16, Dtype.F32))
    memory = _memory(weight, "weight")
    rows, cols, ld = _matrix(weight, "weight")
    if out is None:
        out = torch.empty((rows, cols), dtype=weight.dtype, device=weight.device)
    else:
        _check_like(out, "out", weight.dtype, weight.device, (rows, cols))
    _, _, out_ld = _matrix(out, "out")
    with _on(weight.device) as stream:
        call(library().sf_prune, memory, dtype, rows, cols, weight.data_ptr(), ld,
             out.data_ptr(), out_ld, stream)
    return out


def check_2to4(weight):
    """sf_check_2to4 on a 2-D tensor: groups of 4 with more than 2 non-zeros (CUDA: synchronizes
    the current stream)."""
    _require_tensor(weight, "weight")
    dtype = _dtype_of(weight, "weight", (Dtype.F16, Dtype.BF16, Dtype.F32))
    memory = _memory(weight, "weight")
    rows, cols, ld = _matrix(weight, "weight")
    violations = ctypes.c_int64(-1)
    with _on(weight.device) as stream:
        call(library().sf_check_2to4, memory, dtype, rows, cols, weight.data_ptr(), ld,
             ctypes.byref(violations), stream)
    return violations.value


def compress(weight):
    """sf_compress on a 2-D fp16/bf16 tensor that is 2:4 (prune it first). A CUDA tensor gives a
    CompressedMatrix whose buffer is a torch.uint8 tensor on the same device (the C function
    synchronizes the current stream once to check 2:4); a CPU tensor gives a host one."""
    _require_tensor(weight, "weight")
    torch = _torch()
    dtype = _dtype_of(weight, "weight", (Dtype.F16, Dtype.BF16))
    memory = _memory(weight, "weight")
    rows, cols, ld = _matrix(weight, "weight")
    nbytes = compressed_size(rows, cols, dtype)
    header = CompressedHeader()
    if memory == Memory.HOST:
        view, address = aligned_host_buffer(nbytes)
        call(library().sf_compress, memory, dtype, rows, cols, weight.data_ptr(), ld, address,
             nbytes, ctypes.byref(header), None)
        return CompressedMatrix(header, view, address)
    buffer = torch.empty(nbytes, dtype=torch.uint8, device=weight.device)
    with _on(weight.device) as stream:
        call(library().sf_compress, memory, dtype, rows, cols, weight.data_ptr(), ld,
             buffer.data_ptr(), nbytes, ctypes.byref(header), stream)
    return CompressedMatrix._from_tensor(header, buffer)


def decompress(compressed, out=None):
    """sf_decompress into a tensor: on the CompressedMatrix's CUDA device (stream-ordered), or a
    CPU tensor for a host one. Returns `out` (a new [rows, cols] tensor when None)."""
    torch = _torch()
    device = compressed.device if compressed.is_cuda else torch.device("cpu")
    dtype = torch_dtype(compressed.dtype)
    shape = (compressed.rows, compressed.cols)
    if out is None:
        out = torch.empty(shape, dtype=dtype, device=device)
    else:
        _check_like(out, "out", dtype, device, shape)
    _, _, out_ld = _matrix(out, "out")
    memory = Memory.DEVICE if compressed.is_cuda else Memory.HOST
    with _on(device) as stream:
        call(library().sf_decompress, memory, ctypes.byref(compressed.header), compressed.address,
             compressed.buffer_bytes, out.data_ptr(), out_ld, stream)
    return out


def linear(x, weight, bias=None):
    """y = x @ W^T + bias with W the compressed weight [N_out, K], like
    torch.nn.functional.linear(x, W, bias) on the pruned dense W, fp32 accumulation.

    x: CUDA tensor [..., K] of W's dtype (fp16 or bf16), contiguous; its leading dimensions are
    flattened into the batch. bias: None or a contiguous [N_out] tensor of x's dtype on x's
    device. Returns a new tensor [..., N_out] of x's dtype on x's device (torch.empty), written
    by sf_gemm (SF_LAYOUT_LINEAR) on the current stream. No autograd: call it under
    torch.no_grad() or torch.inference_mode().
    """
    torch = _torch()
    if not isinstance(weight, CompressedMatrix):
        raise TypeError("weight must be a sparseflow.CompressedMatrix (from sparseflow.compress), "
                        "got %s" % type(weight).__name__)
    if not weight.is_cuda:
        raise ValueError("the compressed weight is in host memory; move it with weight.cuda()")
    _require_tensor(x, "x")
    if x.device.type != "cuda":
        raise ValueError("x must be a CUDA tensor, got one on %s" % x.device)
    if x.device != weight.device:
        raise ValueError("x is on %s but the compressed weight on %s" % (x.device, weight.device))
    dtype = _dtype_of(x, "x", (Dtype.F16, Dtype.BF16))
    if dtype != weight.dtype:
        raise TypeError("x is %s but the weight was compressed from %s"
                        % (x.dtype, torch_dtype(weight.dtype)))
    n_out, k = weight.rows, weight.cols
    if x.dim() < 1 or x.shape[-1] != k:
        raise ValueError("x must have shape [..., %d] (the weight is [%d, %d]), got %s"
                         % (k, n_out, k, tuple(x.shape)))
    if not x.is_contiguous():
        raise ValueError("x must be contiguous (call x.contiguous())")
    bias_ptr = None
    if bias is not None:
        _require_tensor(bias, "bias")
        _check_like(bias, "bias", x.dtype, x.device, (n_out,))
        if not bias.is_contiguous():
            raise ValueError("bias must be contiguous")
        bias_ptr = bias.data_ptr()
    if torch.is_grad_enabled() and (x.requires_grad or (bias is not None and bias.requires_grad)):
        raise RuntimeError("sparseflow.linear has no backward; call it under torch.no_grad() or "
                           "torch.inference_mode()")
    y = torch.empty(tuple(x.shape[:-1]) + (n_out,), dtype=x.dtype, device=x.device)
    batch = x.numel() // k
    if batch == 0:
        return y
    with _on(x.device) as stream:
        call(library().sf_gemm, Layout.LINEAR, batch, 1.0, ctypes.byref(weight.header),
             weight.address, weight.buffer_bytes, x.data_ptr(), k, 0.0, None, n_out, bias_ptr,
             dtype, y.data_ptr(), n_out, stream)
    return y
