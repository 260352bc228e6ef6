// Return-on-investment estimate: GPUs needed with dense kernels vs SparseFlow, and the cost saved.
// Pure functions (no CUDA, no I/O) so CI tests them; the formula is documented in bench/README.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sfb {

constexpr double kHoursPerMonth = 730.0;  // 8760 / 12
constexpr double kHoursPerYear = 8760.0;
constexpr double kSecondsPerDay = 86400.0;

struct RoiInput {
  double tokens_per_day = 0;       // demand X (tokens or requests per day)
  double dense_per_gpu_per_s = 0;  // Y: what one GPU serves per second with dense kernels, same unit
  double gpu_hour_cost = 0;        // Z
  double gemm_speedup = 1;         // S: SparseFlow over dense for the GEMMs
  double gemm_fraction = 1;        // F: share of the dense GPU time spent in those GEMMs
};

struct RoiResult {
  double demand_per_s = 0;          // X / 86400
  double end_to_end_speedup = 1;    // E = 1 / ((1 - F) + F / S)
  double dense_gpus_exact = 0;      // X / 86400 / Y
  double sparseflow_gpus_exact = 0; // X / 86400 / (Y * E)
  int64_t dense_gpus = 0;           // ceil of the above
  int64_t sparseflow_gpus = 0;
  int64_t gpus_saved = 0;           // may be negative when E < 1
  double dense_cost_per_month = 0;  // GPUs * Z * 730
  double sparseflow_cost_per_month = 0;
  double savings_per_month = 0;
  double savings_per_year = 0;      // GPUs saved * Z * 8760
};

// Throws std::invalid_argument on a non-positive demand, throughput or speedup, a negative cost
// or a fraction outside [0, 1].
RoiResult compute_roi(const RoiInput &in);

struct LayerTiming {
  std::string layer, case_id;
  double dense_ms = 0;       // cuBLASLt median
  double sparseflow_ms = 0;  // SparseFlow median
};

struct MeasuredSpeedup {
  double speedup = 0;  // sum(dense_ms) / sum(sparseflow_ms): time-weighted over the layers
  double dense_ms_total = 0, sparseflow_ms_total = 0;
  std::vector<LayerTiming> layers;
  std::string device;
};

// Time-weighted GEMM speedup of one transformer block (each layer once) at `batch` and `dtype`
// from a benchmark report. Throws std::runtime_error naming what is missing (a validation
// report, a layer not measured at that batch, a failed case...).
MeasuredSpeedup measured_speedup(const nlohmann::json &report, int64_t batch, const std::string &dtype,
                                 const std::vector<std::string> &layers);

nlohmann::json roi_to_json(const RoiInput &in, const RoiResult &r, const MeasuredSpeedup *measured);
std::string roi_to_text(const RoiInput &in, const RoiResult &r, const MeasuredSpeedup *measured,
                        int64_t batch, const std::string &dtype);

}  // namespace sfb
