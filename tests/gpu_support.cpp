#include "gpu_support.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "../src/parallel.hpp"
#include "support.hpp"

namespace sft {

void cuda_check(cudaError_t status, const char *what) {
  if (status != cudaSuccess)
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

void sf_check(sf_status_t status, const char *what) {
  if (status != SF_SUCCESS)
    throw std::runtime_error(std::string(what) + ": " + sf_status_string(status) + ": " +
                             sf_last_error_message());
}

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  SFT_CUDA(cudaMalloc(&pointer_, std::max<size_t>(bytes, 1)));
}
DeviceBuffer::~DeviceBuffer() { cudaFree(pointer_); }

void DeviceBuffer::upload(const void *host, size_t bytes, cudaStream_t stream) {
  SFT_CUDA(cudaMemcpyAsync(pointer_, host, bytes, cudaMemcpyHostToDevice, stream));
  SFT_CUDA(cudaStreamSynchronize(stream));
}

std::vector<uint8_t> DeviceBuffer::download(cudaStream_t stream) const {
  std::vector<uint8_t> host(bytes_);
  SFT_CUDA(cudaMemcpyAsync(host.data(), pointer_, bytes_, cudaMemcpyDeviceToHost, stream));
  SFT_CUDA(cudaStreamSynchronize(stream));
  return host;
}

double error_bound(sf_dtype_t output) {
  switch (output) {
    case SF_DTYPE_F16: return 4.0 / 2048;  // fp16 rounds to 2^-11 relative
    case SF_DTYPE_BF16: return 4.0 / 256;  // bf16 rounds to 2^-8 relative
    default: return 1e-4;                  // fp32 output: only accumulation order differs
  }
}

std::string GemmOutcome::describe() const {
  std::ostringstream s;
  s << "max|err| " << error.max_abs_error << " max|ref| " << error.max_abs_ref << " relative "
    << error.relative() << " (bound " << bound << ")" << (error.non_finite ? " NON-FINITE" : "")
    << (padding_untouched ? "" : " PADDING WRITTEN");
  return s.str();
}

namespace {

size_t element_size(sf_dtype_t dtype) { return dtype == SF_DTYPE_F32 ? 4 : 2; }

// Random values of `dtype` as raw bytes, plus the exact floats they hold.
struct HostMatrix {
  std::vector<uint8_t> bytes;
  std::vector<float> values;  // [rows][cols], no padding
};

// Uniform in [-1, 1) from a counter-based hash (splitmix64), so rows can be filled in parallel.
float hashed_uniform(uint64_t seed, uint64_t index) {
  uint64_t z = seed * 0x9e3779b97f4a7c15ull + index + 0x632be59bd9b4e019ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

HostMatrix random_operand(sf_dtype_t dtype, int64_t rows, int64_t cols, int64_t ld, uint64_t seed) {
  const size_t es = element_size(dtype);
  HostMatrix h;
  h.bytes.assign(static_cast<size_t>(rows * ld) * es, 0xee);
  h.values.resize(static_cast<size_t>(rows * cols));
  sparseflow::parallel_for(rows, cols, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        const float v = hashed_uniform(seed, static_cast<uint64_t>(r * cols + c));
        uint8_t *dst = h.bytes.data() + static_cast<size_t>(r * ld + c) * es;
        float stored = v;
        if (dtype == SF_DTYPE_F32) {
          std::memcpy(dst, &v, 4);
        } else {
          const uint16_t bits = float_to_bits(dtype, v);
          std::memcpy(dst, &bits, 2);
          stored = bits_to_float(dtype, bits);
        }
        h.values[static_cast<size_t>(r * cols + c)] = stored;
      }
  });
  return h;
}

double read_element(sf_dtype_t dtype, const uint8_t *p) {
  if (dtype == SF_DTYPE_F32) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return bits_to_float(dtype, bits);
}

std::vector<int64_t> checked_columns(int64_t n, int64_t max_columns, uint64_t seed) {
  std::vector<int64_t> columns;
  if (n <= max_columns) {
    for (int64_t j = 0; j < n; ++j) columns.push_back(j);
    return columns;
  }
  columns = {0, n - 1};
  for (uint64_t i = 0; static_cast<int64_t>(columns.size()) < max_columns; ++i)
    columns.push_back(static_cast<int64_t>((hashed_uniform(seed, i) + 1.0f) * 0.5f * static_cast<float>(n - 1)));
  std::sort(columns.begin(), columns.end());
  columns.erase(std::unique(columns.begin(), columns.end()), columns.end());
  return columns;
}

}  // namespace

PreparedA prepare_a(sf_dtype_t dtype, int64_t m, int64_t k, uint64_t seed) {
  HostMatrix a = random_operand(dtype, m, k, k, seed);
  sf_check(sf_prune(SF_MEMORY_HOST, dtype, m, k, a.bytes.data(), k, a.bytes.data(), k, nullptr),
           "sf_prune");
  PreparedA prepared{dtype, m, k, {}, {}, std::move(a.values)};
  const auto *bits = reinterpret_cast<const uint16_t *>(a.bytes.data());
  sparseflow::parallel_for(m, k, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin * k; i < end * k; ++i)
      prepared.values[static_cast<size_t>(i)] = bits_to_float(dtype, bits[i]);
  });
  size_t bytes = 0;
  sf_check(sf_compressed_size(dtype, m, k, &bytes), "sf_compressed_size");
  prepared.blob.resize(bytes);
  sf_check(sf_compress(SF_MEMORY_HOST, dtype, m, k, a.bytes.data(), k, prepared.blob.data(), bytes,
                       &prepared.header, nullptr),
           "sf_compress");
  return prepared;
}

