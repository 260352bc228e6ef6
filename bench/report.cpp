#include "report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "stats.hpp"

#ifndef SF_BENCH_RESULTS_DIR
#define SF_BENCH_RESULTS_DIR "bench/results"
#endif

namespace sfb {

using nlohmann::json;
namespace fs = std::filesystem;

const ImplResult *CaseResult::find(const std::string &name) const {
  for (const auto &i : impls)
    if (i.name == name) return &i;
  return nullptr;
}

void parse_git_from_build_info(const std::string &build_info, std::string *hash, bool *dirty) {
  *hash = "unknown";
  *dirty = false;
  std::istringstream in(build_info);
  std::string tok, prev;
  while (in >> tok) {
    if (prev == "git") {
      const std::string suffix = "-dirty";
      if (tok.size() > suffix.size() && tok.compare(tok.size() - suffix.size(), suffix.size(), suffix) == 0) {
        *dirty = true;
        tok.resize(tok.size() - suffix.size());
      }
      *hash = tok;
      return;
    }
    prev = tok;
  }
}

std::string device_slug(const std::string &device_name) {
  std::string s;
  for (unsigned char c : device_name) {
    if (std::isalnum(c)) {
      s.push_back(static_cast<char>(std::tolower(c)));
    } else if (!s.empty() && s.back() != '-') {
      s.push_back('-');
    }
  }
  while (!s.empty() && s.back() == '-') s.pop_back();
  return s.empty() ? "unknown-device" : s;
}

std::string utc_time(const char *format) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string default_results_dir() {
  std::error_code ec;
  const std::filesystem::path compiled(SF_BENCH_RESULTS_DIR);
  return std::filesystem::is_directory(compiled.parent_path(), ec) ? compiled.string()
                                                                   : "bench/results";
}

std::string default_report_path(const std::string &results_dir, const std::string &device_name,
                                const std::string &date, bool validate) {
  std::string name = device_slug(device_name) + "-" + date + (validate ? "-validate" : "") + ".json";
  return (fs::path(results_dir) / name).string();
}

json device_to_json(const DeviceInfo &d) {
  json j;
  j["index"] = d.index;
  j["name"] = d.name;
  j["pci_bus_id"] = d.pci_bus_id;
  j["uuid"] = d.uuid;
  j["compute_capability"] = std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor);
  j["sm_version"] = d.cc_major * 10 + d.cc_minor;
  j["sm_count"] = d.sm_count;
  j["sm_clock_peak_khz"] = d.sm_clock_khz;
  j["memory_clock_peak_khz"] = d.memory_clock_khz;
  j["memory_bus_width_bits"] = d.memory_bus_width_bits;
  j["theoretical_memory_bandwidth_bytes_per_s"] =
      d.theoretical_bandwidth_bytes_per_s > 0 ? json(d.theoretical_bandwidth_bytes_per_s) : json(nullptr);
  j["total_memory_bytes"] = d.total_memory_bytes;
  j["free_memory_bytes_at_start"] = d.free_memory_bytes_at_start;
  j["l2_cache_bytes"] = d.l2_bytes;
  j["persisting_l2_max_bytes"] = d.persisting_l2_max_bytes;
  j["shared_memory_per_sm_bytes"] = d.shared_memory_per_sm_bytes;
  j["ecc_enabled"] = d.ecc_enabled;
  j["driver_version"] = d.driver_version;
  j["runtime_version"] = d.runtime_version;
  return j;
}

json check_to_json(const ErrorCheck &c) {
  json j;
  j["reference"] = c.reference;
  j["coverage"] = c.coverage;
  j["elements"] = c.elements;
  if (c.coverage == "sampled") {
    j["sampled_m"] = c.sampled_m;
    j["sampled_n"] = c.sampled_n;
  }
  j["sets"] = c.sets;
  j["max_abs_err"] = c.max_abs_err;
  j["max_rel_err"] = c.max_rel_err;
  j["ref_rms"] = c.ref_rms;
  j["nonfinite"] = c.nonfinite;
  j["threshold"] = c.threshold;
  j["passed"] = c.passed;
  return j;
}

