"""Shared by the tests: makes `import sparseflow` find bindings/python, and pure-Python
references of the 2:4 rules and of the compressed format (README.md, "Compressed format")."""

import array
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BINDING_DIR = os.path.dirname(HERE)
if BINDING_DIR not in sys.path:
    sys.path.insert(0, BINDING_DIR)

HEADER = os.path.join(
    os.environ.get("SPARSEFLOW_INCLUDE_DIR")
    or os.path.join(BINDING_DIR, os.pardir, os.pardir, "include"),
    "sparseflow", "sparseflow.h")


def require_cuda_tests():
    """SF_REQUIRE_CUDA_TESTS=1 turns the CUDA tests' skips into failures (for the GPU machine)."""
    return os.environ.get("SF_REQUIRE_CUDA_TESTS", "") not in ("", "0")


def f16_bits(value):
    return struct.unpack("<H", struct.pack("<e", value))[0]


def bf16_bits(value):
    """bfloat16 bits of a float32 value (truncated; the tests only need some bf16 pattern)."""
    return struct.unpack("<I", struct.pack("<f", value))[0] >> 16


def random_f16_values(count, seed, zero_every=5):
    """fp16 bit patterns of random values in [-8, 8], with exact zeros, -0 and ties."""
    rng = random.Random(seed)
    bits = array.array("H")
    for i in range(count):
        if i % zero_every == 0:
            bits.append(0x8000 if i % 2 else 0)
        elif i % 7 == 3:
            bits.append(f16_bits(1.5) | (0x8000 if rng.random() < 0.5 else 0))  # ties
        else:
            bits.append(f16_bits(rng.uniform(-8.0, 8.0)))
    return bits


def random_bits(count, seed, typecode="H"):
    """Uniformly random bit patterns: NaN, Inf, subnormals and -0 included."""
    rng = random.Random(seed)
    out = array.array(typecode)
    bits = out.itemsize * 8
    out.extend(rng.getrandbits(bits) for _ in range(count))
    return out


def magnitude(bits, itemsize):
    return bits & (0x7FFF if itemsize == 2 else 0x7FFFFFFF)


def reference_prune(bits, rows, cols, ld=None):
    """2:4 pruning on bit patterns: keep the 2 largest |bits| of each group of 4 (ties to the
    lower column), the others become +0. Returns a dense rows x cols array."""
    ld = cols if ld is None else ld
    out = array.array(bits.typecode, bytes(rows * cols * bits.itemsize))
    for r in range(rows):
        for g in range(0, cols, 4):
            group = [bits[r * ld + g + i] for i in range(4)]
            order = sorted(range(4), key=lambda i: (-magnitude(group[i], bits.itemsize), i))
            for i in order[:2]:
                out[r * cols + g + i] = group[i]
    return out


def reference_violations(bits, rows, cols):
    count = 0
    for r in range(rows):
        for g in range(0, cols, 4):
            nonzero = sum(1 for i in range(4) if magnitude(bits[r * cols + g + i], bits.itemsize))
            count += nonzero > 2
    return count


def reference_decode(blob, header):
    """Decodes a compressed fp16/bf16 buffer following README.md's format description."""
    rows, cols = header.rows, header.cols
    values = array.array("H")
    values.frombytes(bytes(blob[header.values_offset:header.values_offset + header.values_bytes]))
    metadata = array.array("I")
    assert metadata.itemsize == 4
    metadata.frombytes(
        bytes(blob[header.metadata_offset:header.metadata_offset + header.metadata_bytes]))
    out = array.array("H", bytes(rows * cols * 2))
    for r in range(rows):
        for g in range(cols // 4):
            word = ((r // 16) * (cols // 32) + g // 8) * 16 + 2 * (r % 8) + (g % 8) // 4
            bit = 16 * ((r % 16) // 8) + 4 * (g % 4)
            nibble = (metadata[word] >> bit) & 0xF
            first, second = nibble & 3, nibble >> 2
            assert first < second, "metadata of row %d group %d is %x" % (r, g, nibble)
            out[r * cols + 4 * g + first] = values[r * (cols // 2) + 2 * g]
            out[r * cols + 4 * g + second] = values[r * (cols // 2) + 2 * g + 1]
    return out
