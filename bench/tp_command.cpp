// `sf_bench tp`: the tensor-parallel LLaMA-70B MLP of examples/tensor_parallel, SparseFlow against
// cuBLAS on the same pruned shards. Every case is checked against the unsharded MLP on GPU 0 before
// it is timed; the JSON report (bench/REPORT_SCHEMA.md, "sf_bench_tp") is rewritten after every case.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "commands.hpp"
#include "device_info.hpp"
#include "report.hpp"
#include "stats.hpp"
#include "tp_mlp.hpp"

namespace sfb {
namespace {

sf_dtype_t to_sf(DType t) { return t == DType::F16 ? SF_DTYPE_F16 : SF_DTYPE_BF16; }

nlohmann::json check_json(const sftp::CheckResult &c) {
  return {{"reference", "unsharded MLP on GPU 0, cuBLAS, fp32 accumulation"},
          {"max_abs_err", c.max_abs_error},
          {"max_abs_ref", c.max_abs_ref},
          {"relative_err", c.relative()},
          {"threshold", c.bound},
          {"nonfinite", c.nonfinite},
          {"ranks_identical", c.ranks_identical},
          {"passed", c.passed()}};
}

// Steps per timed run so that one run lasts about target_ms, from a short first measurement.
int steps_for(sftp::TensorParallelMlp &mlp, sftp::Backend backend, int64_t batch, double target_ms) {
  const sftp::StepTime estimate = mlp.time_steps(backend, batch, 1, 2);
  const double steps = std::ceil(target_ms / std::max(estimate.step_ms, 1e-3));
  return static_cast<int>(std::clamp(steps, 3.0, 1000.0));
}

// One backend's part of a case: its check, and its timed runs where the check passed.
struct BackendRuns {
  sftp::Backend backend;
  nlohmann::json json;
  bool passed = false;
  int steps = 0;
  std::vector<double> step_runs, gemm_runs;
  double step_ms = 0;  // median of step_runs
};

// Checks each backend, then `repeats` rounds of one timed run of each that passed, the first of
// a round alternating, so that the backends are timed under the clocks of the same moments (the
// H100's wander under its power cap, bench/README.md); the medians and every run go to each
// backend's json. A wrong result is not timed.
void measure(sftp::TensorParallelMlp &mlp, int64_t batch, const TpOptions &opt,
             std::vector<BackendRuns> &runs) {
  for (BackendRuns &r : runs) {
    const sftp::CheckResult check = mlp.check(r.backend, batch, 1000 + static_cast<uint64_t>(batch));
    r.json = {{"check", check_json(check)}};
    r.passed = check.passed();
    if (r.passed) r.steps = steps_for(mlp, r.backend, batch, opt.target_ms);
  }
  for (int round = 0; round < opt.repeats; ++round)
    for (std::size_t i = 0; i < runs.size(); ++i) {
      BackendRuns &r = runs[(round + i) % runs.size()];
      if (!r.passed) continue;
      const sftp::StepTime t = mlp.time_steps(r.backend, batch, 2, r.steps);
      r.step_runs.push_back(t.step_ms);
      r.gemm_runs.push_back(t.gemm_ms);
    }
  for (BackendRuns &r : runs) {
    if (!r.passed) continue;
    r.step_ms = summarize(r.step_runs).median;
    r.json["steps_per_run"] = r.steps;
    r.json["step_ms"] = r.step_ms;
    r.json["gemm_ms"] = summarize(r.gemm_runs).median;
    r.json["step_ms_runs"] = r.step_runs;
    r.json["gemm_ms_runs"] = r.gemm_runs;
  }
}

}  // namespace

int run_tp_command(const TpOptions &opt, const std::vector<std::string> &command_line) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::cerr << "sf_bench tp: error: no usable CUDA device\n";
    return kExitEnvironment;
  }
  std::vector<int> tps = opt.tps;
  if (tps.empty())
    for (int t = 1; t <= devices; t *= 2) tps.push_back(t);
  for (int t : tps)
    if (t > devices) {
      std::cerr << "sf_bench tp: error: TP = " << t << " needs " << t << " GPUs; " << devices
                << " are visible\n";
      return kExitEnvironment;
    }
  const int used_devices = *std::max_element(tps.begin(), tps.end());

  nlohmann::json report;
  std::string out_path = opt.out_path;
  try {
    nlohmann::json device_list = nlohmann::json::array();
    for (int d = 0; d < used_devices; ++d) device_list.push_back(device_to_json(query_device(d)));
    if (out_path.empty()) {
      out_path = default_report_path(default_results_dir(), device_list[0]["name"].get<std::string>(),
                                     utc_time("%Y-%m-%d"), false);
      out_path.replace(out_path.size() - 5, 5, "-tp.json");
    }
    int nccl_version = 0, cublas_version = 0;
    ncclGetVersion(&nccl_version);
    cublasGetProperty(MAJOR_VERSION, &cublas_version);
    int minor = 0;
    cublasGetProperty(MINOR_VERSION, &minor);
    report = {{"schema", "sf_bench_tp"},
              {"schema_version", 1},
              {"created_utc", utc_time("%Y-%m-%dT%H:%M:%SZ")},
              {"command_line", command_line},
              {"hostname", host_name()},
              {"library", sf_build_info()},
              {"nccl_version", nccl_version},
              {"cublas_version", std::to_string(cublas_version) + "." + std::to_string(minor)},
              {"devices", device_list},
              {"model", {{"name", "LLaMA-70B MLP"}, {"hidden", sftp::MlpDims{}.hidden},
                         {"intermediate", sftp::MlpDims{}.intermediate}}},
              {"timing", {{"target_ms", opt.target_ms}, {"repeats", opt.repeats},
                          {"step", "slowest rank's GPU time per step, steps back to back"},
                          {"run_order", "interleaved"}}},
              {"cases", nlohmann::json::array()}};
  } catch (const std::exception &e) {
    std::cerr << "sf_bench tp: error: " << e.what() << "\n";
    return kExitEnvironment;
  }
  const std::string why = check_report_path_writable(out_path);
  if (!why.empty()) {
    std::cerr << "sf_bench tp: error: cannot write the report: " << why << "\n";
    return kExitUsage;
  }

  int64_t max_batch = *std::max_element(opt.batches.begin(), opt.batches.end());
  bool all_passed = true;
  std::printf("%-3s %-5s %6s  %-24s %11s %11s %8s %11s %11s\n", "tp", "dtype", "batch",
              "shards gate_up | down", "sparse ms", "dense ms", "speedup", "sparse gemm",
              "dense gemm");
  try {
    for (int tp : tps)
      for (DType dtype : opt.dtypes) {
        sftp::TensorParallelMlp mlp(sftp::MlpDims{}, tp, to_sf(dtype), max_batch, 20261124);
        const sftp::ShardDims s = mlp.shard();
        for (int64_t batch : opt.batches) {
          nlohmann::json c = {{"tp", tp}, {"dtype", dtype_name(dtype)}, {"batch", batch},
                              {"shards", {{"gate_up", {s.gate_up_rows, s.gate_up_k}},
                                          {"down", {s.down_rows, s.down_k}}}}};
          std::vector<BackendRuns> runs(2);
          runs[0].backend = sftp::Backend::SparseFlow;
          runs[1].backend = sftp::Backend::CublasDense;
          measure(mlp, batch, opt, runs);
          c["sparseflow"] = runs[0].json;
          c["cublas_dense"] = runs[1].json;
          const bool sparse_ok = runs[0].passed, dense_ok = runs[1].passed;
          const double sparse_ms = runs[0].step_ms, dense_ms = runs[1].step_ms;
          c["status"] = sparse_ok && dense_ok ? "ok" : "failed";
          if (sparse_ok && dense_ok) {
            c["speedup_step"] = dense_ms / sparse_ms;
            c["speedup_gemm"] = c["cublas_dense"]["gemm_ms"].get<double>() /
                                c["sparseflow"]["gemm_ms"].get<double>();
            std::printf("%-3d %-5s %6lld  %7lldx%-5lld|%6lldx%-5lld %11.4f %11.4f %7.2fx %11.4f %11.4f\n",
                        tp, dtype_name(dtype), static_cast<long long>(batch),
                        static_cast<long long>(s.gate_up_rows), static_cast<long long>(s.gate_up_k),
                        static_cast<long long>(s.down_rows), static_cast<long long>(s.down_k),
                        sparse_ms, dense_ms, dense_ms / sparse_ms,
                        c["sparseflow"]["gemm_ms"].get<double>(), c["cublas_dense"]["gemm_ms"].get<double>());
          } else {
            std::printf("%-3d %-5s %6lld  CHECK FAILED (sparseflow %s, cublas %s)\n", tp,
                        dtype_name(dtype), static_cast<long long>(batch),
                        sparse_ok ? "ok" : "failed", dense_ok ? "ok" : "failed");
          }
          std::fflush(stdout);
          all_passed = all_passed && sparse_ok && dense_ok;
          report["cases"].push_back(c);
          write_json_atomic(out_path, report);
          if (!opt.quiet)
            std::cerr << "sf_bench tp: tp " << tp << " " << dtype_name(dtype) << " batch " << batch
                      << ": " << c["status"].get<std::string>() << "\n";
        }
      }
  } catch (const std::exception &e) {
    report["aborted"] = e.what();
    write_json_atomic(out_path, report);
    std::cerr << "sf_bench tp: error: " << e.what() << "\n";
    return kExitFailed;
  }
  std::cerr << "sf_bench tp: report " << out_path << "\n";
  return all_passed ? kExitOk : kExitFailed;
}

}  // namespace sfb
