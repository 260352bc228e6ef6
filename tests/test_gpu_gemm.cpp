// sf_gemm on the GPU against an fp64 reference on fresh random data, outputs poisoned with NaN
// first. Accepted error: max |out - ref| / max |ref| <= 4 rounding units of the output type
// (fp16 2^-9, bf16 2^-6, fp32 1e-4); see sft::error_bound.
#include <cstdio>
#include <cstring>
#include <iterator>
#include <thread>

#include "catch_compat.hpp"
#include "gpu_support.hpp"
#include "sparseflow/sparseflow.h"

namespace {

void require_ok(const sft::GemmOutcome &o) {
  INFO(o.describe());
  REQUIRE_FALSE(o.error.non_finite);
  REQUIRE(o.padding_untouched);
  REQUIRE(o.error.relative() <= o.bound);
}

const char *name(sf_dtype_t t) {
  return t == SF_DTYPE_F16 ? "f16" : t == SF_DTYPE_BF16 ? "bf16" : "f32";
}

}  // namespace

TEST_CASE("LLaMA-70B layers at batch 1, 16 and 512", "[gpu][gemm][llama]") {
  struct Layer {
    const char *name;
    int64_t n_out, k;
  };
  const Layer layers[] = {{"qkv", 10240, 8192}, {"o", 8192, 8192}, {"gate_up", 57344, 8192},
                          {"down", 8192, 28672}};
  for (sf_dtype_t dtype : {SF_DTYPE_F16, SF_DTYPE_BF16}) {
    for (const Layer &layer : layers) {
      const auto a = sft::prepare_a(dtype, layer.n_out, layer.k, 1000 + layer.k + layer.n_out);
      for (int64_t batch : {1, 16, 512}) {
        sft::GemmCase c;
        c.input = c.output = dtype;
        c.m = layer.n_out;
        c.k = layer.k;
        c.n = batch;
        c.seed = static_cast<uint64_t>(batch) * 31 + 7;
        const auto o = sft::run_gemm_case(c, a);
        std::printf("llama %-7s %-4s batch %5lld: relative error %.3e (bound %.3e)\n", layer.name,
                    name(dtype), static_cast<long long>(batch), o.error.relative(), o.bound);
        INFO(layer.name << " " << name(dtype) << " batch " << batch);
        require_ok(o);
      }
    }
  }
}

TEST_CASE("awkward shapes, both layouts, every output type", "[gpu][gemm]") {
  struct Shape {
    int64_t m, n, k;
  };
  const Shape shapes[] = {{1, 1, 32},   {16, 8, 32},  {7, 3, 64},   {130, 17, 96},
                          {300, 1, 160}, {129, 129, 4128}, {64, 200, 32}, {50, 64, 96},
                          {33, 40, 1024}, {2000, 8, 256}};
  for (sf_layout_t layout : {SF_LAYOUT_LINEAR, SF_LAYOUT_ROW_MAJOR})
    for (sf_dtype_t in : {SF_DTYPE_F16, SF_DTYPE_BF16})
      for (sf_dtype_t out : {SF_DTYPE_F16, SF_DTYPE_BF16, SF_DTYPE_F32})
        for (const Shape &s : shapes) {
          sft::GemmCase c;
          c.layout = layout;
          c.input = in;
          c.output = out;
          c.m = s.m;
          c.n = s.n;
          c.k = s.k;
          c.seed = static_cast<uint64_t>(s.m * 131 + s.n * 7 + s.k);
          INFO((layout == SF_LAYOUT_LINEAR ? "linear " : "row-major ")
               << name(in) << "->" << name(out) << " m " << s.m << " n " << s.n << " k " << s.k);
          require_ok(sft::run_gemm_case(c));
        }
}

namespace {

struct ClusterShape {
  int64_t m, n, k;
};

}  // namespace

