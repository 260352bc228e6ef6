#include "roi.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace sfb {

using nlohmann::json;

namespace {

// ceil that forgives floating-point noise: 12.000000000001 GPUs are 12 GPUs.
int64_t gpus_ceil(double x) { return static_cast<int64_t>(std::ceil(x * (1.0 - 1e-12))); }

std::string money(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

RoiResult compute_roi(const RoiInput &in) {
  if (!(in.tokens_per_day > 0)) throw std::invalid_argument("tokens per day must be > 0");
  if (!(in.dense_per_gpu_per_s > 0)) throw std::invalid_argument("dense throughput per GPU must be > 0");
  if (!(in.gpu_hour_cost >= 0)) throw std::invalid_argument("GPU hour cost must be >= 0");
  if (!(in.gemm_speedup > 0) || !std::isfinite(in.gemm_speedup))
    throw std::invalid_argument("GEMM speedup must be a finite number > 0");
  if (!(in.gemm_fraction >= 0 && in.gemm_fraction <= 1))
    throw std::invalid_argument("GEMM fraction must be in [0, 1]");

  RoiResult r;
  r.demand_per_s = in.tokens_per_day / kSecondsPerDay;
  r.end_to_end_speedup = 1.0 / ((1.0 - in.gemm_fraction) + in.gemm_fraction / in.gemm_speedup);
  r.dense_gpus_exact = r.demand_per_s / in.dense_per_gpu_per_s;
  r.sparseflow_gpus_exact = r.demand_per_s / (in.dense_per_gpu_per_s * r.end_to_end_speedup);
  r.dense_gpus = gpus_ceil(r.dense_gpus_exact);
  r.sparseflow_gpus = gpus_ceil(r.sparseflow_gpus_exact);
  r.gpus_saved = r.dense_gpus - r.sparseflow_gpus;
  r.dense_cost_per_month = static_cast<double>(r.dense_gpus) * in.gpu_hour_cost * kHoursPerMonth;
  r.sparseflow_cost_per_month = static_cast<double>(r.sparseflow_gpus) * in.gpu_hour_cost * kHoursPerMonth;
  r.savings_per_month = static_cast<double>(r.gpus_saved) * in.gpu_hour_cost * kHoursPerMonth;
  r.savings_per_year = static_cast<double>(r.gpus_saved) * in.gpu_hour_cost * kHoursPerYear;
  return r;
}

MeasuredSpeedup measured_speedup(const json &report, int64_t batch, const std::string &dtype,
                                 const std::vector<std::string> &layers) {
  if (!report.is_object() || !report.contains("cases") || !report["cases"].is_array())
    throw std::runtime_error("not an sf_bench report (no 'cases' array)");
  if (report.value("mode", std::string()) != "bench")
    throw std::runtime_error("the report was made in '" + report.value("mode", std::string("?")) +
                             "' mode; ROI needs a benchmark report with timings");
  if (layers.empty()) throw std::runtime_error("no layers given");

  MeasuredSpeedup m;
  if (report.contains("device") && report["device"].is_object())
    m.device = report["device"].value("name", std::string());

  for (const auto &layer : layers) {
    const json *found = nullptr;
    for (const auto &c : report["cases"]) {
      if (!c.is_object()) continue;
      const json &ax = c.value("axes", json::object());
      if (c.value("suite", std::string()) == "llama70b" && ax.value("layer", json()) == json(layer) &&
          ax.value("batch", json()) == json(batch) && ax.value("dtype", std::string()) == dtype) {
        found = &c;
        break;
      }
    }
    const std::string what = "layer '" + layer + "' at batch " + std::to_string(batch) + " " + dtype;
    if (!found) throw std::runtime_error("the report has no llama70b case for " + what);
    const json &c = *found;
    if (c.value("status", std::string()) != "ok")
      throw std::runtime_error("the case for " + what + " is '" + c.value("status", std::string()) +
                               "': " + c.value("reason", std::string()));
    auto median_of = [&](const char *impl) -> double {
      const json i = c.value("implementations", json::object()).value(impl, json());
      const json timing = i.is_object() ? i.value("timing", json()) : json();
      if (!i.is_object() || i.value("status", std::string()) != "ok" || !timing.is_object())
        throw std::runtime_error(std::string(impl) + " has no timing for " + what);
      double v = timing.value("median_ms", 0.0);
      if (!(v > 0)) throw std::runtime_error(std::string(impl) + " has no positive median for " + what);
      return v;
    };
    LayerTiming t;
    t.layer = layer;
    t.case_id = c.value("id", std::string());
    t.dense_ms = median_of("cublaslt");
    t.sparseflow_ms = median_of("sparseflow");
    m.dense_ms_total += t.dense_ms;
    m.sparseflow_ms_total += t.sparseflow_ms;
    m.layers.push_back(t);
  }
  m.speedup = m.dense_ms_total / m.sparseflow_ms_total;
  return m;
}

json roi_to_json(const RoiInput &in, const RoiResult &r, const MeasuredSpeedup *measured) {
  json j;
  j["inputs"] = {{"tokens_per_day", in.tokens_per_day},
                 {"dense_per_gpu_per_s", in.dense_per_gpu_per_s},
                 {"gpu_hour_cost", in.gpu_hour_cost},
                 {"gemm_speedup", in.gemm_speedup},
                 {"gemm_speedup_source", measured ? "report" : "override"},
                 {"gemm_fraction", in.gemm_fraction}};
  if (measured) {
    json layers = json::array();
    for (const auto &l : measured->layers)
      layers.push_back({{"layer", l.layer}, {"case", l.case_id}, {"cublaslt_ms", l.dense_ms},
                        {"sparseflow_ms", l.sparseflow_ms}, {"speedup", l.dense_ms / l.sparseflow_ms}});
    j["measured"] = {{"device", measured->device},
                     {"layers", layers},
                     {"cublaslt_ms_total", measured->dense_ms_total},
                     {"sparseflow_ms_total", measured->sparseflow_ms_total},
                     {"time_weighted_speedup", measured->speedup}};
  }
  j["result"] = {{"demand_per_s", r.demand_per_s},
                 {"end_to_end_speedup", r.end_to_end_speedup},
                 {"dense_gpus_exact", r.dense_gpus_exact},
                 {"sparseflow_gpus_exact", r.sparseflow_gpus_exact},
                 {"dense_gpus", r.dense_gpus},
                 {"sparseflow_gpus", r.sparseflow_gpus},
                 {"gpus_saved", r.gpus_saved},
                 {"dense_cost_per_month", r.dense_cost_per_month},
                 {"sparseflow_cost_per_month", r.sparseflow_cost_per_month},
                 {"savings_per_month", r.savings_per_month},
                 {"savings_per_year", r.savings_per_year},
                 {"hours_per_month", kHoursPerMonth},
                 {"hours_per_year", kHoursPerYear}};
  return j;
}

std::string roi_to_text(const RoiInput &in, const RoiResult &r, const MeasuredSpeedup *measured,
                        int64_t batch, const std::string &dtype) {
  std::ostringstream s;
  char buf[256];
  if (measured) {
    s << "Measured GEMM speedup (" << (measured->device.empty() ? "device ?" : measured->device) << ", batch "
      << batch << ", " << dtype << "):\n";
    for (const auto &l : measured->layers) {
      std::snprintf(buf, sizeof buf, "  %-10s cuBLASLt %9.4f ms  SparseFlow %9.4f ms  %5.2fx\n", l.layer.c_str(),
                    l.dense_ms, l.sparseflow_ms, l.dense_ms / l.sparseflow_ms);
      s << buf;
    }
    std::snprintf(buf, sizeof buf, "  %-10s cuBLASLt %9.4f ms  SparseFlow %9.4f ms  %5.2fx (time-weighted)\n",
                  "block", measured->dense_ms_total, measured->sparseflow_ms_total, measured->speedup);
    s << buf;
  } else {
    std::snprintf(buf, sizeof buf, "GEMM speedup: %.3fx (--speedup-override, not measured)\n", in.gemm_speedup);
    s << buf;
  }
  std::snprintf(buf, sizeof buf, "GEMM share of dense GPU time F = %.3f%s -> end-to-end speedup E = %.3fx\n",
                in.gemm_fraction, in.gemm_fraction >= 1.0 ? " (upper bound: all time in these GEMMs)" : "",
                r.end_to_end_speedup);
  s << buf;
  std::snprintf(buf, sizeof buf, "Demand: %.6g per day = %.6g per second; dense throughput %.6g per second per GPU\n",
                in.tokens_per_day, r.demand_per_s, in.dense_per_gpu_per_s);
  s << buf;
  std::snprintf(buf, sizeof buf, "GPUs needed: dense %lld (%.2f), SparseFlow %lld (%.2f), saved %lld\n",
                static_cast<long long>(r.dense_gpus), r.dense_gpus_exact, static_cast<long long>(r.sparseflow_gpus),
                r.sparseflow_gpus_exact, static_cast<long long>(r.gpus_saved));
  s << buf;
  s << "Cost per month (" << kHoursPerMonth << " h): dense " << money(r.dense_cost_per_month) << ", SparseFlow "
    << money(r.sparseflow_cost_per_month) << "\n";
  s << "Savings: " << money(r.savings_per_month) << " per month, " << money(r.savings_per_year) << " per year\n";
  return s.str();
}

}  // namespace sfb
