// The JSON report: the data the runner collects and the writer that turns it into the document
// described in bench/REPORT_SCHEMA.md. Pure C++ (no CUDA): unit-tested without a GPU.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sfb {

constexpr int kReportSchemaVersion = 1;

// One correctness check of one implementation's output.
struct ErrorCheck {
  std::string reference;  // "fp64_host" or "cublaslt"
  std::string coverage;   // "all" or "sampled"
  int64_t elements = 0;   // output elements compared
  std::vector<int64_t> sampled_m;  // sampled: whole output lines along N for these rows of A
  std::vector<int64_t> sampled_n;  // sampled: whole output lines along M for these columns (batch rows)
  double max_abs_err = 0;
  double max_rel_err = 0;  // max |out - ref| / max(|ref|, ref_rms)
  double ref_rms = 0;
  int64_t nonfinite = 0;   // NaN/Inf in the output (poisoned, unwritten or overflowed elements)
  int sets = 1;            // output sets checked (post-timing checks cover every rotating set)
  double threshold = 0;
  bool passed = false;
};

struct TimingRecord {
  std::string method;      // "cuda_graph" or "cuda_events"
  std::string note;        // e.g. why graph capture fell back to events
  int calls_per_sample = 0;
  double warmup_ms = 0;    // GPU time spent in warm-up
  std::vector<double> samples_ms;  // per-call time of each sample, ms
};

struct ImplResult {
  std::string name;                 // "sparseflow", "cublaslt", "cusparselt"
  std::string status = "not_run";   // "ok", "failed", "skipped", "not_run"
  std::string reason;               // why failed/skipped/not_run
  uint64_t weight_bytes = 0;        // bytes of the weight as this implementation reads it
  uint64_t activation_bytes = 0;
  uint64_t output_bytes = 0;
  bool timed = false;
  TimingRecord timing;
  std::map<std::string, ErrorCheck> checks;  // "vs_fp64", "vs_cublaslt", "post_timing"
  nlohmann::json details = nlohmann::json::object();  // algorithm choice, workspace, ...
};

struct CaseResult {
  std::string id, suite, layer;
  int64_t m = 0, n = 0, k = 0;
  std::string dtype;       // "f16" / "bf16"
  std::string convention;  // "linear" / "row_major"
  std::string status = "ok";  // "ok", "failed", "skipped"
  std::string reason;
  int rotation_sets = 0;
  uint64_t rotation_bytes_per_set = 0;  // smallest set (SparseFlow's weight + activations + output)
  std::string rotation_note;
  double seconds = 0;  // wall time the case took (setup, checks and timing)
  std::vector<ImplResult> impls;

  const ImplResult *find(const std::string &name) const;
};

struct DeviceInfo {
  int index = 0;
  std::string name, pci_bus_id, uuid;
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  int sm_clock_khz = 0;       // peak, as the driver reports it
  int memory_clock_khz = 0;   // peak
  int memory_bus_width_bits = 0;
  double theoretical_bandwidth_bytes_per_s = 0;  // 2 * memory clock * bus width / 8 (0 if unknown)
  uint64_t total_memory_bytes = 0;
  uint64_t free_memory_bytes_at_start = 0;
  uint64_t l2_bytes = 0;
  uint64_t persisting_l2_max_bytes = 0;
  uint64_t shared_memory_per_sm_bytes = 0;
  bool ecc_enabled = false;
  int driver_version = 0;   // cudaDriverGetVersion, e.g. 13000
  int runtime_version = 0;  // cudaRuntimeGetVersion
};

struct LibraryInfo {
  std::string version_string;
  int version_number = 0;         // sf_version_number() of the loaded library
  int header_version_number = 0;  // SF_VERSION_NUMBER the bench was compiled with
  std::string build_info;         // sf_build_info()
  // SF_GEMM_KERNEL as this process saw it (the library reads the same variable to force a kernel
  // family, kernels/gemm_dispatch.cpp); empty when unset.
  std::string forced_kernel_family;
};

struct BenchBuildInfo {
  std::string git_hash = "unknown";
  bool git_dirty = false;
  std::string compiler, build_type, cuda_toolkit;
  bool cusparselt_compiled = false;
  std::string cusparselt_header_version;
};

struct RunInfo {
  std::string mode = "bench";  // "bench" or "validate"
  std::string created_utc;     // ISO 8601
  std::vector<std::string> command_line;
  std::string hostname;
  BenchBuildInfo bench;
  LibraryInfo library;
  nlohmann::json baselines = nlohmann::json::object();  // versions and availability
  // measurement
  std::string timing_method;
  double warmup_ms = 0, sample_ms = 0;
  int samples = 0, max_calls = 0;
  double rotate_factor = 0;
  int max_sets = 0;
  int cublas_candidates = 0;
  uint64_t copy_bytes = 0;          // size of the D2D copy used for the bandwidth ceiling
  std::vector<double> copy_samples_ms;
  double copy_bandwidth_bytes_per_s = 0;  // 2 * bytes / median time (read + written)
  // correctness
  double rtol_f16 = 0, rtol_bf16 = 0;
  double ref_macs = 0;
  uint64_t seed = 0;
  bool aborted = false;
  std::string abort_reason;
};

// "sparseflow 0.1.0 git 1a2b3c4-dirty cuda 13.0 ..." -> hash "1a2b3c4", dirty true. A string
// without a "git" token gives "unknown", false.
void parse_git_from_build_info(const std::string &build_info, std::string *hash, bool *dirty);

// "NVIDIA H100 80GB HBM3" -> "nvidia-h100-80gb-hbm3".
std::string device_slug(const std::string &device_name);

// The current UTC time formatted by strftime, and this machine's host name ("unknown" if none).
std::string utc_time(const char *format);
std::string host_name();

// bench/results of the source tree compiled in, or of the current folder when that tree is not
// here (a binary run from another copy of the repository, from its root).
std::string default_results_dir();

// <results_dir>/<slug>-<date>.json (or -validate.json).
std::string default_report_path(const std::string &results_dir, const std::string &device_name,
                                const std::string &date_yyyy_mm_dd, bool validate);

nlohmann::json device_to_json(const DeviceInfo &d);
nlohmann::json check_to_json(const ErrorCheck &c);
// copy_bandwidth: bytes/s of the measured D2D copy, 0 if unknown (fractions then null).
nlohmann::json case_to_json(const CaseResult &c, double copy_bandwidth);
nlohmann::json build_report(const RunInfo &run, const DeviceInfo &dev, const std::vector<CaseResult> &cases);

// Overall status of a case from its implementations: "failed" if any implementation failed (or
// SparseFlow did not produce a checked result), else the status it already had.
void finalize_case_status(CaseResult &c);

// "" when `path` can be written (its folder is created if missing), else why not. Leaves no file.
std::string check_report_path_writable(const std::string &path);

// Writes `j` to `path` through a temporary file and a rename, so a reader never sees half a
// report. Throws std::runtime_error.
void write_json_atomic(const std::string &path, const nlohmann::json &j);

}  // namespace sfb
