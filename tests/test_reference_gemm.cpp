// The CPU sparse reference (decoding metadata from a compressed buffer) equals the dense product
// of the pruned matrix exactly: it multiplies the same non-zero terms in the same order.
#include "catch_compat.hpp"
#include "reference.hpp"
#include "sparseflow/sparseflow.h"
#include "support.hpp"

TEST_CASE("sparse reference from metadata equals the dense product of the pruned matrix",
          "[reference]") {
  for (sf_dtype_t dtype : {SF_DTYPE_F16, SF_DTYPE_BF16}) {
    for (int64_t m : {1, 17, 64}) {
      const int64_t k = 96, n = 5;
      auto a_bits = sft::random_matrix(dtype, m, k, k, 40 + m);
      REQUIRE(sf_prune(SF_MEMORY_HOST, dtype, m, k, a_bits.data(), k, a_bits.data(), k, nullptr) ==
              SF_SUCCESS);
      auto blob = sft::compress_on_host(dtype, m, k, a_bits, k);
      std::vector<float> a(a_bits.size());
      for (size_t i = 0; i < a.size(); ++i) a[i] = sft::bits_to_float(dtype, a_bits[i]);
      auto bt = sft::random_floats(n * k, 3);
      auto c = sft::random_floats(n * m, 4);
      auto bias = sft::random_floats(m, 5);
      sft::ReferenceProblem p;
      p.m = m;
      p.n = n;
      p.k = k;
      p.a = a.data();
      p.bt = bt.data();
      p.alpha = 0.75f;
      p.beta = -0.5f;
      p.c = c.data();
      p.bias = bias.data();
      const std::vector<int64_t> columns = {0, 2, 4};
      const auto dense = sft::dense_reference(p, columns);
      const auto sparse = sft::sparse_reference(
          *reinterpret_cast<const sf_compressed_header_t *>(blob.data()), blob.data(), p, columns);
      REQUIRE(dense == sparse);
      // And it is a real product: not all outputs are the epilogue alone.
      REQUIRE(sft::compare(std::vector<double>(dense.size(), 0.0), dense).max_abs_ref > 0.1);
    }
  }
}