namespace {

json null_if_nonpositive(double v) { return (std::isfinite(v) && v > 0) ? json(v) : json(nullptr); }

json impl_to_json(const ImplResult &r, double flop, double copy_bw, double *median_ms_out) {
  json j;
  j["status"] = r.status;
  j["reason"] = r.reason;
  const uint64_t total = r.weight_bytes + r.activation_bytes + r.output_bytes;
  j["bytes"] = {{"weight", r.weight_bytes},
                {"activations", r.activation_bytes},
                {"output", r.output_bytes},
                {"total", total}};
  *median_ms_out = 0;
  if (r.timed && !r.timing.samples_ms.empty()) {
    SampleStats s = summarize(r.timing.samples_ms);
    json t;
    t["method"] = r.timing.method;
    t["note"] = r.timing.note;
    t["samples"] = s.count;
    t["calls_per_sample"] = r.timing.calls_per_sample;
    t["warmup_ms"] = r.timing.warmup_ms;
    t["median_ms"] = s.median;
    t["min_ms"] = s.min;
    t["max_ms"] = s.max;
    t["mean_ms"] = s.mean;
    t["stddev_ms"] = s.stddev;
    t["rel_spread"] = s.rel_spread;
    t["rel_stddev"] = s.rel_stddev;
    t["samples_ms"] = r.timing.samples_ms;
    j["timing"] = t;
    const double sec = s.median * 1e-3;
    *median_ms_out = s.median;
    j["tflops"] = sec > 0 ? json(flop / sec / 1e12) : json(nullptr);
    const double bw = sec > 0 ? static_cast<double>(total) / sec : 0;
    j["bandwidth_bytes_per_s"] = null_if_nonpositive(bw);
    j["copy_bandwidth_fraction"] = (bw > 0 && copy_bw > 0) ? json(bw / copy_bw) : json(nullptr);
  } else {
    j["timing"] = nullptr;
    j["tflops"] = nullptr;
    j["bandwidth_bytes_per_s"] = nullptr;
    j["copy_bandwidth_fraction"] = nullptr;
  }
  json checks = json::object();
  for (const auto &kv : r.checks) checks[kv.first] = check_to_json(kv.second);
  j["checks"] = checks;
  j["details"] = r.details;
  return j;
}

}  // namespace

