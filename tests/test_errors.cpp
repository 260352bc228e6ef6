// Every documented refusal: the distinct status, a message naming the problem, and no write to
// any output. Device-memory calls need a GPU; without one they must say SF_ERROR_NO_DEVICE.
#include <cuda_runtime_api.h>

#include <cstring>
#include <set>
#include <string>

#include "catch_compat.hpp"
#include "sparseflow/sparseflow.h"
#include "support.hpp"

namespace {

bool gpu_present() {
  int count = 0;
  const bool ok = cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
  cudaGetLastError();
  return ok;
}

// Calls `call`, expects `status` and a message containing `needle`.
template <typename Call>
void expect_error(sf_status_t status, const char *needle, Call &&call) {
  const sf_status_t got = call();
  const std::string message = sf_last_error_message();
  INFO("status " << got << " (" << sf_status_string(got) << "), message: " << message);
  CHECK(got == status);
  CHECK(message.find(needle) != std::string::npos);
}

constexpr int64_t kRows = 16, kCols = 64;

struct Fixture {
  std::vector<uint16_t> src = sft::random_matrix(SF_DTYPE_F16, kRows, kCols, kCols, 1);
  std::vector<uint16_t> dst = std::vector<uint16_t>(kRows * kCols, 0xa5a5);
  std::vector<uint8_t> blob;
  sf_compressed_header_t header{};
  Fixture() {
    REQUIRE(sf_prune(SF_MEMORY_HOST, SF_DTYPE_F16, kRows, kCols, src.data(), kCols, src.data(),
                     kCols, nullptr) == SF_SUCCESS);
    blob = sft::compress_on_host(SF_DTYPE_F16, kRows, kCols, src, kCols);
    std::memcpy(&header, blob.data(), sizeof header);
  }
  bool dst_untouched() const {
    for (uint16_t v : dst)
      if (v != 0xa5a5) return false;
    return true;
  }
};

}  // namespace

TEST_CASE("prune and check refuse bad arguments without writing", "[errors]") {
  Fixture f;
  const void *s = f.src.data();
  void *d = f.dst.data();
  expect_error(SF_ERROR_NULL_POINTER, "src", [&] {
    return sf_prune(SF_MEMORY_HOST, SF_DTYPE_F16, kRows, kCols, nullptr, kCols, d, kCols, nullptr);
  });
  expect_error(SF_ERROR_NULL_POINTER, "dst", [&] {
    return sf_prune(SF_MEMORY_HOST, SF_DTYPE_F16, kRows, kCols, s, kCols, nullptr, kCols, nullptr);
  });
  expect_error(SF_ERROR_INVALID_SIZE, "rows", [&] {
    return sf_prune(SF_MEMORY_HOST, SF_DTYPE_F16, 0, kCols, s, kCols, d, kCols, nullptr);
  });
  expect_error(SF_ERROR_INVALID_SIZE, "cols", [&] {
    return sf_prune(SF_MEMORY_HOST, SF_DTYPE_F16, kRows, -4, s, kCols, d, kCols, nullptr);
  });
  expect_error(SF_ERROR_K_GRANULARITY, "multiple of 4", [&] {
    return sf_prune(SF_MEMORY_HOST, SF_DTYPE_F16, kRows, 6, s, kCols, d, kCols, nullptr);
  });
  expect_error(SF_ERROR_LEADING_DIMENSION, "ld_src", [&] {
    return sf_prune(SF_MEMORY_HOST, SF_DTYPE_F16, kRows, kCols, s, kCols - 4, d, kCols, nullptr);
  });
  expect_error(SF_ERROR_LEADING_DIMENSION, "ld_dst", [&] {
    return sf_prune(SF_MEMORY_HOST, SF_DTYPE_F16, kRows, kCols, s, kCols, d, 1, nullptr);
  });
  expect_error(SF_ERROR_MISALIGNED, "src", [&] {
    return sf_prune(SF_MEMORY_HOST, SF_DTYPE_F16, 1, 8, static_cast<const char *>(s) + 1, kCols, d,
                    kCols, nullptr);
  });
  expect_error(SF_ERROR_UNSUPPORTED_DTYPE, "dtype", [&] {
    return sf_prune(SF_MEMORY_HOST, static_cast<sf_dtype_t>(99), kRows, kCols, s, kCols, d, kCols,
                    nullptr);
  });
  expect_error(SF_ERROR_INVALID_VALUE, "memory", [&] {
    return sf_prune(static_cast<sf_memory_t>(0), SF_DTYPE_F16, kRows, kCols, s, kCols, d, kCols,
                    nullptr);
  });
  expect_error(SF_ERROR_INVALID_VALUE, "overlap", [&] {
    return sf_prune(SF_MEMORY_HOST, SF_DTYPE_F16, 4, 8, d, 8, static_cast<uint16_t *>(d) + 4, 8,
                    nullptr);
  });
  expect_error(SF_ERROR_INVALID_VALUE, "in-place", [&] {
    return sf_prune(SF_MEMORY_HOST, SF_DTYPE_F16, 2, 8, d, 8, d, 16, nullptr);
  });
  int64_t violations = -7;
  expect_error(SF_ERROR_NULL_POINTER, "violations", [&] {
    return sf_check_2to4(SF_MEMORY_HOST, SF_DTYPE_F16, kRows, kCols, s, kCols, nullptr, nullptr);
  });
  expect_error(SF_ERROR_K_GRANULARITY, "multiple of 4", [&] {
    return sf_check_2to4(SF_MEMORY_HOST, SF_DTYPE_F16, kRows, 10, s, kCols, &violations, nullptr);
  });
  CHECK(violations == -7);
  CHECK(f.dst_untouched());
}

