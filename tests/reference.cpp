#include "reference.hpp"

#include <cmath>

#include "../src/parallel.hpp"
#include "support.hpp"

namespace sft {
namespace {

double epilogue(const ReferenceProblem &p, double sum, int64_t row, int64_t col) {
  double v = static_cast<double>(p.alpha) * sum;
  if (p.beta != 0.f) v += static_cast<double>(p.beta) * p.c[col * p.m + row];
  if (p.bias != nullptr) v += p.bias[row];
  return v;
}

}  // namespace

std::vector<double> dense_reference(const ReferenceProblem &p, const std::vector<int64_t> &columns) {
  std::vector<double> out(columns.size() * static_cast<size_t>(p.m));
  sparseflow::parallel_for(p.m, p.k * static_cast<int64_t>(columns.size()),
                           [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const float *a = p.a + row * p.k;
      for (size_t j = 0; j < columns.size(); ++j) {
        const float *b = p.bt + columns[j] * p.k;
        double sum = 0;
        for (int64_t k = 0; k < p.k; ++k) sum += static_cast<double>(a[k]) * b[k];
        out[j * p.m + row] = epilogue(p, sum, row, columns[j]);
      }
    }
  });
  return out;
}

std::vector<double> sparse_reference(const sf_compressed_header_t &h, const uint8_t *blob,
                                     const ReferenceProblem &p, const std::vector<int64_t> &columns) {
  const auto dtype = static_cast<sf_dtype_t>(h.dtype);
  const auto *values = reinterpret_cast<const uint16_t *>(blob + h.values_offset);
  const auto *metadata = reinterpret_cast<const uint32_t *>(blob + h.metadata_offset);
  std::vector<double> out(columns.size() * static_cast<size_t>(p.m));
  sparseflow::parallel_for(p.m, p.k * static_cast<int64_t>(columns.size()),
                           [&](int64_t begin, int64_t end) {
    std::vector<float> kept(static_cast<size_t>(p.k / 2));
    std::vector<int64_t> position(static_cast<size_t>(p.k / 2));
    for (int64_t row = begin; row < end; ++row) {
      for (int64_t g = 0; g < p.k / 4; ++g) {
        const Slot slot = documented_metadata_slot(row, g, p.k);
        const unsigned nibble = (metadata[slot.word] >> slot.shift) & 0xfu;
        position[2 * g] = 4 * g + nibble_first(nibble);
        position[2 * g + 1] = 4 * g + nibble_second(nibble);
        kept[2 * g] = bits_to_float(dtype, values[row * (p.k / 2) + 2 * g]);
        kept[2 * g + 1] = bits_to_float(dtype, values[row * (p.k / 2) + 2 * g + 1]);
      }
      for (size_t j = 0; j < columns.size(); ++j) {
        const float *b = p.bt + columns[j] * p.k;
        double sum = 0;
        for (size_t i = 0; i < kept.size(); ++i) sum += static_cast<double>(kept[i]) * b[position[i]];
        out[j * p.m + row] = epilogue(p, sum, row, columns[j]);
      }
    }
  });
  return out;
}

ErrorSummary compare(const std::vector<double> &out, const std::vector<double> &ref) {
  ErrorSummary s;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(out[i])) s.non_finite = true;
    s.max_abs_error = std::fmax(s.max_abs_error, std::fabs(out[i] - ref[i]));
    s.max_abs_ref = std::fmax(s.max_abs_ref, std::fabs(ref[i]));
  }
  return s;
}

}  // namespace sft