// Shapes: one tile that N and M both end inside; whole column tiles of 128 (128-row tiles and a
// 48-row one), of 256 (128 x 256 tiles), and of 128 then one that N ends inside (192-row tiles at
// n = 200, the second column tile; 256-row ones at n = 300, the third). Where there is no C
// (variants 0, 4 and 5: alpha 1, or alpha and a bias) the sm90 kernel stores whole slabs without
// bounds checks: of 16-bit output through shared memory where D takes 16-byte stores (ldd a
// multiple of 8: variants 0 and 5, but for the 128-row tiles, which have no room for it),
// directly otherwise (variant 4, ldd = m + 5).
TEST_CASE("alpha, beta, bias, in-place C and padded or unaligned leading dimensions",
          "[gpu][gemm]") {
  const ClusterShape shapes[] = {
      {100, 19, 224}, {304, 128, 224}, {264, 512, 96}, {8704, 200, 96}, {8704, 300, 96}};
  for (size_t shape = 0; shape < std::size(shapes); ++shape)
    for (sf_layout_t layout : {SF_LAYOUT_LINEAR, SF_LAYOUT_ROW_MAJOR})
      for (sf_dtype_t out : {SF_DTYPE_F16, SF_DTYPE_BF16, SF_DTYPE_F32})
        for (int variant = 0; variant < 6; ++variant) {
          sft::GemmCase c;
          c.layout = layout;
          c.input = SF_DTYPE_BF16;
          c.output = out;
          c.m = shapes[shape].m;
          c.n = shapes[shape].n;
          c.k = shapes[shape].k;
          c.alpha = variant == 0 ? 1.f : -0.5f;
          c.beta = variant == 2 || variant == 3 ? 0.75f : 0.f;
          c.bias = variant % 2 == 1 || variant >= 4;
          c.c_is_d = variant == 3;
          c.ldb_extra = variant == 1 ? 3 : 8;  // 3: rows of B no longer 16-byte aligned
          c.ldd_extra = variant == 2 || variant == 4 ? 5 : variant == 5 ? 8 : 0;
          c.seed = 77 + static_cast<uint64_t>(variant + 10 * shape);
          INFO("shape " << shape << " variant " << variant << " layout " << layout << " out "
                        << name(out));
          require_ok(sft::run_gemm_case(c));
        }
}

namespace {

// A product that clusters of blocks may compute (splitting K, or sharing B between row tiles):
// checked against the reference, then run again for the same bits (a split's sum order is
// fixed). Variant 0: f16 in, f32 out; variant 1: bf16 in and out with alpha 0.5, beta 1 and a
// bias; variant 2: f16 in and out with alpha -0.5, a bias and no C (the 16-bit output the sm90
// family stores through shared memory, split or not, where D's rows are 16-byte aligned).
constexpr int kClusterVariants = 3;
void check_cluster_product(sf_layout_t layout, const ClusterShape &s, int variant,
                           int64_t ldd_extra, uint64_t seed) {
  sft::GemmCase c;
  c.layout = layout;
  c.input = variant == 1 ? SF_DTYPE_BF16 : SF_DTYPE_F16;
  c.output = variant == 0 ? SF_DTYPE_F32 : variant == 1 ? SF_DTYPE_BF16 : SF_DTYPE_F16;
  c.m = s.m;
  c.n = s.n;
  c.k = s.k;
  c.alpha = variant == 0 ? 1.f : variant == 1 ? 0.5f : -0.5f;
  c.beta = variant == 1 ? 1.f : 0.f;
  c.bias = variant != 0;
  c.ldd_extra = ldd_extra;
  c.seed = seed;
  INFO((layout == SF_LAYOUT_LINEAR ? "linear " : "row-major ")
       << "m " << s.m << " n " << s.n << " k " << s.k << " variant " << variant);
  const auto a = sft::prepare_a(c.input, c.m, c.k, c.seed);
  const auto first = sft::run_gemm_case(c, a);
  require_ok(first);
  REQUIRE(sft::run_gemm_case(c, a).d == first.d);
}

}  // namespace

// Few row groups and a long K: on Hopper the decode family splits K over a cluster of 2-8 blocks
// (the split is chosen from the shape, gemm_decode.cuh; these shapes give 2, 4 and 8); K is not a
// multiple of the split's chunks, so the last block of a cluster gets a partial range. Elsewhere
// these run unsplit.
TEST_CASE("small-n products with K split across a cluster", "[gpu][gemm][decode]") {
  const ClusterShape shapes[] = {{100, 3, 16416}, {333, 5, 8224}, {333, 13, 4128}, {40, 1, 28704},
                               {250, 24, 6176}, {40, 2, 32800}};
  for (sf_layout_t layout : {SF_LAYOUT_LINEAR, SF_LAYOUT_ROW_MAJOR})
    for (const ClusterShape &s : shapes)
      for (int variant = 0; variant < kClusterVariants; ++variant)
        check_cluster_product(layout, s, variant, 3,
                            static_cast<uint64_t>(s.m + s.n + s.k + variant));
}

