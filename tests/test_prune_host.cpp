// sf_prune and sf_check_2to4 on host memory against a brute-force reference of the documented
// rule: keep the two largest magnitudes (sign-cleared bit patterns, so NaN > Inf > finite),
// ties to the lower index, pruned elements become +0.
#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include "catch_compat.hpp"
#include "sparseflow/sparseflow.h"
#include "support.hpp"

namespace {

// Indices of the kept pair by sorting (key descending, index ascending).
template <typename Word>
std::array<int, 2> brute_force_keep(const Word *group, Word magnitude_mask) {
  std::array<int, 4> order = {0, 1, 2, 3};
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
    return (group[x] & magnitude_mask) > (group[y] & magnitude_mask);
  });
  std::array<int, 2> keep = {std::min(order[0], order[1]), std::max(order[0], order[1])};
  return keep;
}

template <typename Word>
std::vector<Word> brute_force_prune(const std::vector<Word> &in, int64_t rows, int64_t cols,
                                    int64_t ld, Word magnitude_mask) {
  std::vector<Word> out(in.size(), 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; c += 4) {
      const Word *g = &in[static_cast<size_t>(r * ld + c)];
      const auto keep = brute_force_keep(g, magnitude_mask);
      for (int i : keep) out[static_cast<size_t>(r * ld + c + i)] = g[i];
    }
  return out;
}

// 16-bit patterns that stress the rule: ties, zeros of both signs, infinities and NaNs.
std::vector<uint16_t> tricky_matrix16(int64_t rows, int64_t cols, uint64_t seed) {
  const uint16_t specials[] = {0x0000, 0x8000, 0x3c00, 0xbc00, 0x7c00, 0xfc00, 0x7e00, 0xfe01,
                               0x0001, 0x8001, 0x3c00, 0x3c00};
  std::mt19937_64 rng(seed);
  std::vector<uint16_t> m(static_cast<size_t>(rows * cols));
  for (auto &x : m) x = (rng() % 3 == 0) ? specials[rng() % 12] : static_cast<uint16_t>(rng() % 8 + 0x3c00);
  return m;
}

}  // namespace

TEST_CASE("prune keeps the two largest magnitudes with documented ties and NaN", "[prune]") {
  auto prune_one = [](std::array<float, 4> in) {
    std::array<float, 4> out{};
    REQUIRE(sf_prune(SF_MEMORY_HOST, SF_DTYPE_F32, 1, 4, in.data(), 4, out.data(), 4, nullptr) ==
            SF_SUCCESS);
    return out;
  };
  CHECK(prune_one({1.f, -3.f, 2.f, 0.5f}) == std::array<float, 4>{0.f, -3.f, 2.f, 0.f});
  CHECK(prune_one({1.f, 1.f, 1.f, 1.f}) == std::array<float, 4>{1.f, 1.f, 0.f, 0.f});  // ties: lower index
  CHECK(prune_one({2.f, -2.f, 2.f, 1.f}) == std::array<float, 4>{2.f, -2.f, 0.f, 0.f});
  CHECK(prune_one({0.f, 0.f, 5.f, 0.f}) == std::array<float, 4>{0.f, 0.f, 5.f, 0.f});
  const float inf = INFINITY;
  auto with_nan = prune_one({1.f, NAN, 7.f, inf});
  CHECK(std::isnan(with_nan[1]));  // NaN ranks above Inf
  CHECK(with_nan[3] == inf);
  CHECK(with_nan[0] == 0.f);
  CHECK(with_nan[2] == 0.f);
  // -0 and +0 tie: the lower index is kept, bit for bit.
  std::array<float, 4> zeros = {-0.f, 0.f, -0.f, 0.f};
  auto z = prune_one(zeros);
  CHECK(sft::f32_to_bits(z[0]) == 0x80000000u);
  CHECK(sft::f32_to_bits(z[2]) == 0u);  // pruned: +0
}

