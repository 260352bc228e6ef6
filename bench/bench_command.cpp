// `sf_bench [run|validate]`: checks the invocation and the device before any work, runs the cases
// with progress on stderr, rewrites the JSON report after every case, prints the table on stdout.
#include <cublasLt.h>
#include <cuda_runtime.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "baseline_cusparselt.hpp"
#include "commands.hpp"
#include "cuda_check.hpp"
#include "device_info.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "shapes.hpp"
#include "sparseflow/sparseflow.h"
#include "table.hpp"

#if __has_include("sf_bench_build_info.h")
#include "sf_bench_build_info.h"  // generated at build time: SF_BENCH_GIT_HASH, SF_BENCH_GIT_DIRTY
#endif
#ifndef SF_BENCH_GIT_HASH
#define SF_BENCH_GIT_HASH "unknown"
#endif
#ifndef SF_BENCH_GIT_DIRTY
#define SF_BENCH_GIT_DIRTY 0
#endif
#ifndef SF_BENCH_COMPILER
#define SF_BENCH_COMPILER "unknown"
#endif
#ifndef SF_BENCH_BUILD_TYPE
#define SF_BENCH_BUILD_TYPE "unknown"
#endif
#ifndef SF_BENCH_CUDA_TOOLKIT
#define SF_BENCH_CUDA_TOOLKIT "unknown"
#endif

