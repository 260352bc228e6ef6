// The fp64 host reference: which output elements to check, their exact values, and the error
// of an implementation's output against them. Pure C++ (no CUDA).
//
// Output elements are named (i, j): i in [0, M) a row of the sparse A (an output feature n_out in
// the linear convention), j in [0, N) a column of B (a batch row in the linear convention).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "dtype.hpp"
#include "report.hpp"

namespace sfb {

float f16_bits_to_float(uint16_t bits);
float bf16_bits_to_float(uint16_t bits);

// Table of all 65536 values of a 16-bit type.
class HalfTable {
 public:
  explicit HalfTable(DType t);
  float operator()(uint16_t bits) const { return lut_[bits]; }

 private:
  std::vector<float> lut_;
};

struct SamplePlan {
  bool full = false;             // every element
  std::vector<int64_t> m_idx;    // sampled rows of A: every j of each
  std::vector<int64_t> n_idx;    // sampled columns of B: every i of each
  std::vector<int64_t> elem_i;   // the elements, deduplicated
  std::vector<int64_t> elem_j;
};

// All elements when M*N*K <= mac_budget and M*N <= max_elements; otherwise whole lines: about
// mac_budget/2 multiply-adds of lines along N (sampled i, N*K each) and as much along M (sampled
// j, M*K each), at least one of each, always including the first and last index when two or more
// are drawn, the rest uniformly at random from `seed`; at most max_elements elements.
SamplePlan plan_samples(int64_t m, int64_t n, int64_t k, double mac_budget, uint64_t seed,
                        int64_t max_elements = int64_t(1) << 22);

// Offset of each sampled element in the output buffer (linear: Y[j, i] at j*M + i; row-major:
// D[i, j] at i*N + j).
std::vector<int64_t> output_offsets(const SamplePlan &p, Layout layout, int64_t m, int64_t n);

// Double-precision values of the sampled elements. a: the pruned A [M, K] row-major (bit
// patterns); b: X [N, K] row-major (linear) or B [K, N] row-major (row-major layout).
std::vector<double> reference_values(const uint16_t *a, const uint16_t *b, DType t, Layout layout, int64_t m,
                                     int64_t n, int64_t k, const SamplePlan &p, int threads);

// Error of `out` (bit patterns of the sampled elements, in plan order) against `ref`.
// max_rel_err = max |out - ref| / max(|ref|, rms(ref)); passes when <= threshold and no element
// is NaN/Inf.
ErrorCheck compare_with_reference(const std::vector<uint16_t> &out, const std::vector<double> &ref, DType t,
                                  double threshold, const SamplePlan &p);

}  // namespace sfb