TEST_CASE("compress, size and decompress refuse bad arguments without writing", "[errors]") {
  Fixture f;
  std::vector<uint8_t> out(f.blob.size() + 64, 0xa5);
  size_t bytes = 12345;
  expect_error(SF_ERROR_UNSUPPORTED_DTYPE, "F32", [&] {
    return sf_compressed_size(SF_DTYPE_F32, kRows, kCols, &bytes);
  });
  expect_error(SF_ERROR_K_GRANULARITY, "multiple of 32", [&] {
    return sf_compressed_size(SF_DTYPE_F16, kRows, 48, &bytes);
  });
  expect_error(SF_ERROR_NULL_POINTER, "bytes", [&] {
    return sf_compressed_size(SF_DTYPE_F16, kRows, kCols, nullptr);
  });
  CHECK(bytes == 12345);
  expect_error(SF_ERROR_MISALIGNED, "dst", [&] {
    return sf_compress(SF_MEMORY_HOST, SF_DTYPE_F16, kRows, kCols, f.src.data(), kCols,
                       out.data() + 8, f.blob.size(), nullptr, nullptr);
  });
  expect_error(SF_ERROR_BUFFER_SIZE, "dst_bytes", [&] {
    return sf_compress(SF_MEMORY_HOST, SF_DTYPE_F16, kRows, kCols, f.src.data(), kCols, out.data(),
                       f.blob.size() - 1, nullptr, nullptr);
  });
  expect_error(SF_ERROR_K_GRANULARITY, "multiple of 32", [&] {
    return sf_compress(SF_MEMORY_HOST, SF_DTYPE_F16, kRows, 36, f.src.data(), kCols, out.data(),
                       out.size(), nullptr, nullptr);
  });
  for (uint8_t b : out) REQUIRE(b == 0xa5);

  void *d = f.dst.data();
  sf_compressed_header_t h = f.header;
  h.format_version = SF_FORMAT_VERSION + 1;
  expect_error(SF_ERROR_FORMAT_VERSION, "format version", [&] {
    return sf_decompress(SF_MEMORY_HOST, &h, f.blob.data(), f.blob.size(), d, kCols, nullptr);
  });
  h = f.header;
  h.magic = 0x12345678u;
  expect_error(SF_ERROR_BAD_HEADER, "magic", [&] {
    return sf_decompress(SF_MEMORY_HOST, &h, f.blob.data(), f.blob.size(), d, kCols, nullptr);
  });
  h = f.header;
  h.total_bytes += 256;
  expect_error(SF_ERROR_BUFFER_SIZE, "total_bytes", [&] {
    return sf_decompress(SF_MEMORY_HOST, &h, f.blob.data(), f.blob.size(), d, kCols, nullptr);
  });
  h = f.header;
  h.values_bytes /= 2;
  expect_error(SF_ERROR_BAD_HEADER, "do not match", [&] {
    return sf_decompress(SF_MEMORY_HOST, &h, f.blob.data(), f.blob.size(), d, kCols, nullptr);
  });
  expect_error(SF_ERROR_BUFFER_SIZE, "src_bytes", [&] {
    return sf_decompress(SF_MEMORY_HOST, &f.header, f.blob.data(), f.blob.size() - 1, d, kCols,
                         nullptr);
  });
  expect_error(SF_ERROR_LEADING_DIMENSION, "ld_dst", [&] {
    return sf_decompress(SF_MEMORY_HOST, &f.header, f.blob.data(), f.blob.size(), d, kCols - 1,
                         nullptr);
  });
  expect_error(SF_ERROR_NULL_POINTER, "header", [&] {
    return sf_decompress(SF_MEMORY_HOST, nullptr, f.blob.data(), f.blob.size(), d, kCols, nullptr);
  });
  CHECK(sf_compressed_validate(&f.header) == SF_SUCCESS);
  CHECK(f.dst_untouched());
}

