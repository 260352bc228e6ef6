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

// Check, then `repeats` timed runs; the medians and every run go to the report.
nlohmann::json measure(sftp::TensorParallelMlp &mlp, sftp::Backend backend, int64_t batch,
                       const TpOptions &opt, bool *passed, double *step_ms) {
  const sftp::CheckResult check = mlp.check(backend, batch, 1000 + static_cast<uint64_t>(batch));
  nlohmann::json j = {{"check", check_json(check)}};
  *passed = check.passed();
  if (!*passed) return j;  // a wrong result is not timed
  const int steps = steps_for(mlp, backend, batch, opt.target_ms);
  std::vector<double> step_runs, gemm_runs;
  for (int r = 0; r < opt.repeats; ++r) {
    const sftp::StepTime t = mlp.time_steps(backend, batch, 2, steps);
    step_runs.push_back(t.step_ms);
    gemm_runs.push_back(t.gemm_ms);
  }
  *step_ms = summarize(step_runs).median;
  j["steps_per_run"] = steps;
  j["step_ms"] = *step_ms;
  j["gemm_ms"] = summarize(gemm_runs).median;
  j["step_ms_runs"] = step_runs;
  j["gemm_ms_runs"] = gemm_runs;
  return j;
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
                          {"step", "slowest rank's GPU time per step, steps back to back"}}},
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
          bool sparse_ok = false, dense_ok = false;
          double sparse_ms = 0, dense_ms = 0;
          c["sparseflow"] = measure(mlp, sftp::Backend::SparseFlow, batch, opt, &sparse_ok, &sparse_ms);
          c["cublas_dense"] = measure(mlp, sftp::Backend::CublasDense, batch, opt, &dense_ok, &dense_ms);
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
