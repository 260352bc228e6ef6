#include "host_reference.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <thread>

namespace sfb {

float f16_bits_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t man = h & 0x3ffu;
  float f;
  if (exp == 0) {
    // zero or subnormal: man * 2^-24
    f = std::ldexp(static_cast<float>(man), -24);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u |= sign;
    std::memcpy(&f, &u, 4);
    return f;
  }
  uint32_t u;
  if (exp == 0x1f)
    u = sign | 0x7f800000u | (man << 13);  // Inf or NaN
  else
    u = sign | ((exp + 112u) << 23) | (man << 13);
  std::memcpy(&f, &u, 4);
  return f;
}

float bf16_bits_to_float(uint16_t b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

HalfTable::HalfTable(DType t) : lut_(65536) {
  for (uint32_t b = 0; b < 65536; ++b)
    lut_[b] = (t == DType::F16) ? f16_bits_to_float(static_cast<uint16_t>(b)) : bf16_bits_to_float(static_cast<uint16_t>(b));
}

namespace {

// `count` distinct indices of [0, total), sorted; first and last included when count >= 2.
std::vector<int64_t> draw(int64_t total, int64_t count, std::mt19937_64 &rng) {
  count = std::max<int64_t>(1, std::min(count, total));
  std::vector<int64_t> all(static_cast<std::size_t>(total));
  std::iota(all.begin(), all.end(), int64_t(0));
  if (count == total) return all;
  std::vector<int64_t> out;
  if (count >= 2) {
    out.push_back(0);
    out.push_back(total - 1);
    all.erase(all.end() - 1);
    all.erase(all.begin());
  }
  // partial Fisher-Yates over the remaining candidates
  const int64_t need = count - static_cast<int64_t>(out.size());
  for (int64_t i = 0; i < need; ++i) {
    std::uniform_int_distribution<int64_t> d(i, static_cast<int64_t>(all.size()) - 1);
    std::swap(all[static_cast<std::size_t>(i)], all[static_cast<std::size_t>(d(rng))]);
    out.push_back(all[static_cast<std::size_t>(i)]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

SamplePlan plan_samples(int64_t m, int64_t n, int64_t k, double mac_budget, uint64_t seed, int64_t max_elements) {
  if (m < 1 || n < 1 || k < 1) throw std::invalid_argument("plan_samples: empty shape");
  SamplePlan p;
  const double total_macs = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const double total_elems = static_cast<double>(m) * static_cast<double>(n);
  if (total_macs <= mac_budget && total_elems <= static_cast<double>(max_elements)) {
    p.full = true;
    p.elem_i.reserve(static_cast<std::size_t>(m * n));
    p.elem_j.reserve(static_cast<std::size_t>(m * n));
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < m; ++i) {
        p.elem_i.push_back(i);
        p.elem_j.push_back(j);
      }
    return p;
  }
  std::mt19937_64 rng(seed);
  const double half = mac_budget / 2;
  auto lines = [&](int64_t line_len, int64_t available) {
    double by_macs = std::floor(half / (static_cast<double>(line_len) * static_cast<double>(k)));
    double by_elems = std::floor(static_cast<double>(max_elements) / 2 / static_cast<double>(line_len));
    double c = std::min(by_macs, by_elems);
    return static_cast<int64_t>(std::max(1.0, std::min(c, static_cast<double>(available))));
  };
  p.m_idx = draw(m, lines(n, m), rng);  // each sampled i: a line of n elements
  p.n_idx = draw(n, lines(m, n), rng);  // each sampled j: a line of m elements
  std::vector<char> in_m(static_cast<std::size_t>(m), 0);
  for (int64_t i : p.m_idx) in_m[static_cast<std::size_t>(i)] = 1;
  for (int64_t i : p.m_idx)
    for (int64_t j = 0; j < n; ++j) {
      p.elem_i.push_back(i);
      p.elem_j.push_back(j);
    }
  for (int64_t j : p.n_idx)
    for (int64_t i = 0; i < m; ++i)
      if (!in_m[static_cast<std::size_t>(i)]) {
        p.elem_i.push_back(i);
        p.elem_j.push_back(j);
      }
  return p;
}

std::vector<int64_t> output_offsets(const SamplePlan &p, Layout layout, int64_t m, int64_t n) {
  std::vector<int64_t> off(p.elem_i.size());
  for (std::size_t e = 0; e < off.size(); ++e)
    off[e] = (layout == Layout::Linear) ? p.elem_j[e] * m + p.elem_i[e] : p.elem_i[e] * n + p.elem_j[e];
  return off;
}

std::vector<double> reference_values(const uint16_t *a, const uint16_t *b, DType t, Layout layout, int64_t m,
                                     int64_t n, int64_t k, const SamplePlan &p, int threads) {
  (void)m;
  const HalfTable val(t);
  // Columns of B as contiguous rows of K: X itself in the linear layout, B transposed otherwise.
  std::vector<uint16_t> bt;
  const uint16_t *brow = b;
  if (layout == Layout::RowMajor) {
    bt.resize(static_cast<std::size_t>(n * k));
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < n; ++j) bt[static_cast<std::size_t>(j * k + kk)] = b[kk * n + j];
    brow = bt.data();
  }
  const std::size_t count = p.elem_i.size();
  std::vector<double> ref(count);
  std::atomic<std::size_t> next{0};
  const std::size_t chunk = 64;
  auto work = [&]() {
    for (;;) {
      const std::size_t start = next.fetch_add(chunk);
      if (start >= count) return;
      const std::size_t end = std::min(count, start + chunk);
      for (std::size_t e = start; e < end; ++e) {
        const uint16_t *ar = a + p.elem_i[e] * k;
        const uint16_t *br = brow + p.elem_j[e] * k;
        double s = 0;
        for (int64_t kk = 0; kk < k; ++kk) s += static_cast<double>(val(ar[kk])) * static_cast<double>(val(br[kk]));
        ref[e] = s;
      }
    }
  };
  threads = std::max(1, threads);
  std::vector<std::thread> pool;
  for (int t_i = 1; t_i < threads; ++t_i) pool.emplace_back(work);
  work();
  for (auto &th : pool) th.join();
  return ref;
}

ErrorCheck compare_with_reference(const std::vector<uint16_t> &out, const std::vector<double> &ref, DType t,
                                  double threshold, const SamplePlan &p) {
  if (out.size() != ref.size()) throw std::invalid_argument("compare_with_reference: size mismatch");
  const HalfTable val(t);
  ErrorCheck c;
  c.reference = "fp64_host";
  c.coverage = p.full ? "all" : "sampled";
  c.sampled_m = p.m_idx;
  c.sampled_n = p.n_idx;
  c.elements = static_cast<int64_t>(ref.size());
  c.threshold = threshold;
  double ss = 0;
  for (double r : ref) ss += r * r;
  c.ref_rms = ref.empty() ? 0 : std::sqrt(ss / static_cast<double>(ref.size()));
  const double rms_floor = c.ref_rms > 0 ? c.ref_rms : std::numeric_limits<double>::min();
  for (std::size_t e = 0; e < out.size(); ++e) {
    const double d = val(out[e]);
    if (!std::isfinite(d)) {
      ++c.nonfinite;
      continue;
    }
    const double err = std::fabs(d - ref[e]);
    c.max_abs_err = std::max(c.max_abs_err, err);
    c.max_rel_err = std::max(c.max_rel_err, err / std::max(std::fabs(ref[e]), rms_floor));
  }
  c.passed = (c.nonfinite == 0) && (c.max_rel_err <= threshold) && !out.empty();
  return c;
}

}  // namespace sfb
