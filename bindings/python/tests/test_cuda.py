"""The PyTorch CUDA path. Skipped unless torch imports and torch.cuda.is_available() (and the
GPU has compute capability >= 8.0); SF_REQUIRE_CUDA_TESTS=1 turns those skips into failures.

Accuracy: sparseflow.linear accumulates in fp32 and rounds once to the output dtype, so against
an fp32 reference (torch.nn.functional.linear on the fp32 copies of x, the pruned weight and
the bias) the relative error ||y - ref|| / ||ref|| is bounded by the output rounding: 2e-3 for
fp16 (unit roundoff 2^-11) and 1e-2 for bf16 (unit roundoff 2^-8).
"""

import array
import ctypes
import unittest

import _support
import sparseflow as sf
from _support import reference_prune

TOLERANCE = {"float16": 2e-3, "bfloat16": 1e-2}


def tensor_bytes(tensor):
    """The bytes of a tensor (copied to the host), without numpy."""
    tensor = tensor.contiguous().cpu()
    return ctypes.string_at(tensor.data_ptr(), tensor.numel() * tensor.element_size())


class CudaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = None
        try:
            import torch
        except ImportError:
            torch = None
            reason = "torch is not installed"
        if torch is not None and not torch.cuda.is_available():
            reason = "torch.cuda.is_available() is False"
        elif torch is not None and torch.cuda.get_device_capability() < (8, 0):
            reason = "the GPU is older than compute capability 8.0"
        if reason is not None:
            if _support.require_cuda_tests():
                raise RuntimeError("SF_REQUIRE_CUDA_TESTS is set but " + reason)
            raise unittest.SkipTest(reason)
        cls.torch = torch
        cls.F = torch.nn.functional

    def weight(self, n_out, k, dtype, seed=0):
        torch = self.torch
        generator = torch.Generator(device="cuda").manual_seed(seed)
        return torch.randn(n_out, k, device="cuda", dtype=torch.float32,
                           generator=generator).to(dtype)

    def assert_close(self, y, ref, dtype):
        torch = self.torch
        error = (y.float() - ref).norm() / ref.norm().clamp_min(1e-30)
        self.assertLessEqual(error.item(), TOLERANCE[str(dtype).split(".")[-1]],
                             "relative error %.3g" % error.item())
        self.assertFalse(torch.isnan(y).any().item())

    def test_prune_compress_decompress(self):
        torch = self.torch
        for dtype in (torch.float16, torch.bfloat16):
            w = self.weight(100, 128, dtype)
            pruned = sf.prune(w)
            self.assertEqual(pruned.device, w.device)
            self.assertEqual(pruned.dtype, dtype)
            self.assertGreater(sf.check_2to4(w), 0)
            self.assertEqual(sf.check_2to4(pruned), 0)
            host_bits = array.array("H", tensor_bytes(w))
            expected = reference_prune(host_bits, 100, 128).tobytes()
            self.assertEqual(tensor_bytes(pruned), expected)
            # Pruning on the CPU tensor gives the same bits.
            self.assertTrue(torch.equal(sf.prune(w.cpu()).view(torch.int16),
                                        pruned.cpu().view(torch.int16)))

            compressed = sf.compress(pruned)
            self.assertTrue(compressed.is_cuda)
            self.assertEqual(compressed.device, w.device)
            self.assertEqual(compressed.buffer.dtype, torch.uint8)
            self.assertEqual(compressed.buffer.numel(), sf.compressed_size(100, 128, dtype))
            self.assertEqual((compressed.rows, compressed.cols), (100, 128))
            self.assertEqual(compressed.dtype, sf.as_dtype(dtype))
            # Device and host compression write identical bytes.
            host = sf.compress(pruned.cpu())
            self.assertFalse(host.is_cuda)
            self.assertEqual(compressed.to_bytes(), host.to_bytes())
            self.assertEqual(bytes(compressed.header), host.to_bytes()[:128])

            back = sf.decompress(compressed)
            self.assertEqual(back.device, w.device)
            self.assertTrue(torch.equal(back.view(torch.int16), pruned.view(torch.int16)))
            # Host buffer -> CUDA and back.
            moved = host.cuda()
            self.assertTrue(moved.is_cuda)
            self.assertTrue(torch.equal(sf.decompress(moved).view(torch.int16),
                                        pruned.view(torch.int16)))
            self.assertEqual(compressed.cpu().to_bytes(), host.to_bytes())
            cpu_out = torch.empty(100, 128, dtype=dtype)
            sf.decompress(host, cpu_out)
            self.assertTrue(torch.equal(cpu_out.view(torch.int16), pruned.cpu().view(torch.int16)))

            in_place = w.clone()
            self.assertIs(sf.prune(in_place, out=in_place), in_place)
            self.assertTrue(torch.equal(in_place.view(torch.int16), pruned.view(torch.int16)))

    def test_linear_matches_torch(self):
        torch, F = self.torch, self.F
        n_out, k = 96, 256
        for dtype in (torch.float16, torch.bfloat16):
            pruned = sf.prune(self.weight(n_out, k, dtype, seed=1))
            compressed = sf.compress(pruned)
            bias = torch.randn(n_out, device="cuda").to(dtype)
            for batch in (1, 17, 300):
                x = torch.randn(batch, k, device="cuda").to(dtype)
                for b in (None, bias):
                    with torch.no_grad():
                        y = sf.linear(x, compressed, b)
                    self.assertEqual(y.shape, (batch, n_out))
                    self.assertEqual(y.dtype, dtype)
                    self.assertEqual(y.device, x.device)
                    ref = F.linear(x.float(), pruned.float(), None if b is None else b.float())
                    with self.subTest(dtype=str(dtype), batch=batch, bias=b is not None):
                        self.assert_close(y, ref, dtype)
                        # Same bits on every call.
                        self.assertTrue(torch.equal(sf.linear(x, compressed, b), y))

    def test_linear_shapes_and_streams(self):
        torch, F = self.torch, self.F
        n_out, k = 40, 64  # n_out not a multiple of 16
        pruned = sf.prune(self.weight(n_out, k, torch.float16, seed=2))
        compressed = sf.compress(pruned)
        x = torch.randn(2, 3, k, device="cuda", dtype=torch.float16)
        y = sf.linear(x, compressed)
        self.assertEqual(y.shape, (2, 3, n_out))
        self.assert_close(y, F.linear(x.float(), pruned.float()), torch.float16)
        empty = sf.linear(x[:0], compressed)
        self.assertEqual(empty.shape, (0, 3, n_out))
        # On a side stream: ordered on it, like any PyTorch operation.
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            z = sf.linear(x, compressed)
        stream.synchronize()
        self.assertTrue(torch.equal(z, y))
        # A compressed matrix loaded from bytes onto the GPU works the same.
        loaded = sf.CompressedMatrix.from_bytes(compressed.to_bytes()).cuda()
        self.assertTrue(torch.equal(sf.linear(x, loaded), y))

    def test_linear_argument_errors(self):
        torch = self.torch
        pruned = sf.prune(self.weight(32, 64, torch.float16, seed=3))
        compressed = sf.compress(pruned)
        x = torch.randn(4, 64, device="cuda", dtype=torch.float16)
        with self.assertRaises(TypeError):
            sf.linear(x.to(torch.bfloat16), compressed)  # dtype differs from the weight's
        with self.assertRaises(TypeError):
            sf.linear(x.float(), compressed)
        with self.assertRaises(ValueError):
            sf.linear(x.cpu(), compressed)
        with self.assertRaises(ValueError):
            sf.linear(x[:, :32], compressed)  # wrong K
        with self.assertRaises(ValueError):
            sf.linear(torch.randn(64, 4, device="cuda", dtype=torch.float16).t(), compressed)
        with self.assertRaises(ValueError):
            sf.linear(x, sf.compress(pruned.cpu()))  # host weight
        with self.assertRaises(TypeError):
            sf.linear(x, pruned)  # dense weight
        with self.assertRaises(ValueError):
            sf.linear(x, compressed, torch.zeros(31, device="cuda", dtype=torch.float16))
        with self.assertRaises(TypeError):
            sf.linear(x, compressed, torch.zeros(32, device="cuda", dtype=torch.float32))
        with self.assertRaises(RuntimeError):
            sf.linear(x.clone().requires_grad_(), compressed)
        with self.assertRaises(sf.SparseFlowError) as caught:
            sf.compress(self.weight(32, 64, torch.float16))  # not pruned
        self.assertEqual(caught.exception.status, sf.Status.ERROR_NOT_2TO4)
        self.assertIn("sf_compress", caught.exception.message)
        with self.assertRaises(sf.SparseFlowError) as caught:
            sf.compress(self.weight(32, 48, torch.float16))  # K not a multiple of 32
        self.assertEqual(caught.exception.status, sf.Status.ERROR_K_GRANULARITY)


if __name__ == "__main__":
    unittest.main()