json case_to_json(const CaseResult &c, double copy_bw) {
  json j;
  j["id"] = c.id;
  j["suite"] = c.suite;
  const bool linear = (c.convention == "linear");
  j["axes"] = {{"layer", c.layer.empty() ? json(nullptr) : json(c.layer)},
               {"M", c.m},
               {"N", c.n},
               {"K", c.k},
               {"dtype", c.dtype},
               {"convention", c.convention},
               {"batch", linear ? json(c.n) : json(nullptr)},
               {"n_out", linear ? json(c.m) : json(nullptr)}};
  j["status"] = c.status;
  j["reason"] = c.reason;
  const double flop = 2.0 * static_cast<double>(c.m) * static_cast<double>(c.n) * static_cast<double>(c.k);
  j["flop"] = flop;
  j["rotation"] = {{"sets", c.rotation_sets},
                   {"bytes_per_set", c.rotation_bytes_per_set},
                   {"working_set_bytes", c.rotation_bytes_per_set * static_cast<uint64_t>(c.rotation_sets)},
                   {"note", c.rotation_note}};
  j["seconds"] = c.seconds;

  json impls = json::object();
  std::map<std::string, double> median;
  for (const auto &r : c.impls) {
    double m = 0;
    impls[r.name] = impl_to_json(r, flop, copy_bw, &m);
    if (r.status == "ok" && m > 0) median[r.name] = m;
  }
  j["implementations"] = impls;

  auto ratio = [&](const std::string &base, const std::string &impl) -> json {
    auto b = median.find(base), i = median.find(impl);
    if (b == median.end() || i == median.end()) return nullptr;
    return b->second / i->second;
  };
  j["speedups"] = {{"sparseflow_vs_cublaslt", ratio("cublaslt", "sparseflow")},
                   {"sparseflow_vs_cusparselt", ratio("cusparselt", "sparseflow")},
                   {"cusparselt_vs_cublaslt", ratio("cublaslt", "cusparselt")}};

  // SparseFlow's worst error over its correctness checks, for a quick look.
  json errors = nullptr;
  if (const ImplResult *sf = c.find("sparseflow")) {
    if (!sf->checks.empty()) {
      double max_abs = 0, max_rel = 0, threshold = 0;
      int64_t nonfinite = 0;
      bool passed = true;
      for (const auto &kv : sf->checks) {
        max_abs = std::max(max_abs, kv.second.max_abs_err);
        max_rel = std::max(max_rel, kv.second.max_rel_err);
        threshold = kv.second.threshold;
        nonfinite += kv.second.nonfinite;
        passed = passed && kv.second.passed;
      }
      errors = {{"max_abs_err", max_abs},
                {"max_rel_err", max_rel},
                {"nonfinite", nonfinite},
                {"threshold", threshold},
                {"passed", passed}};
    }
  }
  j["errors"] = errors;
  return j;
}

void finalize_case_status(CaseResult &c) {
  if (c.status == "skipped") return;
  for (const auto &r : c.impls) {
    if (r.status == "failed") {
      c.status = "failed";
      if (c.reason.empty()) c.reason = r.name + ": " + r.reason;
      return;
    }
  }
  const ImplResult *sf = c.find("sparseflow");
  if (c.status == "ok" && (!sf || sf->status != "ok")) {
    c.status = "failed";
    if (c.reason.empty())
      c.reason = sf ? ("sparseflow " + sf->status + ": " + sf->reason) : "sparseflow was not run";
  }
}

