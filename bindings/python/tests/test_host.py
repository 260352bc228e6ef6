"""The host path of the Python binding: round trips, the pruning rule, buffers, errors."""

import array
import ctypes
import threading
import unittest

import _support  # noqa: F401  (puts bindings/python on sys.path)
import sparseflow as sf
from _support import (bf16_bits, f16_bits, random_bits, random_f16_values, reference_decode,
                      reference_prune, reference_violations)


class VersionTest(unittest.TestCase):
    def test_version(self):
        self.assertEqual(sf.version_number(), sf.VERSION_NUMBER)
        self.assertEqual(sf.version_string(), "%d.%d.%d" % (
            sf.VERSION_MAJOR, sf.VERSION_MINOR, sf.VERSION_PATCH))
        self.assertTrue(sf.build_info().startswith("sparseflow " + sf.version_string()),
                        sf.build_info())
        self.assertIn("format %d" % sf.FORMAT_VERSION, sf.build_info())
        self.assertEqual(sf.__version__, sf.version_string())

    def test_library_is_the_configured_one(self):
        sf.library()
        self.assertIsNotNone(sf.library_path())
        with self.assertRaises(OSError):
            sf.load("/nonexistent/libsparseflow.so")


class RoundTripTest(unittest.TestCase):
    def round_trip(self, bits, rows, cols, dtype):
        before = reference_violations(bits, rows, cols)
        self.assertEqual(sf.check_2to4(bits, rows, cols, dtype=dtype), before)
        self.assertGreater(before, 0, "the test matrix should need pruning")

        pruned = sf.prune(bits, rows, cols, dtype=dtype)
        self.assertIsInstance(pruned, array.array)
        self.assertEqual(pruned.typecode, bits.typecode)
        self.assertEqual(pruned.tobytes(), reference_prune(bits, rows, cols).tobytes())
        self.assertEqual(sf.check_2to4(pruned, rows, cols, dtype=dtype), 0)

        compressed = sf.compress(pruned, rows, cols, dtype=dtype)
        h = compressed.header
        padded = (rows + 15) // 16 * 16
        self.assertEqual((compressed.rows, compressed.cols), (rows, cols))
        self.assertEqual(compressed.shape, (rows, cols))
        self.assertEqual(compressed.dtype, sf.as_dtype(dtype))
        self.assertFalse(compressed.is_cuda)
        self.assertIsNone(compressed.device)
        self.assertEqual(h.magic, sf.FORMAT_MAGIC)
        self.assertEqual(h.format_version, sf.FORMAT_VERSION)
        self.assertEqual(h.header_bytes, 256)
        self.assertEqual(h.padded_rows, padded)
        self.assertEqual(h.values_offset, 256)
        self.assertEqual(h.values_bytes, padded * cols)
        self.assertEqual(h.metadata_offset, 256 + padded * cols)
        self.assertEqual(h.metadata_bytes, padded * cols // 8)
        self.assertEqual(compressed.nbytes, sf.compressed_size(rows, cols, dtype))
        self.assertEqual(compressed.nbytes, h.metadata_offset + h.metadata_bytes)
        self.assertEqual(list(h.reserved), [0] * 6)
        self.assertEqual(compressed.address % 16, 0)
        blob = compressed.to_bytes()
        self.assertEqual(len(blob), compressed.nbytes)
        self.assertEqual(blob[:128], bytes(h))  # the buffer starts with its header
        self.assertEqual(blob[128:256], bytes(128))

        back = sf.decompress(compressed)
        self.assertIsInstance(back, array.array)
        self.assertEqual(back.tobytes(), pruned.tobytes())  # bit-exact
        self.assertEqual(reference_decode(blob, h).tobytes(), pruned.tobytes())

        # A stored buffer loads back and decompresses the same.
        loaded = sf.CompressedMatrix.from_bytes(blob + b"trailing bytes are ignored")
        self.assertEqual(loaded.to_bytes(), blob)
        self.assertEqual(bytes(loaded.header), bytes(h))
        self.assertEqual(sf.decompress(blob).tobytes(), pruned.tobytes())
        self.assertIs(loaded.cpu(), loaded)

    def test_f16_values(self):
        rows, cols = 5, 64
        self.round_trip(random_f16_values(rows * cols, seed=1), rows, cols, "f16")

    def test_f16_random_bits(self):  # NaN, Inf, subnormals, -0
        rows, cols = 19, 96
        self.round_trip(random_bits(rows * cols, seed=2), rows, cols, sf.Dtype.F16)

    def test_bf16(self):
        rows, cols = 17, 32
        bits = array.array("H", (bf16_bits((i * 0.37) % 5 - 2.5) for i in range(rows * cols)))
        self.round_trip(bits, rows, cols, "bfloat16")

    def test_f32_prune_and_check(self):
        rows, cols = 3, 12
        bits = random_bits(rows * cols, seed=3, typecode="I")
        pruned = sf.prune(bits, rows, cols, dtype="f32")
        self.assertEqual(pruned.tobytes(), reference_prune(bits, rows, cols).tobytes())
        self.assertEqual(sf.check_2to4(pruned, rows, cols, dtype="f32"), 0)
        # array('f') carries its dtype; rows follow from the length.
        floats = array.array("f", [float(i % 7) - 3.0 for i in range(rows * cols)])
        pruned = sf.prune(floats, cols=cols)
        self.assertIsInstance(pruned, array.array)
        self.assertEqual(pruned.typecode, "f")
        self.assertEqual(sf.check_2to4(pruned, cols=cols), 0)
        with self.assertRaises(sf.SparseFlowError) as caught:
            sf.compress(pruned, cols=cols)
        self.assertEqual(caught.exception.status, sf.Status.ERROR_UNSUPPORTED_DTYPE)

    def test_ties_nan_and_signed_zero(self):
        groups = [
            (1.0, -1.0, 1.0, -1.0),  # ties: the two lowest columns
            (0.0, -2.0, 3.0, 0.5),
            (float("nan"), float("inf"), -float("inf"), 1.0),  # NaN ranks above +-Inf
            (-0.0, 0.0, 0.0, 0.0),  # all zero: -0 ranks like +0, first two kept
            (0.0, 0.0, 0.0, 7.0),
            (2.0, 2.0, -2.0, 1.0),
            (1e-7, 0.0, -1e-7, 0.0),  # subnormals
            (65504.0, -65504.0, 1.0, 2.0),
        ]
        bits = array.array("H", (f16_bits(v) for g in groups for v in g))
        pruned = sf.prune(bits, 1, 32, dtype="f16")
        self.assertEqual(pruned.tobytes(), reference_prune(bits, 1, 32).tobytes())
        self.assertEqual(pruned[0:4].tolist(), [f16_bits(1.0), f16_bits(-1.0), 0, 0])
        self.assertEqual(pruned[8:12].tolist(), [0x7E00, f16_bits(float("inf")), 0, 0])
        compressed = sf.compress(pruned, 1, 32, dtype="f16")
        self.assertEqual(sf.decompress(compressed).tobytes(), pruned.tobytes())


class BufferTest(unittest.TestCase):
    rows, cols = 4, 32

    def setUp(self):
        self.bits = random_f16_values(self.rows * self.cols, seed=11)
        self.expected = reference_prune(self.bits, self.rows, self.cols).tobytes()

    def test_bytearray_bytes_memoryview(self):
        raw = self.bits.tobytes()
        for source in (bytearray(raw), raw, memoryview(raw), memoryview(bytearray(raw)),
                       memoryview(raw).cast("H", (self.rows, self.cols))):
            out = sf.prune(source, self.rows, self.cols, dtype="f16")
            self.assertIsInstance(out, bytearray)
            self.assertEqual(bytes(out), self.expected, type(source))
        # A 2-D memoryview gives rows and cols.
        out = sf.prune(memoryview(bytearray(raw)).cast("H", (self.rows, self.cols)), dtype="f16")
        self.assertEqual(bytes(out), self.expected)
        # Read-only sources are copied, never written; compress accepts them too.
        compressed = sf.compress(bytes(out), cols=self.cols, dtype="f16")
        self.assertEqual(bytes(sf.decompress(compressed)), self.expected)

    def test_in_place_and_out(self):
        buffer = bytearray(self.bits.tobytes())
        self.assertIs(sf.prune(buffer, cols=self.cols, dtype="f16", out=buffer), buffer)
        self.assertEqual(bytes(buffer), self.expected)
        target = array.array("H", bytes(len(self.expected)))
        self.assertIs(sf.prune(self.bits, cols=self.cols, dtype="f16", out=target), target)
        self.assertEqual(target.tobytes(), self.expected)
        out = bytearray(len(self.expected))
        compressed = sf.compress(target, cols=self.cols, dtype="f16")
        self.assertIs(sf.decompress(compressed, out), out)
        self.assertEqual(bytes(out), self.expected)

    def test_leading_dimensions(self):
        ld = self.cols + 8
        wide = array.array("H", bytes(2 * ((self.rows - 1) * ld + self.cols)))  # last row short
        for r in range(self.rows):
            wide[r * ld:r * ld + self.cols] = self.bits[r * self.cols:(r + 1) * self.cols]
        pruned = sf.prune(wide, cols=self.cols, ld=ld, dtype="f16")  # rows follow from ld
        self.assertEqual(pruned.tobytes(), self.expected)
        out = array.array("H", bytes(2 * self.rows * ld))
        sf.prune(wide, cols=self.cols, ld=ld, dtype="f16", out=out, out_ld=ld)
        self.assertEqual(sf.check_2to4(out, self.rows, self.cols, ld=ld, dtype="f16"), 0)
        compressed = sf.compress(out, self.rows, self.cols, ld=ld, dtype="f16")
        back = array.array("H", bytes(2 * self.rows * ld))
        sf.decompress(compressed, back, out_ld=ld)
        for r in range(self.rows):
            self.assertEqual(back[r * ld:r * ld + self.cols], out[r * ld:r * ld + self.cols])

    def test_python_side_checks(self):
        with self.assertRaises(ValueError):  # too small for 5 rows
            sf.prune(self.bits, 5, self.cols, dtype="f16")
        with self.assertRaises(ValueError):
            sf.prune(self.bits, self.rows, self.cols, dtype="f16",
                     out=bytearray(len(self.expected) - 2))
        with self.assertRaises(TypeError):  # 16-bit items need a dtype
            sf.prune(self.bits, self.rows, self.cols)
        with self.assertRaises(TypeError):  # 2-byte items cannot hold fp32
            sf.prune(self.bits, self.rows, self.cols // 2, dtype="f32")
        with self.assertRaises(TypeError):  # read-only output
            sf.prune(self.bits, self.rows, self.cols, dtype="f16", out=bytes(len(self.expected)))
        with self.assertRaises(TypeError):
            sf.prune(12345, 1, 4, dtype="f16")
        with self.assertRaises(TypeError):
            sf.prune(self.bits, dtype="f16")  # a 1-D buffer needs cols
        with self.assertRaises(ValueError):  # not a whole number of rows
            sf.prune(self.bits[:-1], cols=self.cols, dtype="f16")
        with self.assertRaises(TypeError):
            sf.as_dtype("int8")
        with self.assertRaises(ValueError):  # rows do not match a 2-D buffer
            sf.prune(memoryview(self.bits.tobytes()).cast("H", (self.rows, self.cols)),
                     rows=3, dtype="f16")

    def test_library_side_checks(self):
        # Misaligned: an fp16 matrix starting at an odd address.
        raw = bytearray(2 * self.rows * self.cols + 1)
        with self.assertRaises(sf.SparseFlowError) as caught:
            sf.prune(memoryview(raw)[1:], self.rows, self.cols, dtype="f16")
        self.assertEqual(caught.exception.status, sf.Status.ERROR_MISALIGNED)
        with self.assertRaises(sf.SparseFlowError) as caught:
            sf.prune(self.bits, self.rows, 30, ld=32, dtype="f16")  # 30 is not a multiple of 4
        self.assertEqual(caught.exception.status, sf.Status.ERROR_K_GRANULARITY)
        with self.assertRaises(sf.SparseFlowError) as caught:
            sf.prune(self.bits, self.rows, self.cols, ld=16, dtype="f16")
        self.assertEqual(caught.exception.status, sf.Status.ERROR_LEADING_DIMENSION)
        with self.assertRaises(sf.SparseFlowError) as caught:
            sf.prune(self.bits, 0, self.cols, dtype="f16")
        self.assertEqual(caught.exception.status, sf.Status.ERROR_INVALID_SIZE)
        # Overlapping but different input and output.
        shared = bytearray(self.bits.tobytes() + bytes(8))
        view = memoryview(shared)
        with self.assertRaises(sf.SparseFlowError) as caught:
            sf.prune(view[:-8], self.rows, self.cols, dtype="f16", out=view[8:])
        self.assertEqual(caught.exception.status, sf.Status.ERROR_INVALID_VALUE)


class ErrorTest(unittest.TestCase):
    def test_not_2to4(self):
        bits = random_f16_values(2 * 32, seed=5)
        with self.assertRaises(sf.SparseFlowError) as caught:
            sf.compress(bits, 2, 32, dtype="f16")
        error = caught.exception
        self.assertIsInstance(error, RuntimeError)
        self.assertEqual(error.status, sf.Status.ERROR_NOT_2TO4)
        self.assertEqual(int(error.status), 10)
        self.assertTrue(error.message.startswith("sf_compress: "), error.message)
        self.assertIn("not 2:4", error.message)
        self.assertIn("%d groups" % reference_violations(bits, 2, 32), error.message)
        self.assertEqual(error.status_string, sf.status_string(10))
        self.assertEqual(error.args, (sf.Status.ERROR_NOT_2TO4, error.message))
        self.assertIn("SF_ERROR_NOT_2TO4 = 10", str(error))
        self.assertIn(error.message, str(error))
        # The message was read on this thread right after the call; the next call clears it.
        self.assertEqual(sf.last_error_message(), error.message)
        sf.compressed_size(16, 32)
        self.assertEqual(sf.last_error_message(), "")

    def test_size_query(self):
        self.assertEqual(sf.compressed_size(16, 32), 256 + 16 * 32 + 16 * 32 // 8)
        self.assertEqual(sf.compressed_size(1, 32, "bf16"), sf.compressed_size(16, 32, "f16"))
        self.assertEqual(sf.compressed_size(17, 64), 256 + 32 * 64 + 32 * 64 // 8)
        cases = [((5, 30), sf.Status.ERROR_K_GRANULARITY),
                 ((0, 32), sf.Status.ERROR_INVALID_SIZE),
                 ((-1, 32), sf.Status.ERROR_INVALID_SIZE),
                 ((4, 32, "f32"), sf.Status.ERROR_UNSUPPORTED_DTYPE),
                 ((4, 32, 99), None)]
        for arguments, status in cases:
            if status is None:  # an unknown dtype value is refused by the Python enum
                with self.assertRaises(ValueError):
                    sf.compressed_size(*arguments)
                continue
            with self.assertRaises(sf.SparseFlowError) as caught:
                sf.compressed_size(*arguments)
            self.assertEqual(caught.exception.status, status, arguments)
            self.assertTrue(caught.exception.message.startswith("sf_compressed_size: "))

    def test_status_strings(self):
        for status in sf.Status:
            text = sf.status_string(status)
            self.assertTrue(text and text != "unknown status", status)
        self.assertEqual(sf.status_string(1000), "unknown status")
        error = sf.SparseFlowError(1000, "from the future")
        self.assertEqual(error.status, 1000)
        self.assertIn("status = 1000", str(error))

    def test_raw_ctypes_calls(self):
        lib = sf.library()
        status = lib.sf_prune(sf.Memory.HOST, sf.Dtype.F16, 1, 4, None, 4, None, 4, None)
        self.assertEqual(status, sf.Status.ERROR_NULL_POINTER)
        self.assertIn("src is NULL", lib.sf_last_error_message().decode())
        status = lib.sf_prune(7, sf.Dtype.F16, 1, 4, None, 4, None, 4, None)
        self.assertEqual(status, sf.Status.ERROR_INVALID_VALUE)
        size = ctypes.c_size_t()
        self.assertEqual(lib.sf_compressed_size(sf.Dtype.F16, 16, 32, ctypes.byref(size)), 0)
        self.assertEqual(lib.sf_last_error_message(), b"")
        self.assertEqual(size.value, 256 + 512 + 64)
        # sf_gemm needs device memory: with host pointers it must fail cleanly, whatever the
        # machine (no GPU: SF_ERROR_NO_DEVICE; a GPU: host pointers are not device pointers).
        compressed = sf.compress(bytearray(2 * 16 * 32), 16, 32, dtype="f16")
        x = bytearray(2 * 32)
        y = bytearray(2 * 16)
        status = lib.sf_gemm(sf.Layout.LINEAR, 1, 1.0, ctypes.byref(compressed.header),
                             compressed.address, compressed.nbytes,
                             ctypes.addressof((ctypes.c_char * len(x)).from_buffer(x)), 32, 0.0,
                             None, 16, None, sf.Dtype.F16,
                             ctypes.addressof((ctypes.c_char * len(y)).from_buffer(y)), 16, None)
        self.assertIn(status, (sf.Status.ERROR_NO_DEVICE, sf.Status.ERROR_INVALID_VALUE,
                               sf.Status.ERROR_UNSUPPORTED_DEVICE))
        self.assertTrue(lib.sf_last_error_message().startswith(b"sf_gemm: "))
        status = lib.sf_gemm(9, 1, 1.0, ctypes.byref(compressed.header), compressed.address,
                             compressed.nbytes, None, 32, 0.0, None, 16, None, sf.Dtype.F16,
                             None, 16, None)
        self.assertNotEqual(status, 0)

    def test_bad_stored_buffers(self):
        bits = reference_prune(random_f16_values(16 * 32, seed=9), 16, 32)
        blob = bytearray(sf.compress(bits, 16, 32, dtype="f16").to_bytes())
        broken = bytearray(blob)
        broken[0] ^= 0xFF
        with self.assertRaises(sf.SparseFlowError) as caught:
            sf.CompressedMatrix.from_bytes(broken)
        self.assertEqual(caught.exception.status, sf.Status.ERROR_BAD_HEADER)
        broken = bytearray(blob)
        broken[4] = 2  # format version 2
        with self.assertRaises(sf.SparseFlowError) as caught:
            sf.decompress(bytes(broken))
        self.assertEqual(caught.exception.status, sf.Status.ERROR_FORMAT_VERSION)
        with self.assertRaises(ValueError):
            sf.CompressedMatrix.from_bytes(blob[:-1])  # shorter than total_bytes
        with self.assertRaises(ValueError):
            sf.CompressedMatrix.from_bytes(blob[:100])  # shorter than a header

    def test_messages_are_per_thread(self):
        failures = []

        def worker(index):
            try:
                for _ in range(200):
                    try:
                        sf.compressed_size(index + 1, 30 + 4 * index)  # never a multiple of 32
                    except sf.SparseFlowError as error:
                        if "%d is not a multiple of 32" % (30 + 4 * index) not in error.message:
                            failures.append(error.message)
                    else:
                        failures.append("no error")
                    self.assertEqual(sf.compressed_size(16, 32), 832)
            except Exception as error:  # pragma: no cover
                failures.append(repr(error))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(failures, [])


class NumpyTest(unittest.TestCase):
    def setUp(self):
        try:
            import numpy
        except ImportError:
            self.skipTest("numpy is not installed (optional)")
        self.np = numpy

    def test_round_trip(self):
        np = self.np
        rng = np.random.default_rng(0)
        weight = rng.standard_normal((24, 64)).astype(np.float16)
        pruned = sf.prune(weight)
        self.assertIsInstance(pruned, np.ndarray)
        self.assertEqual(pruned.shape, weight.shape)
        self.assertEqual(pruned.dtype, np.float16)
        bits = array.array("H", weight.tobytes())
        self.assertEqual(pruned.tobytes(), reference_prune(bits, 24, 64).tobytes())
        self.assertEqual(sf.check_2to4(pruned), 0)
        compressed = sf.compress(pruned)
        out = np.empty_like(pruned)
        sf.decompress(compressed, out)
        self.assertEqual(out.tobytes(), pruned.tobytes())
        # A column slice: rows with a stride.
        wide = np.zeros((24, 96), dtype=np.float16)
        wide[:, :64] = weight
        self.assertEqual(sf.prune(wide[:, :64]).tobytes(), pruned.tobytes())
        # uint16 bit patterns need a dtype; float32 carries its own.
        with self.assertRaises(TypeError):
            sf.prune(weight.view(np.uint16))
        self.assertEqual(sf.prune(weight.view(np.uint16), dtype="f16").tobytes(),
                         pruned.tobytes())
        self.assertEqual(sf.check_2to4(sf.prune(weight.astype(np.float32))), 0)
        with self.assertRaises(ValueError):
            sf.prune(np.asfortranarray(weight))


if __name__ == "__main__":
    unittest.main()
