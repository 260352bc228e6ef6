// Device prune, check, compress and decompress give exactly the host path's bytes.
#include <cstring>

#include "catch_compat.hpp"
#include "gpu_support.hpp"
#include "sparseflow/sparseflow.h"
#include "support.hpp"

namespace {

// 16-bit matrix with special values sprinkled in (zeros of both signs, Inf, NaN, ties).
std::vector<uint16_t> tricky(sf_dtype_t dtype, int64_t rows, int64_t ld, uint64_t seed) {
  auto m = sft::random_matrix(dtype, rows, ld, ld, seed);
  const uint16_t specials[] = {0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3c00, 0x3c00};
  for (size_t i = 0; i < m.size(); i += 5) m[i] = specials[(i / 5) % 7];
  return m;
}

}  // namespace

TEST_CASE("GPU prune is bit-identical to CPU prune", "[gpu][prune]") {
  for (sf_dtype_t dtype : {SF_DTYPE_F16, SF_DTYPE_BF16, SF_DTYPE_F32}) {
    const int64_t rows = 333, cols = 520, ld = 528;
    const size_t es = dtype == SF_DTYPE_F32 ? 4 : 2;
    std::vector<uint8_t> in(static_cast<size_t>(rows * ld) * es);
    if (es == 2) {
      auto m = tricky(dtype, rows, ld, 3);
      std::memcpy(in.data(), m.data(), in.size());
    } else {
      auto m = tricky(SF_DTYPE_BF16, rows, 2 * ld, 4);  // random 32-bit patterns incl. NaN payloads
      std::memcpy(in.data(), m.data(), in.size());
    }
    std::vector<uint8_t> cpu = in;
    REQUIRE(sf_prune(SF_MEMORY_HOST, dtype, rows, cols, in.data(), ld, cpu.data(), ld, nullptr) ==
            SF_SUCCESS);
    sft::DeviceBuffer src(in.size()), dst(in.size());
    src.upload(in.data(), in.size());
    dst.upload(in.data(), in.size());  // padding columns must come back unchanged
    REQUIRE(sf_prune(SF_MEMORY_DEVICE, dtype, rows, cols, src.get(), ld, dst.get(), ld, nullptr) ==
            SF_SUCCESS);
    CHECK(dst.download() == cpu);
    // In place on the device.
    REQUIRE(sf_prune(SF_MEMORY_DEVICE, dtype, rows, cols, src.get(), ld, src.get(), ld, nullptr) ==
            SF_SUCCESS);
    CHECK(src.download() == cpu);
  }
}

TEST_CASE("GPU check, compress and decompress are bit-identical to CPU", "[gpu][compress]") {
  for (sf_dtype_t dtype : {SF_DTYPE_F16, SF_DTYPE_BF16}) {
    for (int64_t rows : {1, 16, 100}) {
      const int64_t cols = 96 + 32 * rows % 64, ld = cols + 8;
      auto m = tricky(dtype, rows, ld, 10 + rows);
      sft::DeviceBuffer src(m.size() * 2);
      src.upload(m.data(), m.size() * 2);
      int64_t cpu_violations = -1, gpu_violations = -2;
      REQUIRE(sf_check_2to4(SF_MEMORY_HOST, dtype, rows, cols, m.data(), ld, &cpu_violations,
                            nullptr) == SF_SUCCESS);
      REQUIRE(sf_check_2to4(SF_MEMORY_DEVICE, dtype, rows, cols, src.get(), ld, &gpu_violations,
                            nullptr) == SF_SUCCESS);
      CHECK(cpu_violations == gpu_violations);
      CHECK(cpu_violations > 0);

      // Not 2:4: refused, and the device buffer keeps its poison.
      size_t bytes = 0;
      REQUIRE(sf_compressed_size(dtype, rows, cols, &bytes) == SF_SUCCESS);
      sft::DeviceBuffer blob(bytes);
      std::vector<uint8_t> poison(bytes, 0xa5);
      blob.upload(poison.data(), bytes);
      CHECK(sf_compress(SF_MEMORY_DEVICE, dtype, rows, cols, src.get(), ld, blob.get(), bytes,
                        nullptr, nullptr) == SF_ERROR_NOT_2TO4);
      CHECK(blob.download() == poison);

      REQUIRE(sf_prune(SF_MEMORY_DEVICE, dtype, rows, cols, src.get(), ld, src.get(), ld, nullptr) ==
              SF_SUCCESS);
      REQUIRE(sf_prune(SF_MEMORY_HOST, dtype, rows, cols, m.data(), ld, m.data(), ld, nullptr) ==
              SF_SUCCESS);
      REQUIRE(sf_check_2to4(SF_MEMORY_DEVICE, dtype, rows, cols, src.get(), ld, &gpu_violations,
                            nullptr) == SF_SUCCESS);
      CHECK(gpu_violations == 0);
      const auto cpu_blob = sft::compress_on_host(dtype, rows, cols, m, ld);
      sf_compressed_header_t header;
      REQUIRE(sf_compress(SF_MEMORY_DEVICE, dtype, rows, cols, src.get(), ld, blob.get(), bytes,
                          &header, nullptr) == SF_SUCCESS);
      CHECK(blob.download() == cpu_blob);
      CHECK(std::memcmp(&header, cpu_blob.data(), sizeof header) == 0);

      std::vector<uint16_t> back(static_cast<size_t>(rows * ld), 0x5555);
      sft::DeviceBuffer out(back.size() * 2);
      out.upload(back.data(), back.size() * 2);
      REQUIRE(sf_decompress(SF_MEMORY_DEVICE, &header, blob.get(), bytes, out.get(), ld, nullptr) ==
              SF_SUCCESS);
      std::vector<uint16_t> expected = back;
      REQUIRE(sf_decompress(SF_MEMORY_HOST, &header, cpu_blob.data(), bytes, expected.data(), ld,
                            nullptr) == SF_SUCCESS);
      const auto got = out.download();
      CHECK(std::memcmp(got.data(), expected.data(), got.size()) == 0);
    }
  }
}
