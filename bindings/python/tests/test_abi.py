"""The binding against sparseflow.h itself: every function declared with argtypes and restype,
enum values, macros and the header struct as the C header has them."""

import ctypes
import os
import re
import unittest

import _support
import sparseflow as sf
from sparseflow import _lib

C_TYPES = {
    "int32_t": ctypes.c_int32, "uint32_t": ctypes.c_uint32, "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
}


def read_header():
    with open(_support.HEADER, encoding="utf-8") as f:
        text = f.read()
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)  # drop comments


@unittest.skipUnless(os.path.exists(_support.HEADER), "sparseflow.h not found")
class HeaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = read_header()

    def test_every_function_is_declared(self):
        declared = re.findall(r"SF_API\s+[\w\s\*]*?\b(sf_\w+)\s*\(([^)]*)\)", self.text)
        names = [name for name, _ in declared]
        self.assertEqual(sorted(names), sorted(_lib.SIGNATURES))
        lib = sf.library()
        for name, parameters in declared:
            function = getattr(lib, name)
            restype, argtypes = _lib.SIGNATURES[name]
            self.assertIs(function.restype, restype, name)
            self.assertEqual(function.argtypes, argtypes, name)
            count = 0 if parameters.strip() == "void" else len(parameters.split(","))
            self.assertEqual(len(argtypes), count, name)

    def enum_values(self, typedef):
        body = re.search(r"enum %s\s*\{(.*?)\}" % typedef, self.text, re.S).group(1)
        return {name: int(value) for name, value in re.findall(r"(SF_\w+)\s*=\s*(\d+)", body)}

    def test_enums(self):
        for typedef, enum, prefix in (("sf_status", sf.Status, "SF_"),
                                      ("sf_dtype", sf.Dtype, "SF_DTYPE_"),
                                      ("sf_memory", sf.Memory, "SF_MEMORY_"),
                                      ("sf_layout", sf.Layout, "SF_LAYOUT_")):
            expected = self.enum_values(typedef)
            mine = {prefix + member.name: int(member) for member in enum}
            self.assertEqual(mine, expected, typedef)

    def test_enum_type_widths(self):
        # Either `typedef int32_t sf_status_t;` (a fixed width) or `typedef enum ... sf_status_t;`
        # (an int in every ABI this library builds for): the binding passes int32.
        for name in ("sf_status_t", "sf_dtype_t", "sf_memory_t", "sf_layout_t"):
            fixed = re.search(r"typedef\s+(\w+)\s+%s\s*;" % name, self.text)
            expected = C_TYPES[fixed.group(1)] if fixed else ctypes.c_int
            self.assertEqual(ctypes.sizeof(_lib._enum_t), ctypes.sizeof(expected), name)
            self.assertTrue(re.search(r"\b%s\b" % name, self.text), name)

    def test_macros(self):
        macros = dict(re.findall(r"#define (SF_\w+) (0x[0-9a-fA-F]+|\d+)u?\b", self.text))
        for name in ("VERSION_MAJOR", "VERSION_MINOR", "VERSION_PATCH", "FORMAT_VERSION",
                     "FORMAT_MAGIC", "K_GRANULARITY", "PRUNE_GRANULARITY"):
            self.assertEqual(getattr(sf, name), int(macros["SF_" + name], 0), name)

    def test_header_struct(self):
        body = re.search(r"typedef struct sf_compressed_header \{(.*?)\}", self.text, re.S).group(1)
        fields = re.findall(r"(\w+)\s+(\w+)(?:\[(\d+)\])?;", body)
        mine = sf.CompressedHeader._fields_
        self.assertEqual(len(mine), len(fields))
        for (name, ctype), (c_type, c_name, count) in zip(mine, fields):
            self.assertEqual(name, c_name)
            expected = C_TYPES[c_type] * int(count) if count else C_TYPES[c_type]
            self.assertEqual(ctypes.sizeof(ctype), ctypes.sizeof(expected), name)
            if not count:
                self.assertIs(ctype, expected, name)
        self.assertEqual(ctypes.sizeof(sf.CompressedHeader), 128)


if __name__ == "__main__":
    unittest.main()
