// Command-line parsing for sf_bench. Pure C++ (no CUDA): unit-tested without a GPU.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "dtype.hpp"

namespace sfb {

// A bad invocation: main prints the message and exits with kExitUsage before any work.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;       // a case failed its correctness check (or a run error)
constexpr int kExitUsage = 2;        // bad command line, unreadable input, unwritable report
constexpr int kExitEnvironment = 3;  // no usable GPU

struct ShapeArg {
  int64_t m = 0, n = 0, k = 0;
};

struct BenchOptions {
  bool validate = false;
  bool run_llama = true;  // resolved by the parser: false when only --shape was given
  std::string shapes_path;
  std::vector<std::string> layers;   // empty: every layer of the shapes file
  std::vector<int64_t> batches;      // empty: every batch of the shapes file
  std::vector<DType> dtypes{DType::F16, DType::BF16};
  std::vector<ShapeArg> shapes;      // --shape M,N,K (custom suite)
  Layout custom_layout = Layout::Linear;
  std::string out_path;              // empty: bench/results/<device-slug>-<date>[-validate].json
  bool cusparselt = true;

  // timing
  double warmup_ms = 50;
  int samples = 20;
  double sample_ms = 10;  // target GPU time of one sample (calls per sample follow from it)
  int max_calls = 1000;   // upper bound on calls per sample
  bool use_graph = true;  // capture the calls of a sample in a CUDA graph (else events around a loop)
  double rotate_factor = 2.0;  // bytes touched between two uses of an input set >= factor * L2
  int max_sets = 64;
  double mem_fraction = 0.85;  // of the free GPU memory a case may allocate
  int cublas_candidates = 4;   // cuBLASLt heuristic candidates timed once to pick the fastest

  // correctness
  uint64_t seed = 20261123;
  double ref_macs = -1;   // host fp64 reference budget per case (multiply-adds); <0: mode default
  double rtol_f16 = -1;   // <0: default_rtol
  double rtol_bf16 = -1;

  int device = 0;
  bool quiet = false;
};

struct RoiOptions {
  std::string report_path;
  double tokens_per_day = -1;
  double dense_per_gpu_per_s = -1;
  double gpu_hour_cost = -1;
  double speedup_override = -1;  // > 0: use it instead of the report's
  int64_t batch = 16;
  std::string dtype = "f16";
  double gemm_fraction = 1.0;
  std::vector<std::string> layers{"qkv", "o", "gate_up", "down"};
  bool json = false;
};

// `sf_bench tp`: the LLaMA-70B MLP with tensor parallelism (examples/tensor_parallel), SparseFlow
// against cuBLAS on the same shards, step times per TP, type and batch.
struct TpOptions {
  std::vector<int> tps;  // empty: 1, 2, 4, ... up to the number of visible GPUs
  std::vector<int64_t> batches{1, 16, 64, 256, 1024, 4096};
  std::vector<DType> dtypes{DType::F16, DType::BF16};
  double target_ms = 100;  // GPU time of one timed run of steps (sets the steps per run)
  int repeats = 3;         // timed runs per case; the report keeps each and their median
  std::string out_path;    // empty: bench/results/<device-slug>-<date>-tp.json
  bool quiet = false;
};

// `sf_bench crossover`: the dispatch's choice against forced kernel families (crossover.hpp).
struct CrossoverOptions {
  std::vector<std::string> reports;  // one unforced report and the forced ones
  double tolerance = 0.05;           // a forced family this much faster is flagged
};

enum class Command { Bench, Roi, Show, Crossover, Tp, Help, RoiHelp, TpHelp, Version };

struct ParsedArgs {
  Command command = Command::Bench;
  BenchOptions bench;
  RoiOptions roi;
  TpOptions tp;
  std::string show_report;
  CrossoverOptions crossover;
};

// args excludes argv[0]. Throws UsageError with a message that names the offending argument.
ParsedArgs parse_args(const std::vector<std::string> &args, const std::string &default_shapes);

// Checks one GEMM shape; throws UsageError saying what is impossible about it.
void check_shape(int64_t m, int64_t n, int64_t k, const std::string &what);

std::string help_text();
std::string roi_help_text();
std::string tp_help_text();

}  // namespace sfb