// Fewer tiles than SMs, or a last partial wave, and a long K: on Hopper the sm90 family splits
// K over a cluster of 2-4 blocks (gemm_sm90.cuh, choose_split). On a 132-SM H100 these give, in
// order: 8 tiles split 4 ways (K ending in a half k tile), 40 tiles split 3 ways, 64-column
// tiles split 4 ways, and the three-warpgroup 192-row tiles, 132 unsplit followed by 56 split 2
// ways and 106 unsplit, the last row tile partial (checked with ncu on the H100); 21 128 x 256
// tiles split 2 ways; in place of row bands (launch_split_over_bands), 64 tiles of 128 rows
// split 2 ways, K ending in a half k tile, and 53 tiles of 192 rows split 2 ways, the last one
// 16 rows, N ending inside the column tile; the same in 192-column tiles at n = 160 and 150.
// Elsewhere unsplit.
TEST_CASE("batched products with K split across a cluster", "[gpu][gemm][sm90]") {
  const ClusterShape shapes[] = {{1000, 100, 8224},  {5120, 100, 4128}, {3000, 40, 16416},
                                 {17920, 200, 2080}, {10000, 250, 1056}, {800, 600, 2080},
                                 {8192, 100, 2080},  {10000, 120, 2080}, {8192, 160, 2080},
                                 {10000, 150, 2080}};
  for (const ClusterShape &s : shapes)
    for (int variant = 0; variant < kClusterVariants; ++variant)
      check_cluster_product(SF_LAYOUT_LINEAR, s, variant, 0,
                            static_cast<uint64_t>(s.m * 3 + s.n + s.k + variant));
}

// Batches of 512 and more: on Hopper the sm90 family takes 128 x 256 tiles and, where the row
// tiles are even in number, pairs them in 2-block clusters, each block loading half of the pair's
// B tile into both (gemm_sm90.cuh, tiles_pair). On a 132-SM H100 these give, in order: 256
// paired tiles on 132 blocks (most pairs take two), N ending in the second half of B; 192
// paired tiles, N ending in the first half (the second half then empty); 96 paired tiles, the
// last row tile 32 rows, half a k tile at the end, N ending 8 columns into the first half; 69
// unpaired tiles (an odd number of row tiles); below batch 512, where they take as many rounds
// as the 256 x 128 tiles (launch_width), 264 paired tiles at batch 256, at 450 (N ending 66
// columns into the second half of the second column tile) and at 200 (72 columns into the
// second half); at 240 64 tiles split 2 ways over about 32 k tiles each (the last column tile
// at least 7/8 full). At batch 136 with K past the bands' limit, 64 tiles of 128 x 192 split 2
// ways instead (launch_width). The K-split test's 800 x 600 splits these tiles 2 ways,
// and LLaMA-70B qkv at batch 512 pairs 132 of them and splits the last 28 4 ways.
TEST_CASE("wide tiles, paired in clusters that share B", "[gpu][gemm][sm90]") {
  const ClusterShape shapes[] = {{8192, 1000, 544}, {8192, 600, 544}, {4000, 520, 160},
                                 {2900, 700, 96},   {33792, 256, 512}, {33792, 450, 160},
                                 {33792, 200, 160}, {8192, 136, 16416}, {8192, 240, 4128}};
  for (const ClusterShape &s : shapes)
    for (int variant = 0; variant < kClusterVariants; ++variant)
      check_cluster_product(SF_LAYOUT_LINEAR, s, variant, 0,
                            static_cast<uint64_t>(s.m + s.n * 5 + s.k + variant));
}

// Batch <= 192 with at least 3 blocks of 16 rows per SM: on Hopper the sm90 family splits A's
// rows into bands, equal shares for every SM (gemm_sm90.cuh, launch_bands). On a 132-SM H100
// these give, in order: 132 bands of 48 or 64 rows in 64-row tiles, M ending inside the last
// band, at n = 9 and 16 (which the decode family would take for weights this small without the
// bands); 132 bands of 64 or 80 rows in 128-row tiles, K ending in a half k tile; 396 bands of
// 96 or 112 rows, three a block; 132 bands of exactly 64 rows (one box size) at n = 1, which
// runs in bands when the sm90 family is forced; in 128-column tiles, 132 bands of 48 or 64 rows
// at n = 65 and 97 (B's box the columns that exist), and 264 bands of 112 or 128 rows, two a
// block, at n = 128 with K ending in a half k tile; in 192-column tiles, 132 bands of 48 or 64
// rows at n = 129 (B's box 129 rows) and 264 bands of 112 or 128 rows at n = 192. Elsewhere
// tiles.
TEST_CASE("small batches in equal row bands", "[gpu][gemm][sm90]") {
  const ClusterShape shapes[] = {{6401, 9, 544},   {7000, 16, 1056}, {10240, 64, 160},
                                 {40000, 33, 96}, {8448, 1, 2080},  {8200, 65, 64},
                                 {6500, 97, 288}, {33000, 128, 96}, {8200, 129, 288},
                                 {33000, 192, 96}};
  for (const ClusterShape &s : shapes)
    for (int variant = 0; variant < kClusterVariants; ++variant)
      check_cluster_product(SF_LAYOUT_LINEAR, s, variant, 0,
                            static_cast<uint64_t>(s.m * 7 + s.n + s.k + variant));
}