json build_report(const RunInfo &run, const DeviceInfo &dev, const std::vector<CaseResult> &cases) {
  json j;
  j["schema_version"] = kReportSchemaVersion;
  j["kind"] = "sf_bench.report";
  j["mode"] = run.mode;
  j["created_utc"] = run.created_utc;
  j["command_line"] = run.command_line;
  j["host"] = {{"hostname", run.hostname}};

  std::string lib_hash;
  bool lib_dirty = false;
  parse_git_from_build_info(run.library.build_info, &lib_hash, &lib_dirty);
  j["library"] = {{"version_string", run.library.version_string},
                  {"version_number", run.library.version_number},
                  {"header_version_number", run.library.header_version_number},
                  {"header_matches_library", run.library.version_number == run.library.header_version_number},
                  {"build_info", run.library.build_info},
                  {"git_hash", lib_hash},
                  {"git_dirty", lib_dirty},
                  {"forced_kernel_family", run.library.forced_kernel_family.empty()
                                               ? json(nullptr)
                                               : json(run.library.forced_kernel_family)}};
  j["bench"] = {{"name", "sf_bench"},
                {"git_hash", run.bench.git_hash},
                {"git_dirty", run.bench.git_dirty},
                {"compiler", run.bench.compiler},
                {"build_type", run.bench.build_type},
                {"cuda_toolkit", run.bench.cuda_toolkit},
                {"cusparselt_compiled", run.bench.cusparselt_compiled},
                {"cusparselt_header_version", run.bench.cusparselt_header_version}};
  j["baselines"] = run.baselines;
  j["device"] = device_to_json(dev);
  j["measurement"] = {
      {"timing_method", run.timing_method},
      {"warmup_ms", run.warmup_ms},
      {"samples", run.samples},
      {"target_sample_ms", run.sample_ms},
      {"max_calls_per_sample", run.max_calls},
      {"statistic", "per-call GPU time of each sample (sample time / calls); median, min, max over samples"},
      {"sample_order", "interleaved"},
      {"l2_rotation", {{"rotate_factor", run.rotate_factor},
                       {"max_sets", run.max_sets},
                       {"rule", "sets = 1 + ceil(rotate_factor * L2 / bytes_per_set), at least 2, at most "
                                "max_sets, fewer when GPU memory is short; set i holds its own copy of the "
                                "weight, activations and output"}}},
      {"cublas_candidates", run.cublas_candidates},
      {"copy_bandwidth", {{"bytes", run.copy_bytes},
                          {"samples_ms", run.copy_samples_ms},
                          {"bytes_per_s", null_if_nonpositive(run.copy_bandwidth_bytes_per_s)},
                          {"method", "cudaMemcpyAsync device to device; bandwidth = 2 * bytes (read + "
                                     "written) / median time"}}}};
  j["validation"] = {
      {"rtol", {{"f16", run.rtol_f16}, {"bf16", run.rtol_bf16}}},
      {"metric", "max_rel_err = max |out - ref| / max(|ref|, rms(ref)); pass when max_rel_err <= rtol "
                 "and no output element is NaN/Inf (outputs are poisoned with 0xFF bytes first)"},
      {"references", {{"fp64_host", "double-precision dot products of the pruned weight and the inputs on "
                                    "the host; all elements when M*N*K <= ref_macs, else whole output lines "
                                    "for a random sample of M and N indices (first and last included)"},
                      {"cublaslt", "cuBLASLt dense GEMM on the pruned weight, fp32 accumulation, every element"}}},
      {"ref_macs", run.ref_macs},
      {"seed", run.seed}};

  json jc = json::array();
  int ok = 0, failed = 0, skipped = 0;
  json failed_ids = json::array(), skipped_ids = json::array();
  for (const auto &c : cases) {
    jc.push_back(case_to_json(c, run.copy_bandwidth_bytes_per_s));
    if (c.status == "ok") {
      ++ok;
    } else if (c.status == "skipped") {
      ++skipped;
      skipped_ids.push_back(c.id);
    } else {
      ++failed;
      failed_ids.push_back(c.id);
    }
  }
  j["cases"] = jc;
  j["summary"] = {{"cases", static_cast<int>(cases.size())},
                  {"ok", ok},
                  {"failed", failed},
                  {"skipped", skipped},
                  {"failed_ids", failed_ids},
                  {"skipped_ids", skipped_ids},
                  {"aborted", run.aborted},
                  {"abort_reason", run.abort_reason}};
  return j;
}

std::string check_report_path_writable(const std::string &path) {
  if (path.empty()) return "empty report path";
  fs::path p(path);
  std::error_code ec;
  if (fs::is_directory(p, ec)) return "'" + path + "' is a directory";
  fs::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return "cannot create folder '" + dir.string() + "': " + ec.message();
  }
  if (!fs::is_directory(dir, ec)) return "'" + dir.string() + "' is not a folder";
  const fs::path probe = dir / (".sf_bench_write_test_" + std::to_string(::getpid()));
  {
    std::ofstream f(probe);
    if (!f) return "cannot write in folder '" + dir.string() + "': " + std::strerror(errno);
  }
  fs::remove(probe, ec);
  if (fs::exists(p, ec) && ::access(path.c_str(), W_OK) != 0)
    return "'" + path + "' exists and is not writable";
  return "";
}

void write_json_atomic(const std::string &path, const json &j) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::out | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot open '" + tmp + "' for writing: " + std::strerror(errno));
    f << j.dump(2) << '\n';
    f.flush();
    if (!f) throw std::runtime_error("cannot write '" + tmp + "'");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(errno));
}

}  // namespace sfb