namespace sfb {

namespace {

std::string fmt(const char *f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// One line saying how the case went, for stderr.
std::string progress_result(const CaseResult &c, bool validate) {
  std::string s = c.status == "ok" ? (validate ? "pass" : "ok") : (c.status == "skipped" ? "SKIP" : "FAIL");
  s += fmt(" %.1fs", c.seconds);
  if (c.status != "ok") return s + "  " + c.reason;
  const ImplResult *sf = c.find("sparseflow");
  if (validate) {
    if (sf) {
      auto f = sf->checks.find("vs_fp64");
      if (f != sf->checks.end())
        s += fmt("  max_rel_err %.2e", f->second.max_rel_err) + fmt(" (threshold %.2e)", f->second.threshold) +
             " vs fp64 on " + std::to_string(f->second.elements) + " " + f->second.coverage + " elements";
      auto b = sf->checks.find("vs_cublaslt");
      if (b != sf->checks.end()) s += fmt(", %.2e vs cuBLASLt on all", b->second.max_rel_err);
    }
    return s;
  }
  auto median = [](const ImplResult *r) -> double {
    if (!r || !r->timed || r->timing.samples_ms.empty()) return 0;
    std::vector<double> v = r->timing.samples_ms;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  };
  const double t_sf = median(sf);
  s += "  sets " + std::to_string(c.rotation_sets);
  for (const char *name : {"sparseflow", "cublaslt", "cusparselt"}) {
    const ImplResult *r = c.find(name);
    if (!r) continue;
    s += std::string("  ") + name + " ";
    const double t = median(r);
    if (t > 0) {
      s += fmt("%.4f ms", t);
      if (r != sf && t_sf > 0) s += fmt(" (sf %.2fx)", t / t_sf);
    } else {
      s += r->status;
    }
  }
  return s;
}

}  // namespace

std::string bench_version_text() {
  return std::string("sf_bench git ") + SF_BENCH_GIT_HASH + (SF_BENCH_GIT_DIRTY ? "-dirty" : "") + ", " +
         SF_BENCH_COMPILER + ", CUDA " + SF_BENCH_CUDA_TOOLKIT + ", cuSPARSELt " +
         (cusparselt_compiled() ? "compiled in" : "not compiled in") + "\n" +
         "library: " + sf_build_info() + "\n";
}

int run_bench_command(const BenchOptions &opt, const std::vector<std::string> &command_line) {
  const bool progress = !opt.quiet;
  // 1. Everything that can be checked without a GPU.
  std::vector<CaseSpec> cases;
  try {
    std::unique_ptr<ShapesFile> shapes;
    if (opt.run_llama) shapes = std::make_unique<ShapesFile>(load_shapes(opt.shapes_path));
    cases = build_cases(opt, shapes.get());
    if (cases.empty()) throw UsageError("no case selected");
    if (!opt.out_path.empty()) {
      const std::string why = check_report_path_writable(opt.out_path);
      if (!why.empty()) throw UsageError("cannot write the report: " + why);
    }
  } catch (const UsageError &e) {
    std::cerr << "sf_bench: error: " << e.what() << "\nTry 'sf_bench --help'.\n";
    return kExitUsage;
  }

  // 2. The device.
  const std::string no_gpu = probe_device(opt.device);
  if (!no_gpu.empty()) {
    std::cerr << "sf_bench: error: " << no_gpu << "\n";
    return kExitEnvironment;
  }
  DeviceInfo dev;
  RunInfo run;
  std::string out_path = opt.out_path;
  try {
    SFB_CUDA(cudaSetDevice(opt.device));
    dev = query_device(opt.device);
  } catch (const std::exception &e) {
    std::cerr << "sf_bench: error: cannot use device " << opt.device << ": " << e.what() << "\n";
    return kExitEnvironment;
  }
  if (out_path.empty()) {
    out_path = default_report_path(default_results_dir(), dev.name, utc_time("%Y-%m-%d"), opt.validate);
    const std::string why = check_report_path_writable(out_path);
    if (!why.empty()) {
      std::cerr << "sf_bench: error: cannot write the report: " << why << " (choose another with --out FILE)\n";
      return kExitUsage;
    }
  }

  // 3. What the report says about this run.
  run.mode = opt.validate ? "validate" : "bench";
  run.created_utc = utc_time("%Y-%m-%dT%H:%M:%SZ");
  run.command_line = command_line;
  run.hostname = host_name();
  run.bench.git_hash = SF_BENCH_GIT_HASH;
  run.bench.git_dirty = SF_BENCH_GIT_DIRTY != 0;
  run.bench.compiler = SF_BENCH_COMPILER;
  run.bench.build_type = SF_BENCH_BUILD_TYPE;
  run.bench.cuda_toolkit = SF_BENCH_CUDA_TOOLKIT;
  run.library.version_string = sf_version_string();
  run.library.version_number = sf_version_number();
  run.library.header_version_number = SF_VERSION_NUMBER;
  run.library.build_info = sf_build_info();
  if (const char *forced = std::getenv("SF_GEMM_KERNEL")) run.library.forced_kernel_family = forced;
  if (run.library.version_number != SF_VERSION_NUMBER)
    std::cerr << "sf_bench: warning: libsparseflow is version " << run.library.version_number
              << " but sf_bench was compiled against the header of " << SF_VERSION_NUMBER << "\n";
  const nlohmann::json cslt = cusparselt_info();
  run.bench.cusparselt_compiled = cslt.value("compiled", false);
  run.bench.cusparselt_header_version = cslt["header_version"].is_string() ? cslt["header_version"].get<std::string>() : "";
  run.baselines = {{"cublaslt", {{"library_version", cublasLtGetVersion()},
                                 {"workspace_bytes", Runner::kCublasWorkspaceBytes},
                                 {"candidates_timed", opt.cublas_candidates}}},
                   {"cusparselt", cslt}};
  run.baselines["cusparselt"]["enabled"] = opt.cusparselt && !opt.validate;

  RunnerConfig cfg;
  cfg.validate = opt.validate;
  cfg.timing.warmup_ms = opt.warmup_ms;
  cfg.timing.samples = opt.samples;
  cfg.timing.sample_ms = opt.sample_ms;
  cfg.timing.max_calls = opt.max_calls;
  cfg.timing.use_graph = opt.use_graph;
  cfg.rotate_factor = opt.rotate_factor;
  cfg.max_sets = opt.max_sets;
  cfg.mem_fraction = opt.mem_fraction;
  cfg.seed = opt.seed;
  cfg.ref_macs = opt.ref_macs >= 0 ? opt.ref_macs : (opt.validate ? 4e9 : 2.5e8);
  cfg.rtol_f16 = opt.rtol_f16 > 0 ? opt.rtol_f16 : default_rtol(DType::F16);
  cfg.rtol_bf16 = opt.rtol_bf16 > 0 ? opt.rtol_bf16 : default_rtol(DType::BF16);
  cfg.cublas_candidates = opt.cublas_candidates;
  cfg.cusparselt = opt.cusparselt;
  cfg.host_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  run.timing_method = opt.validate ? "none (validation mode)" : (opt.use_graph ? "cuda_graph" : "cuda_events");
  run.warmup_ms = opt.warmup_ms;
  run.sample_ms = opt.sample_ms;
  run.samples = opt.samples;
  run.max_calls = opt.max_calls;
  run.rotate_factor = opt.rotate_factor;
  run.max_sets = opt.max_sets;
  run.cublas_candidates = opt.cublas_candidates;
  run.rtol_f16 = cfg.rtol_f16;
  run.rtol_bf16 = cfg.rtol_bf16;
  run.ref_macs = cfg.ref_macs;
  run.seed = cfg.seed;

  if (progress) {
    std::cerr << "sf_bench: " << dev.name << " (sm_" << dev.cc_major << dev.cc_minor << ", " << dev.sm_count
              << " SMs, L2 " << dev.l2_bytes / (1 << 20) << " MiB, " << fmt("%.1f GiB", dev.total_memory_bytes / double(1ull << 30))
              << ")\n"
              << "sf_bench: " << run.library.build_info << "\n"
              << "sf_bench: " << cases.size() << " cases, " << run.mode << " mode, report " << out_path << "\n";
  }

  int exit_code = kExitOk;
  std::vector<CaseResult> results;
  bool write_failed = false;
  try {
    if (!opt.validate) {
      cudaStream_t s = nullptr;
      SFB_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
      CopyBandwidth bw = measure_copy_bandwidth(uint64_t(1) << 30, 10, s);
      SFB_CUDA(cudaStreamDestroy(s));
      run.copy_bytes = bw.bytes;
      run.copy_samples_ms = bw.samples_ms;
      run.copy_bandwidth_bytes_per_s = bw.bytes_per_s;
      if (progress)
        std::cerr << "sf_bench: device-to-device copy " << fmt("%.0f GB/s", bw.bytes_per_s / 1e9)
                  << " (read + written, " << bw.bytes / (1 << 20) << " MiB)\n";
    }
    Runner runner(cfg, dev);
    for (size_t i = 0; i < cases.size(); ++i) {
      const CaseSpec &c = cases[i];
      if (progress)
        std::cerr << "[" << i + 1 << "/" << cases.size() << "] " << c.id << "  M=" << c.m << " N=" << c.n
                  << " K=" << c.k << std::endl;
      results.push_back(runner.run(c));
      if (progress) std::cerr << "    " << progress_result(results.back(), opt.validate) << std::endl;
      if (runner.context_lost()) {
        run.aborted = true;
        run.abort_reason = "CUDA context lost in case " + c.id + ": " + results.back().reason;
        for (size_t j = i + 1; j < cases.size(); ++j) {
          CaseResult r;
          r.id = cases[j].id;
          r.suite = cases[j].suite;
          r.layer = cases[j].layer;
          r.m = cases[j].m;
          r.n = cases[j].n;
          r.k = cases[j].k;
          r.dtype = dtype_name(cases[j].dtype);
          r.convention = layout_name(cases[j].layout);
          r.status = "skipped";
          r.reason = "not run: the run stopped after a CUDA error in " + c.id;
          results.push_back(r);
        }
      }
      try {
        write_json_atomic(out_path, build_report(run, dev, results));
      } catch (const std::exception &e) {
        if (!write_failed) std::cerr << "sf_bench: error: " << e.what() << "\n";
        write_failed = true;
      }
      if (run.aborted) break;
    }
  } catch (const std::exception &e) {
    std::cerr << "sf_bench: error: " << e.what() << "\n";
    run.aborted = true;
    run.abort_reason = e.what();
    exit_code = kExitEnvironment;
    try {
      write_json_atomic(out_path, build_report(run, dev, results));
    } catch (const std::exception &) {
      write_failed = true;
    }
  }
  cusparselt_shutdown();

  const nlohmann::json report = build_report(run, dev, results);
  std::cout << '\n';
  print_table(std::cout, report);
  if (!write_failed) std::cerr << "sf_bench: report written to " << out_path << "\n";
  const bool any_failed = report["summary"].value("failed", 0) > 0;
  if (exit_code == kExitOk && (any_failed || run.aborted || write_failed)) exit_code = kExitFailed;
  return exit_code;
}

}  // namespace sfb
