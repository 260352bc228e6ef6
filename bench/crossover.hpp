// `sf_bench crossover`: the dispatch's choice of kernel family against each family forced, batch
// by batch, from saved reports (no GPU). The forced runs are separate processes (SF_GEMM_KERNEL is
// read once per process), so a family is compared with the dispatch's choice through its speedup
// over cuBLASLt sampled in the same run (interleaved): the clocks' drift between the runs cancels.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace sfb {

struct CrossoverTime {
  double ms = 0;        // SparseFlow's median per-call time
  double vs_dense = 0;  // cuBLASLt's median time / SparseFlow's, in the same run
};

struct CrossoverPoint {
  std::string id, layer, dtype;
  int64_t m = 0, k = 0, batch = 0;
  CrossoverTime chosen;                          // the dispatch's choice
  std::map<std::string, CrossoverTime> forced;   // by family, where a forced run has the case
  // The forced family fastest against dense, and its speedup over the dispatch's choice
  // (forced vs_dense / chosen vs_dense; > 1: the choice was slower); "" and 0 with none.
  std::string best_family;
  double best_over_chosen = 0;
};

struct Crossover {
  std::string device;
  std::vector<std::string> families;  // the forced families, in the order of their reports
  std::vector<CrossoverPoint> points;  // the unforced report's order (layer, dtype, batch)
};

// One unforced report (library.forced_kernel_family null) and any number of forced ones, each
// family once, all benchmark reports of the same device. Cases pair by id; only cases that ran
// and passed (status "ok", SparseFlow and cuBLASLt timed) take part. Throws std::runtime_error
// saying which report is unusable and why.
Crossover build_crossover(const std::vector<nlohmann::json> &reports,
                          const std::vector<std::string> &names);

// The table, and a summary of the points where a forced family beat the dispatch's choice by
// more than `tolerance` (0.05: 5%).
void print_crossover(std::ostream &out, const Crossover &crossover, double tolerance);

}  // namespace sfb