TEST_CASE("prune matches brute force on every dtype, in and out of place", "[prune]") {
  const int64_t rows = 37, cols = 64, ld = 72;
  SECTION("16-bit types") {
    for (sf_dtype_t dtype : {SF_DTYPE_F16, SF_DTYPE_BF16}) {
      auto in = tricky_matrix16(rows, ld, 7 + dtype);
      auto expected = brute_force_prune<uint16_t>(in, rows, cols, ld, 0x7fff);
      std::vector<uint16_t> out(in.size(), 0xabcd);
      REQUIRE(sf_prune(SF_MEMORY_HOST, dtype, rows, cols, in.data(), ld, out.data(), ld, nullptr) ==
              SF_SUCCESS);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < ld; ++c) {
          const size_t i = static_cast<size_t>(r * ld + c);
          if (c < cols) REQUIRE(out[i] == expected[i]);
          else REQUIRE(out[i] == 0xabcd);  // padding columns untouched
        }
      // In place gives the same bits.
      REQUIRE(sf_prune(SF_MEMORY_HOST, dtype, rows, cols, in.data(), ld, in.data(), ld, nullptr) ==
              SF_SUCCESS);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          REQUIRE(in[static_cast<size_t>(r * ld + c)] == expected[static_cast<size_t>(r * ld + c)]);
    }
  }
  SECTION("fp32") {
    std::mt19937_64 rng(3);
    std::vector<uint32_t> in(static_cast<size_t>(rows * ld));
    const uint32_t specials[] = {0u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u,
                                 0x3f800000u, 0xbf800000u};
    for (auto &x : in) x = rng() % 4 == 0 ? specials[rng() % 7] : 0x3f800000u + static_cast<uint32_t>(rng() % 5);
    auto expected = brute_force_prune<uint32_t>(in, rows, cols, ld, 0x7fffffffu);
    std::vector<uint32_t> out(in.size(), 0);
    REQUIRE(sf_prune(SF_MEMORY_HOST, SF_DTYPE_F32, rows, cols, in.data(), ld, out.data(), ld,
                     nullptr) == SF_SUCCESS);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        REQUIRE(out[static_cast<size_t>(r * ld + c)] == expected[static_cast<size_t>(r * ld + c)]);
  }
}

TEST_CASE("prune of a large matrix (several threads) matches brute force", "[prune]") {
  const int64_t rows = 1024, cols = 2048;
  auto in = sft::random_matrix(SF_DTYPE_BF16, rows, cols, cols, 11);
  auto expected = brute_force_prune<uint16_t>(in, rows, cols, cols, 0x7fff);
  std::vector<uint16_t> out(in.size());
  REQUIRE(sf_prune(SF_MEMORY_HOST, SF_DTYPE_BF16, rows, cols, in.data(), cols, out.data(), cols,
                   nullptr) == SF_SUCCESS);
  REQUIRE(out == expected);
}

TEST_CASE("check_2to4 counts the groups with more than two non-zeros", "[check]") {
  // Row 0: 2 non-zeros (ok), row 1: 3 (bad), row 2: NaN + 2 non-zeros (bad), row 3: -0s (ok).
  std::vector<float> m = {1, 0, 2, 0,  1, 2, 3, 0,  NAN, 1, 0, 1,  -0.f, 1, -0.f, 2};
  int64_t violations = -1;
  REQUIRE(sf_check_2to4(SF_MEMORY_HOST, SF_DTYPE_F32, 4, 4, m.data(), 4, &violations, nullptr) ==
          SF_SUCCESS);
  CHECK(violations == 2);
  auto big = sft::random_matrix(SF_DTYPE_F16, 64, 128, 128, 5);
  REQUIRE(sf_check_2to4(SF_MEMORY_HOST, SF_DTYPE_F16, 64, 128, big.data(), 128, &violations,
                        nullptr) == SF_SUCCESS);
  CHECK(violations == 64 * 32);  // random values: every group is dense
  REQUIRE(sf_prune(SF_MEMORY_HOST, SF_DTYPE_F16, 64, 128, big.data(), 128, big.data(), 128,
                   nullptr) == SF_SUCCESS);
  REQUIRE(sf_check_2to4(SF_MEMORY_HOST, SF_DTYPE_F16, 64, 128, big.data(), 128, &violations,
                        nullptr) == SF_SUCCESS);
  CHECK(violations == 0);
}