TEST_CASE("gemm refuses bad arguments before touching the device", "[errors]") {
  Fixture f;
  const int64_t n = 4;
  std::vector<uint16_t> x(n * kCols, 0x3c00), y(n * kRows, 0xa5a5);
  const void *a = f.blob.data();
  const size_t a_bytes = f.blob.size();
  auto gemm = [&](sf_layout_t layout, int64_t nn, const sf_compressed_header_t *h, const void *aa,
                  size_t ab, const void *b, int64_t ldb, float beta, const void *c,
                  sf_dtype_t out, void *d, int64_t ldd) {
    return sf_gemm(layout, nn, 1.f, h, aa, ab, b, ldb, beta, c, ldd, nullptr, out, d, ldd, nullptr);
  };
  const auto L = SF_LAYOUT_LINEAR;
  expect_error(SF_ERROR_UNSUPPORTED_LAYOUT, "layout", [&] {
    return gemm(static_cast<sf_layout_t>(5), n, &f.header, a, a_bytes, x.data(), kCols, 0, nullptr,
                SF_DTYPE_F16, y.data(), kRows);
  });
  expect_error(SF_ERROR_INVALID_SIZE, "n must be", [&] {
    return gemm(L, 0, &f.header, a, a_bytes, x.data(), kCols, 0, nullptr, SF_DTYPE_F16, y.data(), kRows);
  });
  sf_compressed_header_t old = f.header;
  old.format_version = 0;
  expect_error(SF_ERROR_FORMAT_VERSION, "format version", [&] {
    return gemm(L, n, &old, a, a_bytes, x.data(), kCols, 0, nullptr, SF_DTYPE_F16, y.data(), kRows);
  });
  expect_error(SF_ERROR_UNSUPPORTED_DTYPE, "dtype", [&] {
    return gemm(L, n, &f.header, a, a_bytes, x.data(), kCols, 0, nullptr, static_cast<sf_dtype_t>(7),
                y.data(), kRows);
  });
  expect_error(SF_ERROR_NULL_POINTER, "b is NULL", [&] {
    return gemm(L, n, &f.header, a, a_bytes, nullptr, kCols, 0, nullptr, SF_DTYPE_F16, y.data(), kRows);
  });
  expect_error(SF_ERROR_NULL_POINTER, "c (beta != 0)", [&] {
    return gemm(L, n, &f.header, a, a_bytes, x.data(), kCols, 1.f, nullptr, SF_DTYPE_F16, y.data(),
                kRows);
  });
  expect_error(SF_ERROR_BUFFER_SIZE, "a_bytes", [&] {
    return gemm(L, n, &f.header, a, a_bytes - 1, x.data(), kCols, 0, nullptr, SF_DTYPE_F16, y.data(),
                kRows);
  });
  expect_error(SF_ERROR_LEADING_DIMENSION, "ldb", [&] {
    return gemm(L, n, &f.header, a, a_bytes, x.data(), kCols - 1, 0, nullptr, SF_DTYPE_F16, y.data(),
                kRows);
  });
  expect_error(SF_ERROR_LEADING_DIMENSION, "ldd", [&] {
    return gemm(SF_LAYOUT_ROW_MAJOR, n, &f.header, a, a_bytes, x.data(), n, 0, nullptr, SF_DTYPE_F16,
                y.data(), n - 1);
  });
  expect_error(SF_ERROR_MISALIGNED, "a (", [&] {
    return gemm(L, n, &f.header, static_cast<const uint8_t *>(a) + 2, a_bytes, x.data(), kCols, 0,
                nullptr, SF_DTYPE_F16, y.data(), kRows);
  });
  expect_error(SF_ERROR_MISALIGNED, "d (", [&] {
    return gemm(L, n, &f.header, a, a_bytes, x.data(), kCols, 0, nullptr, SF_DTYPE_F32,
                reinterpret_cast<uint8_t *>(y.data()) + 2, kRows);
  });
  if (gpu_present()) {
    expect_error(SF_ERROR_INVALID_VALUE, "host memory", [&] {
      return gemm(L, n, &f.header, a, a_bytes, x.data(), kCols, 0, nullptr, SF_DTYPE_F16, y.data(), kRows);
    });
  } else {
    expect_error(SF_ERROR_NO_DEVICE, "no usable CUDA device", [&] {
      return gemm(L, n, &f.header, a, a_bytes, x.data(), kCols, 0, nullptr, SF_DTYPE_F16, y.data(), kRows);
    });
    expect_error(SF_ERROR_NO_DEVICE, "no usable CUDA device", [&] {
      return sf_prune(SF_MEMORY_DEVICE, SF_DTYPE_F16, kRows, kCols, f.src.data(), kCols, f.dst.data(),
                      kCols, nullptr);
    });
  }
  for (uint16_t v : y) REQUIRE(v == 0xa5a5);
  CHECK(f.dst_untouched());
}

