// `sf_bench roi`, `show` and `crossover`: work on saved reports, no GPU and no CUDA call.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "crossover.hpp"
#include "roi.hpp"
#include "table.hpp"

namespace sfb {

namespace {

nlohmann::json read_report(const std::string &path) {
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read report '" + path + "'");
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception &e) {
    throw UsageError("report '" + path + "' is not valid JSON: " + e.what());
  }
}

}  // namespace

int run_roi_command(const RoiOptions &opt) {
  try {
    RoiInput in;
    in.tokens_per_day = opt.tokens_per_day;
    in.dense_per_gpu_per_s = opt.dense_per_gpu_per_s;
    in.gpu_hour_cost = opt.gpu_hour_cost;
    in.gemm_fraction = opt.gemm_fraction;
    MeasuredSpeedup measured;
    const MeasuredSpeedup *mp = nullptr;
    if (opt.speedup_override > 0) {
      in.gemm_speedup = opt.speedup_override;
    } else {
      const nlohmann::json report = read_report(opt.report_path);
      try {
        measured = measured_speedup(report, opt.batch, opt.dtype, opt.layers);
      } catch (const std::runtime_error &e) {
        throw UsageError("report '" + opt.report_path + "': " + e.what());
      }
      mp = &measured;
      in.gemm_speedup = measured.speedup;
    }
    const RoiResult r = compute_roi(in);
    if (opt.json)
      std::cout << roi_to_json(in, r, mp).dump(2) << '\n';
    else
      std::cout << roi_to_text(in, r, mp, opt.batch, opt.dtype);
    return kExitOk;
  } catch (const UsageError &e) {
    std::cerr << "sf_bench roi: error: " << e.what() << '\n';
    return kExitUsage;
  } catch (const std::invalid_argument &e) {
    std::cerr << "sf_bench roi: error: " << e.what() << '\n';
    return kExitUsage;
  }
}

int run_crossover_command(const CrossoverOptions &opt) {
  try {
    std::vector<nlohmann::json> reports;
    for (const auto &path : opt.reports) reports.push_back(read_report(path));
    print_crossover(std::cout, build_crossover(reports, opt.reports), opt.tolerance);
    return kExitOk;
  } catch (const std::runtime_error &e) {  // unreadable (UsageError) or unusable reports
    std::cerr << "sf_bench crossover: error: " << e.what() << '\n';
    return kExitUsage;
  }
}

int run_show_command(const std::string &report_path) {
  try {
    print_table(std::cout, read_report(report_path));
    return kExitOk;
  } catch (const UsageError &e) {
    std::cerr << "sf_bench show: error: " << e.what() << '\n';
    return kExitUsage;
  }
}

}  // namespace sfb