TEST_CASE("the same call twice gives the same bits", "[gpu][gemm]") {
  sft::GemmCase c;
  c.m = 1000;
  c.n = 77;
  c.k = 2048;
  c.output = SF_DTYPE_F32;
  const auto a = sft::prepare_a(c.input, c.m, c.k, 5);
  const auto first = sft::run_gemm_case(c, a);
  const auto second = sft::run_gemm_case(c, a);
  require_ok(first);
  REQUIRE(first.d == second.d);
}

TEST_CASE("several host threads on several streams at once", "[gpu][gemm][threads]") {
  constexpr int kThreads = 6;
  std::vector<sft::GemmOutcome> outcomes(kThreads);
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      cudaStream_t stream = nullptr;
      try {
        sft::cuda_check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "stream");
        sft::GemmCase c;
        c.layout = t % 2 ? SF_LAYOUT_ROW_MAJOR : SF_LAYOUT_LINEAR;
        c.input = t % 3 ? SF_DTYPE_F16 : SF_DTYPE_BF16;
        c.output = t % 3 == 2 ? SF_DTYPE_F32 : c.input;
        c.m = 512 + 96 * t;
        c.n = 1 + 37 * t;
        c.k = 1024 + 320 * t;
        c.bias = t % 2 == 0;
        c.seed = 300 + static_cast<uint64_t>(t);
        for (int repeat = 0; repeat < 3; ++repeat) outcomes[t] = sft::run_gemm_case(c, stream);
      } catch (const std::exception &e) {
        failures[t] = e.what();
      }
      if (stream != nullptr) cudaStreamDestroy(stream);
    });
  for (auto &th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t << ": " << failures[t]);
    REQUIRE(failures[t].empty());
    require_ok(outcomes[t]);
  }
}

TEST_CASE("sf_gemm can be captured in a CUDA graph", "[gpu][gemm][graph]") {
  const int64_t m = 256, n = 40, k = 512;
  const auto a = sft::prepare_a(SF_DTYPE_F16, m, k, 9);
  sft::DeviceBuffer a_dev(a.blob.size()), x(n * k * 2), y_eager(n * m * 2), y_graph(n * m * 2);
  a_dev.upload(a.blob.data(), a.blob.size());
  std::vector<uint16_t> xs(static_cast<size_t>(n * k));
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<uint16_t>(0x3800 + i % 700);
  x.upload(xs.data(), xs.size() * 2);
  std::vector<uint8_t> poison(static_cast<size_t>(n * m * 2), 0xff);
  y_graph.upload(poison.data(), poison.size());
  cudaStream_t stream;
  REQUIRE(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking) == cudaSuccess);
  auto s = reinterpret_cast<sf_stream_t>(stream);
  REQUIRE(sf_gemm(SF_LAYOUT_LINEAR, n, 1.f, &a.header, a_dev.get(), a.blob.size(), x.get(), k, 0.f,
                  nullptr, m, nullptr, SF_DTYPE_F16, y_eager.get(), m, s) == SF_SUCCESS);
  REQUIRE(cudaStreamSynchronize(stream) == cudaSuccess);
  cudaGraph_t graph;
  REQUIRE(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal) == cudaSuccess);
  const sf_status_t captured = sf_gemm(SF_LAYOUT_LINEAR, n, 1.f, &a.header, a_dev.get(),
                                       a.blob.size(), x.get(), k, 0.f, nullptr, m, nullptr,
                                       SF_DTYPE_F16, y_graph.get(), m, s);
  INFO(sf_last_error_message());
  REQUIRE(cudaStreamEndCapture(stream, &graph) == cudaSuccess);
  REQUIRE(captured == SF_SUCCESS);
  cudaGraphExec_t exec;
  REQUIRE(cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess);
  REQUIRE(cudaGraphLaunch(exec, stream) == cudaSuccess);
  REQUIRE(cudaStreamSynchronize(stream) == cudaSuccess);
  CHECK(y_graph.download() == y_eager.download());
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  cudaStreamDestroy(stream);
}