TEST_CASE("status strings are distinct and the message clears on success", "[errors]") {
  std::set<std::string> seen;
  for (int s = SF_SUCCESS; s <= SF_ERROR_INTERNAL; ++s) {
    const std::string text = sf_status_string(static_cast<sf_status_t>(s));
    CHECK(text != "unknown status");
    CHECK(seen.insert(text).second);
  }
  CHECK(std::string(sf_status_string(static_cast<sf_status_t>(1000))) == "unknown status");
  size_t bytes = 0;
  CHECK(sf_compressed_size(SF_DTYPE_F16, 0, 32, &bytes) == SF_ERROR_INVALID_SIZE);
  CHECK(std::string(sf_last_error_message()).rfind("sf_compressed_size: ", 0) == 0);
  CHECK(sf_compressed_size(SF_DTYPE_F16, 1, 32, &bytes) == SF_SUCCESS);
  CHECK(std::string(sf_last_error_message()).empty());
}

TEST_CASE("version queries agree with the header", "[version]") {
  CHECK(sf_version_number() == SF_VERSION_NUMBER);
  CHECK(std::string(sf_version_string()) == "0.1.0");
  const std::string info = sf_build_info();
  CHECK(info.rfind("sparseflow 0.1.0 git ", 0) == 0);
  CHECK(info.find(" archs ") != std::string::npos);
  CHECK(info.size() > 9);
  CHECK(info.substr(info.size() - 9) == " format 1");
}