GemmOutcome run_gemm_case(const GemmCase &gc, cudaStream_t stream) {
  return run_gemm_case(gc, prepare_a(gc.input, gc.m, gc.k, gc.seed), stream);
}

GemmOutcome run_gemm_case(const GemmCase &gc, const PreparedA &a, cudaStream_t stream) {
  if (a.dtype != gc.input || a.m != gc.m || a.k != gc.k)
    throw std::logic_error("run_gemm_case: the prepared A does not match the case");
  const bool linear = gc.layout == SF_LAYOUT_LINEAR;
  const size_t out_size = element_size(gc.output);
  const size_t a_bytes = a.blob.size();
  const sf_compressed_header_t &header = a.header;

  // B in its layout, and its transpose [n][k] as floats for the reference.
  const int64_t b_rows = linear ? gc.n : gc.k, b_cols = linear ? gc.k : gc.n;
  const int64_t ldb = b_cols + gc.ldb_extra;
  HostMatrix b = random_operand(gc.input, b_rows, b_cols, ldb, gc.seed + 1);
  std::vector<float> bt(static_cast<size_t>(gc.n * gc.k));
  for (int64_t j = 0; j < gc.n; ++j)
    for (int64_t kk = 0; kk < gc.k; ++kk)
      bt[static_cast<size_t>(j * gc.k + kk)] =
          linear ? b.values[static_cast<size_t>(j * gc.k + kk)] : b.values[static_cast<size_t>(kk * gc.n + j)];

  // D (and C, which shares D's layout), poisoned with NaN bytes.
  const int64_t d_rows = linear ? gc.n : gc.m, d_cols = linear ? gc.m : gc.n;
  const int64_t ldd = d_cols + gc.ldd_extra;
  const size_t d_bytes = static_cast<size_t>(d_rows * ldd) * out_size;
  HostMatrix c = random_operand(gc.output, d_rows, d_cols, ldd, gc.seed + 2);
  std::vector<float> c_nm(static_cast<size_t>(gc.n * gc.m));  // [n][m] for the reference
  for (int64_t r = 0; r < d_rows; ++r)
    for (int64_t col = 0; col < d_cols; ++col) {
      const int64_t row_m = linear ? col : r, col_n = linear ? r : col;
      c_nm[static_cast<size_t>(col_n * gc.m + row_m)] = c.values[static_cast<size_t>(r * d_cols + col)];
    }
  HostMatrix bias = random_operand(gc.output, 1, gc.m, gc.m, gc.seed + 3);

  DeviceBuffer a_dev(a_bytes), b_dev(b.bytes.size()), d_dev(d_bytes), c_dev(d_bytes),
      bias_dev(bias.bytes.size());
  a_dev.upload(a.blob.data(), a_bytes, stream);
  b_dev.upload(b.bytes.data(), b.bytes.size(), stream);
  bias_dev.upload(bias.bytes.data(), bias.bytes.size(), stream);
  std::vector<uint8_t> poison(d_bytes, 0xff);
  const uint8_t *c_pointer = nullptr;
  if (gc.beta != 0.f) {
    // In place: D starts as C, and its padding keeps the poison.
    std::vector<uint8_t> initial = c.bytes;
    for (int64_t r = 0; r < d_rows; ++r)
      std::memset(initial.data() + static_cast<size_t>(r * ldd + d_cols) * out_size, 0xff,
                  static_cast<size_t>(gc.ldd_extra) * out_size);
    if (gc.c_is_d) {
      d_dev.upload(initial.data(), d_bytes, stream);
      c_pointer = static_cast<const uint8_t *>(d_dev.get());
    } else {
      c_dev.upload(initial.data(), d_bytes, stream);
      d_dev.upload(poison.data(), d_bytes, stream);
      c_pointer = static_cast<const uint8_t *>(c_dev.get());
    }
  } else {
    d_dev.upload(poison.data(), d_bytes, stream);
  }

  sf_check(sf_gemm(gc.layout, gc.n, gc.alpha, &header, a_dev.get(), a_bytes, b_dev.get(), ldb,
                   gc.beta, c_pointer, ldd, gc.bias ? bias_dev.get() : nullptr, gc.output,
                   d_dev.get(), ldd, reinterpret_cast<sf_stream_t>(stream)),
           "sf_gemm");
  SFT_CUDA(cudaGetLastError());
  GemmOutcome outcome;
  outcome.d = d_dev.download(stream);
  outcome.bound = error_bound(gc.output);

  const auto columns = checked_columns(gc.n, gc.max_checked_columns, gc.seed + 4);
  ReferenceProblem p;
  p.m = gc.m;
  p.n = gc.n;
  p.k = gc.k;
  p.a = a.values.data();
  p.bt = bt.data();
  p.alpha = gc.alpha;
  p.beta = gc.beta;
  p.c = c_nm.data();
  p.bias = gc.bias ? bias.values.data() : nullptr;
  const auto ref = dense_reference(p, columns);
  std::vector<double> got(ref.size());
  for (size_t j = 0; j < columns.size(); ++j)
    for (int64_t row = 0; row < gc.m; ++row) {
      const int64_t offset = linear ? columns[j] * ldd + row : row * ldd + columns[j];
      got[j * static_cast<size_t>(gc.m) + static_cast<size_t>(row)] =
          read_element(gc.output, outcome.d.data() + static_cast<size_t>(offset) * out_size);
    }
  outcome.error = compare(got, ref);
  for (int64_t r = 0; r < d_rows && outcome.padding_untouched; ++r)
    for (size_t i = static_cast<size_t>(r * ldd + d_cols) * out_size;
         i < static_cast<size_t>((r + 1) * ldd) * out_size; ++i)
      if (outcome.d[i] != 0xff) outcome.padding_untouched = false;
  return outcome;
}

}  // namespace sft
