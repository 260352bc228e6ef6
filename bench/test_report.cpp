// bench_report: sf_bench's GPU-free parts (report writer, ROI, statistics, command line, shapes,
// host reference, tables) on made-up data. Runs in CI without a GPU.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "catch_compat.hpp"
#include "cli.hpp"
#include "crossover.hpp"
#include "host_reference.hpp"
#include "report.hpp"
#include "roi.hpp"
#include "shapes.hpp"
#include "stats.hpp"
#include "table.hpp"

using nlohmann::json;
using namespace sfb;

namespace {

bool near(double a, double b, double rel = 1e-12) { return std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b)); }

std::string tmp_dir() {
  std::filesystem::path p(SF_BENCH_TEST_TMPDIR);
  std::filesystem::create_directories(p);
  return p.string();
}

ImplResult timed_impl(const std::string &name, std::vector<double> samples, uint64_t weight_bytes) {
  ImplResult r;
  r.name = name;
  r.status = "ok";
  r.weight_bytes = weight_bytes;
  r.activation_bytes = 16 * 8192 * 2;
  r.output_bytes = 16 * 10240 * 2;
  r.timed = true;
  r.timing.method = "cuda_graph";
  r.timing.calls_per_sample = 300;
  r.timing.warmup_ms = 51.5;
  r.timing.samples_ms = std::move(samples);
  ErrorCheck c;
  c.reference = "fp64_host";
  c.coverage = "all";
  c.elements = 16 * 10240;
  c.max_abs_err = 0.01;
  c.max_rel_err = 4e-4;
  c.ref_rms = 20.0;
  c.threshold = 1.953125e-3;
  c.passed = true;
  r.checks["vs_fp64"] = c;
  return r;
}

// qkv at batch 16, f16: SparseFlow 0.035 ms, cuBLASLt 0.070 ms, cuSPARSELt 0.040 ms.
CaseResult fake_case(const std::string &layer, int64_t m, int64_t k, int64_t batch, double sf_ms, double dense_ms) {
  CaseResult c;
  c.id = "llama70b/" + layer + "/f16/b" + std::to_string(batch);
  c.suite = "llama70b";
  c.layer = layer;
  c.m = m;
  c.n = batch;
  c.k = k;
  c.dtype = "f16";
  c.convention = "linear";
  c.rotation_sets = 3;
  c.rotation_bytes_per_set = 1000;
  c.impls.push_back(timed_impl("sparseflow", {sf_ms * 1.02, sf_ms, sf_ms * 0.99, sf_ms * 1.01, sf_ms}, 9 * 1024));
  c.impls.push_back(timed_impl("cublaslt", {dense_ms, dense_ms, dense_ms}, 16 * 1024));
  ImplResult cs;
  cs.name = "cusparselt";
  cs.status = "skipped";
  cs.reason = "cuSPARSELt refused the problem: cusparseLtDenseDescriptorInit: CUSPARSE_STATUS_NOT_SUPPORTED";
  c.impls.push_back(cs);
  finalize_case_status(c);
  return c;
}

RunInfo fake_run() {
  RunInfo r;
  r.mode = "bench";
  r.created_utc = "2026-11-24T10:00:00Z";
  r.command_line = {"sf_bench", "--batches", "16"};
  r.hostname = "gpu-box";
  r.bench.git_hash = "abcdef123456";
  r.bench.git_dirty = true;
  r.library.version_string = "0.1.0";
  r.library.version_number = 100;
  r.library.header_version_number = 100;
  r.library.build_info = "sparseflow 0.1.0 git 1a2b3c4-dirty cuda 13.0 archs 80;86;89;90a ptx 90 format 1";
  r.timing_method = "cuda_graph";
  r.samples = 5;
  r.copy_bandwidth_bytes_per_s = 3.0e12;
  r.rtol_f16 = 1.953125e-3;
  r.rtol_bf16 = 1.5625e-2;
  return r;
}

DeviceInfo fake_device() {
  DeviceInfo d;
  d.name = "NVIDIA H100 80GB HBM3";
  d.cc_major = 9;
  d.cc_minor = 0;
  d.sm_count = 132;
  d.l2_bytes = 50u << 20;
  d.memory_clock_khz = 2619000;
  d.memory_bus_width_bits = 5120;
  d.theoretical_bandwidth_bytes_per_s = 3.35e12;
  d.total_memory_bytes = 85899345920ull;
  d.driver_version = 13000;
  d.runtime_version = 13000;
  return d;
}

}  // namespace

TEST_CASE("report: top-level blocks", "[report]") {
  std::vector<CaseResult> cases{fake_case("qkv", 10240, 8192, 16, 0.035, 0.070)};
  const json j = build_report(fake_run(), fake_device(), cases);
  CHECK(j["schema_version"] == kReportSchemaVersion);
  CHECK(j["kind"] == "sf_bench.report");
  CHECK(j["mode"] == "bench");
  CHECK(j["library"]["git_hash"] == "1a2b3c4");
  CHECK(j["library"]["git_dirty"] == true);
  CHECK(j["library"]["header_matches_library"] == true);
  CHECK(j["bench"]["git_hash"] == "abcdef123456");
  CHECK(j["bench"]["git_dirty"] == true);
  CHECK(j["device"]["name"] == "NVIDIA H100 80GB HBM3");
  CHECK(j["device"]["compute_capability"] == "9.0");
  CHECK(j["device"]["sm_count"] == 132);
  CHECK(j["device"]["l2_cache_bytes"] == (50u << 20));
  CHECK(j["device"]["driver_version"] == 13000);
  CHECK(j["measurement"]["copy_bandwidth"]["bytes_per_s"] == 3.0e12);
  CHECK(j["measurement"]["sample_order"] == "interleaved");
  CHECK(j["validation"]["rtol"]["f16"] == 1.953125e-3);
  CHECK(j["summary"]["cases"] == 1);
  CHECK(j["summary"]["ok"] == 1);
  CHECK(j["summary"]["failed"] == 0);
}

TEST_CASE("report: a measured case", "[report]") {
  const CaseResult c = fake_case("qkv", 10240, 8192, 16, 0.035, 0.070);
  REQUIRE(c.status == "ok");
  const json j = case_to_json(c, 3.0e12);
  CHECK(j["id"] == "llama70b/qkv/f16/b16");
  CHECK(j["axes"]["layer"] == "qkv");
  CHECK(j["axes"]["M"] == 10240);
  CHECK(j["axes"]["N"] == 16);
  CHECK(j["axes"]["K"] == 8192);
  CHECK(j["axes"]["batch"] == 16);
  CHECK(j["axes"]["dtype"] == "f16");
  CHECK(j["axes"]["convention"] == "linear");
  CHECK(j["rotation"]["sets"] == 3);
  CHECK(j["rotation"]["working_set_bytes"] == 3000);

  const json &sf = j["implementations"]["sparseflow"];
  CHECK(sf["status"] == "ok");
  const json &t = sf["timing"];
  CHECK(near(t["median_ms"].get<double>(), 0.035));
  CHECK(near(t["min_ms"].get<double>(), 0.035 * 0.99));
  CHECK(near(t["max_ms"].get<double>(), 0.035 * 1.02));
  CHECK(near(t["rel_spread"].get<double>(), 0.03));
  CHECK(t["samples"] == 5);
  CHECK(t["samples_ms"].size() == 5);
  CHECK(t["calls_per_sample"] == 300);
  const double flop = 2.0 * 10240 * 16 * 8192;
  CHECK(near(j["flop"].get<double>(), flop));
  CHECK(near(sf["tflops"].get<double>(), flop / 0.035e-3 / 1e12));
  const double bytes = 9 * 1024 + 16 * 8192 * 2 + 16 * 10240 * 2;
  CHECK(sf["bytes"]["total"] == static_cast<uint64_t>(bytes));
  CHECK(near(sf["bandwidth_bytes_per_s"].get<double>(), bytes / 0.035e-3));
  CHECK(near(sf["copy_bandwidth_fraction"].get<double>(), bytes / 0.035e-3 / 3.0e12));
  CHECK(sf["checks"]["vs_fp64"]["passed"] == true);
  CHECK(sf["checks"]["vs_fp64"]["coverage"] == "all");

  CHECK(near(j["speedups"]["sparseflow_vs_cublaslt"].get<double>(), 2.0));
  CHECK(j["speedups"]["sparseflow_vs_cusparselt"].is_null());
  CHECK(j["speedups"]["cusparselt_vs_cublaslt"].is_null());

  const json &cs = j["implementations"]["cusparselt"];
  CHECK(cs["status"] == "skipped");
  CHECK(cs["reason"].get<std::string>().find("NOT_SUPPORTED") != std::string::npos);
  CHECK(cs["timing"].is_null());
  CHECK(cs["tflops"].is_null());

  CHECK(j["errors"]["passed"] == true);
  CHECK(near(j["errors"]["max_rel_err"].get<double>(), 4e-4));
}

TEST_CASE("report: failed and skipped cases", "[report]") {
  CaseResult bad = fake_case("o", 8192, 8192, 1, 0.03, 0.05);
  bad.impls[0].status = "failed";
  bad.impls[0].reason = "check vs_fp64: max_rel_err 3e-1";
  bad.impls[0].timed = false;
  bad.impls[0].checks["vs_fp64"].passed = false;
  bad.status = "ok";
  finalize_case_status(bad);
  CHECK(bad.status == "failed");
  CHECK(bad.reason.find("sparseflow") != std::string::npos);

  CaseResult skipped = fake_case("down", 8192, 28672, 16384, 1, 2);
  skipped.status = "skipped";
  skipped.reason = "needs about 90 GiB of GPU memory";
  finalize_case_status(skipped);
  CHECK(skipped.status == "skipped");

  CaseResult none;  // SparseFlow never ran
  none.id = "x";
  finalize_case_status(none);
  CHECK(none.status == "failed");

  const json j = build_report(fake_run(), fake_device(), {bad, skipped, fake_case("qkv", 10240, 8192, 16, 1, 2)});
  CHECK(j["summary"]["cases"] == 3);
  CHECK(j["summary"]["failed"] == 1);
  CHECK(j["summary"]["skipped"] == 1);
  CHECK(j["summary"]["ok"] == 1);
  CHECK(j["summary"]["failed_ids"][0] == "llama70b/o/f16/b1");
  CHECK(j["summary"]["skipped_ids"][0] == "llama70b/down/f16/b16384");
  const json &c0 = j["cases"][0];
  CHECK(c0["status"] == "failed");
  CHECK(c0["implementations"]["sparseflow"]["timing"].is_null());
  CHECK(c0["speedups"]["sparseflow_vs_cublaslt"].is_null());
  CHECK(c0["errors"]["passed"] == false);
}

TEST_CASE("report: build info, slug, paths, atomic write", "[report]") {
  std::string hash;
  bool dirty = true;
  parse_git_from_build_info("sparseflow 0.1.0 git 1a2b3c4 cuda 13.0", &hash, &dirty);
  CHECK(hash == "1a2b3c4");
  CHECK(dirty == false);
  parse_git_from_build_info("sparseflow 0.1.0 (no git)", &hash, &dirty);
  CHECK(hash == "unknown");

  CHECK(device_slug("NVIDIA H100 80GB HBM3") == "nvidia-h100-80gb-hbm3");
  CHECK(device_slug("  NVIDIA  H200 (NVL) ") == "nvidia-h200-nvl");
  CHECK(device_slug("") == "unknown-device");
  CHECK(default_report_path("bench/results", "NVIDIA H100 80GB HBM3", "2026-11-24", false) ==
        "bench/results/nvidia-h100-80gb-hbm3-2026-11-24.json");
  CHECK(default_report_path("r", "NVIDIA H100 80GB HBM3", "2026-11-24", true) ==
        "r/nvidia-h100-80gb-hbm3-2026-11-24-validate.json");

  const std::string dir = tmp_dir();
  const std::string path = dir + "/sub/report.json";
  CHECK(check_report_path_writable(path) == "");
  const json j = build_report(fake_run(), fake_device(), {fake_case("qkv", 10240, 8192, 16, 1, 2)});
  write_json_atomic(path, j);
  std::ifstream in(path);
  const json back = json::parse(in);
  CHECK(back == j);
  CHECK(!std::filesystem::exists(path + ".tmp"));

  // A folder cannot be created below a regular file; a folder is not a file.
  CHECK(check_report_path_writable(path + "/inside.json") != "");
  CHECK(check_report_path_writable(dir) != "");
  CHECK(check_report_path_writable("") != "");
}

TEST_CASE("stats: median, spread, errors", "[stats]") {
  SampleStats s = summarize({3, 1, 2});
  CHECK(s.median == 2);
  CHECK(s.min == 1);
  CHECK(s.max == 3);
  CHECK(near(s.rel_spread, 1.0));
  CHECK(near(s.stddev, 1.0));
  CHECK(summarize({4, 1, 2, 3}).median == 2.5);
  CHECK(summarize({5}).stddev == 0);
  REQUIRE_THROWS_AS(summarize({}), std::invalid_argument);
  REQUIRE_THROWS_AS(summarize({1, NAN}), std::invalid_argument);
}

TEST_CASE("roi: GPUs and savings", "[roi]") {
  RoiInput in;
  in.tokens_per_day = 86400.0 * 1000;  // 1000 per second
  in.dense_per_gpu_per_s = 100;        // 10 GPUs dense
  in.gpu_hour_cost = 2.0;
  in.gemm_speedup = 2.0;
  RoiResult r = compute_roi(in);
  CHECK(near(r.demand_per_s, 1000));
  CHECK(r.dense_gpus == 10);
  CHECK(r.sparseflow_gpus == 5);
  CHECK(r.gpus_saved == 5);
  CHECK(near(r.savings_per_month, 5 * 2.0 * 730));
  CHECK(near(r.savings_per_year, 5 * 2.0 * 8760));
  CHECK(near(r.dense_cost_per_month, 10 * 2.0 * 730));

  in.gemm_fraction = 0.5;  // Amdahl: 1 / (0.5 + 0.25) = 4/3
  r = compute_roi(in);
  CHECK(near(r.end_to_end_speedup, 4.0 / 3.0));
  CHECK(r.sparseflow_gpus == 8);  // 7.5 -> 8
  CHECK(r.gpus_saved == 2);

  in.gemm_fraction = 1;
  in.gemm_speedup = 0.8;  // slower: costs more
  r = compute_roi(in);
  CHECK(r.sparseflow_gpus == 13);  // 12.5 -> 13
  CHECK(r.gpus_saved == -3);
  CHECK(r.savings_per_month < 0);

  in.gemm_speedup = 0;
  REQUIRE_THROWS_AS(compute_roi(in), std::invalid_argument);
  in.gemm_speedup = 2;
  in.gemm_fraction = 1.5;
  REQUIRE_THROWS_AS(compute_roi(in), std::invalid_argument);
}

TEST_CASE("roi: time-weighted speedup from a report", "[roi]") {
  std::vector<CaseResult> cases{fake_case("qkv", 10240, 8192, 16, 0.04, 0.06),
                                fake_case("o", 8192, 8192, 16, 0.03, 0.05),
                                fake_case("gate_up", 57344, 8192, 16, 0.20, 0.34),
                                fake_case("down", 8192, 28672, 16, 0.10, 0.17),
                                fake_case("qkv", 10240, 8192, 64, 1.0, 1.0)};
  const json report = build_report(fake_run(), fake_device(), cases);
  MeasuredSpeedup m = measured_speedup(report, 16, "f16", {"qkv", "o", "gate_up", "down"});
  CHECK(near(m.dense_ms_total, 0.06 + 0.05 + 0.34 + 0.17));
  CHECK(near(m.sparseflow_ms_total, 0.04 + 0.03 + 0.20 + 0.10));
  CHECK(near(m.speedup, 0.62 / 0.37));
  CHECK(m.layers.size() == 4);
  CHECK(m.device == "NVIDIA H100 80GB HBM3");

  REQUIRE_THROWS_AS(measured_speedup(report, 128, "f16", {"qkv"}), std::runtime_error);  // not measured
  REQUIRE_THROWS_AS(measured_speedup(report, 16, "bf16", {"qkv"}), std::runtime_error);
  json validate = report;
  validate["mode"] = "validate";
  REQUIRE_THROWS_AS(measured_speedup(validate, 16, "f16", {"qkv"}), std::runtime_error);
  json failed = report;
  failed["cases"][0]["status"] = "failed";
  REQUIRE_THROWS_AS(measured_speedup(failed, 16, "f16", {"qkv"}), std::runtime_error);

  RoiInput in;
  in.tokens_per_day = 1e9;
  in.dense_per_gpu_per_s = 2000;
  in.gpu_hour_cost = 3;
  in.gemm_speedup = m.speedup;
  const RoiResult r = compute_roi(in);
  const json jr = roi_to_json(in, r, &m);
  CHECK(jr["inputs"]["gemm_speedup_source"] == "report");
  CHECK(jr["measured"]["layers"].size() == 4);
  CHECK(jr["result"]["dense_gpus"] == 6);  // 1e9 / 86400 / 2000 = 5.79
  const std::string text = roi_to_text(in, r, &m, 16, "f16");
  CHECK(text.find("time-weighted") != std::string::npos);
  CHECK(text.find("per year") != std::string::npos);
}

TEST_CASE("cli: benchmark options", "[cli]") {
  ParsedArgs p = parse_args({}, "shapes.json");
  CHECK(p.command == Command::Bench);
  CHECK(p.bench.run_llama);
  CHECK(p.bench.dtypes.size() == 2);
  CHECK(p.bench.shapes_path == "shapes.json");

  p = parse_args({"--validate", "--layers", "qkv,o", "--batches=1,16", "--dtypes", "bf16", "--out", "x.json"}, "s");
  CHECK(p.bench.validate);
  CHECK(p.bench.layers == std::vector<std::string>{"qkv", "o"});
  CHECK(p.bench.batches == std::vector<int64_t>{1, 16});
  CHECK(p.bench.dtypes == std::vector<DType>{DType::BF16});
  CHECK(p.bench.out_path == "x.json");

  p = parse_args({"validate", "--shape", "4096,16,4096", "--shape", "64,1,32", "--layout", "row-major"}, "s");
  CHECK(p.bench.validate);
  CHECK(!p.bench.run_llama);
  REQUIRE(p.bench.shapes.size() == 2);
  CHECK(p.bench.shapes[1].m == 64);
  CHECK(p.bench.custom_layout == Layout::RowMajor);

  p = parse_args({"--suite", "llama70b", "--shape", "4096,16,4096", "--layers", "o"}, "s");
  CHECK(p.bench.run_llama);

  CHECK(parse_args({"--help"}, "s").command == Command::Help);
  CHECK(parse_args({"roi", "--help"}, "s").command == Command::RoiHelp);
  CHECK(parse_args({"--version"}, "s").command == Command::Version);

  REQUIRE_THROWS_AS(parse_args({"--frobnicate"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"stray"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"--samples"}, "s"), UsageError);               // missing value
  REQUIRE_THROWS_AS(parse_args({"--samples", "ten"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"--samples", "0"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"--shape", "4096,16,100"}, "s"), UsageError);  // K % 32
  REQUIRE_THROWS_AS(parse_args({"--shape", "0,16,4096"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"--shape", "4096,16"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"--shape", "4000000000,16,4096"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"--shape", "4096,16,4096", "--layers", "qkv"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"--layout", "row-major"}, "s"), UsageError);  // no --shape
  REQUIRE_THROWS_AS(parse_args({"--dtypes", "f8"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"--validate=yes"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"--suite", "custom"}, "s"), UsageError);
}

TEST_CASE("cli: tp options", "[cli]") {
  ParsedArgs p = parse_args({"tp"}, "s");
  CHECK(p.command == Command::Tp);
  CHECK(p.tp.tps.empty());  // every TP the machine allows
  CHECK(p.tp.dtypes.size() == 2);
  CHECK(!p.tp.batches.empty());

  p = parse_args({"tp", "--tp", "1,2", "--batches=1,7", "--dtypes", "bf16", "--repeats", "5",
                  "--out", "t.json"}, "s");
  CHECK(p.tp.tps == std::vector<int>{1, 2});
  CHECK(p.tp.batches == std::vector<int64_t>{1, 7});
  CHECK(p.tp.dtypes == std::vector<DType>{DType::BF16});
  CHECK(p.tp.repeats == 5);
  CHECK(p.tp.out_path == "t.json");
  CHECK(parse_args({"tp", "--tp", "2", "--tp", "all"}, "s").tp.tps.empty());
  CHECK(parse_args({"tp", "--help"}, "s").command == Command::TpHelp);

  REQUIRE_THROWS_AS(parse_args({"tp", "--tp", "0"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"tp", "--batches", "0"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"tp", "--repeats", "0"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"tp", "--shape", "1,2,32"}, "s"), UsageError);
}

TEST_CASE("cli: roi options", "[cli]") {
  ParsedArgs p = parse_args({"roi", "--report", "r.json", "--tokens-per-day", "1e9", "--dense-rps-per-gpu", "2000",
                             "--gpu-hour-cost", "2.5", "--batch", "64", "--dtype", "bfloat16"},
                            "s");
  CHECK(p.command == Command::Roi);
  CHECK(p.roi.tokens_per_day == 1e9);
  CHECK(p.roi.dense_per_gpu_per_s == 2000);
  CHECK(p.roi.gpu_hour_cost == 2.5);
  CHECK(p.roi.batch == 64);
  CHECK(p.roi.dtype == "bf16");
  CHECK(p.roi.speedup_override < 0);

  p = parse_args({"roi", "--tokens-per-day", "1e9", "--dense-rps-per-gpu", "2000", "--gpu-hour-cost", "2",
                  "--speedup-override", "1.7"},
                 "s");
  CHECK(p.roi.speedup_override == 1.7);

  REQUIRE_THROWS_AS(parse_args({"roi", "--report", "r.json"}, "s"), UsageError);  // missing numbers
  REQUIRE_THROWS_AS(parse_args({"roi", "--tokens-per-day", "1e9", "--dense-rps-per-gpu", "2000", "--gpu-hour-cost", "2"},
                               "s"),
                    UsageError);  // no report, no override
  REQUIRE_THROWS_AS(parse_args({"roi", "--tokens-per-day", "-5"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"roi", "--gemm-fraction", "2"}, "s"), UsageError);
  REQUIRE_THROWS_AS(parse_args({"show"}, "s"), UsageError);

  ParsedArgs c = parse_args({"crossover", "--report", "a.json", "--report", "b.json", "--tolerance", "0.1"}, "s");
  CHECK(c.command == Command::Crossover);
  CHECK(c.crossover.reports == std::vector<std::string>{"a.json", "b.json"});
  CHECK(c.crossover.tolerance == 0.1);
  REQUIRE_THROWS_AS(parse_args({"crossover", "--report", "a.json"}, "s"), UsageError);  // nothing to compare
  REQUIRE_THROWS_AS(parse_args({"crossover", "--report", "a", "--report", "b", "--tolerance", "1"}, "s"),
                    UsageError);
}

TEST_CASE("shapes: the committed llama70b file", "[shapes]") {
  const ShapesFile s = load_shapes(SF_BENCH_DEFAULT_SHAPES);
  REQUIRE(s.layers.size() == 5);
  CHECK(s.layers[0].name == "qkv");
  CHECK(s.layers[0].n_out == 10240);
  CHECK(s.layers[0].k == 8192);
  CHECK(s.layers[4].name == "down");
  CHECK(s.layers[4].k == 28672);
  CHECK(s.batches.size() == 11);
  CHECK(s.batches.front() == 1);
  CHECK(s.batches.back() == 16384);

  BenchOptions o;
  std::vector<CaseSpec> all = build_cases(o, &s);
  CHECK(all.size() == 5 * 11 * 2);
  CHECK(all[0].id == "llama70b/qkv/f16/b1");
  CHECK(all[0].m == 10240);
  CHECK(all[0].n == 1);
  CHECK(all[0].layout == Layout::Linear);
  CHECK(all[1].weight_key == all[0].weight_key);  // consecutive cases share the weight

  o.layers = {"down"};
  o.batches = {16};
  o.dtypes = {DType::BF16};
  o.shapes = {ShapeArg{64, 3, 96}, ShapeArg{64, 3, 96}};
  std::vector<CaseSpec> some = build_cases(o, &s);
  REQUIRE(some.size() == 2);  // the repeated shape runs once
  CHECK(some[0].id == "llama70b/down/bf16/b16");
  CHECK(some[1].id == "custom/m64-n3-k96/bf16/linear");

  o.layers = {"attention"};
  REQUIRE_THROWS_AS(build_cases(o, &s), UsageError);
  REQUIRE_THROWS_AS(load_shapes(tmp_dir() + "/does-not-exist.json"), UsageError);
  const std::string bad = tmp_dir() + "/bad-shapes.json";
  std::ofstream(bad) << R"({"layers": {"x": {"n_out": 64, "k": 100}}, "batches": [1]})";
  REQUIRE_THROWS_AS(load_shapes(bad), UsageError);  // k not a multiple of 32
}

TEST_CASE("host reference: decoding, sampling, values, errors", "[reference]") {
  CHECK(f16_bits_to_float(0x3c00) == 1.0f);
  CHECK(f16_bits_to_float(0xc000) == -2.0f);
  CHECK(f16_bits_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(f16_bits_to_float(0x7bff) == 65504.0f);
  CHECK(std::isnan(f16_bits_to_float(0xffff)));
  CHECK(bf16_bits_to_float(0x3f80) == 1.0f);
  CHECK(bf16_bits_to_float(0xc040) == -3.0f);
  CHECK(std::isnan(bf16_bits_to_float(0xffff)));

  SamplePlan full = plan_samples(8, 3, 32, 1e9, 1);
  CHECK(full.full);
  CHECK(full.elem_i.size() == 24);

  SamplePlan part = plan_samples(1000, 200, 64, 2.0 * 10 * 200 * 64, 7);  // ~10 lines each way
  CHECK(!part.full);
  CHECK(part.m_idx.front() == 0);
  CHECK(part.m_idx.back() == 999);
  CHECK(part.n_idx.front() == 0);
  CHECK(part.n_idx.back() == 199);
  const size_t expect = part.m_idx.size() * 200 + part.n_idx.size() * (1000 - part.m_idx.size());
  CHECK(part.elem_i.size() == expect);

  // A [2, 4] and X [1, 4] in f16: y = A x^T.
  const uint16_t a[] = {0x3c00, 0x4000, 0, 0, 0, 0, 0xbc00, 0x3800};  // [1, 2, 0, 0], [0, 0, -1, 0.5]
  const uint16_t x[] = {0x4000, 0x3c00, 0x4200, 0x4400};              // [2, 1, 3, 4]
  SamplePlan p = plan_samples(2, 1, 4, 1e9, 1);
  std::vector<double> ref = reference_values(a, x, DType::F16, Layout::Linear, 2, 1, 4, p, 2);
  REQUIRE(ref.size() == 2);
  CHECK(ref[0] == 4.0);
  CHECK(ref[1] == -1.0);
  CHECK(output_offsets(p, Layout::Linear, 2, 1) == std::vector<int64_t>{0, 1});

  // Row-major: B [4, 1] is the same vector; D [2, 1].
  ref = reference_values(a, x, DType::F16, Layout::RowMajor, 2, 1, 4, p, 1);
  CHECK(ref[0] == 4.0);
  CHECK(ref[1] == -1.0);

  ErrorCheck ok = compare_with_reference({0x4400, 0xbc00}, ref, DType::F16, 2e-3, p);  // 4, -1
  CHECK(ok.passed);
  CHECK(ok.max_abs_err == 0);
  ErrorCheck off = compare_with_reference({0x4404, 0xbc00}, ref, DType::F16, 2e-3, p);  // 4.015625
  CHECK(!off.passed);
  CHECK(near(off.max_abs_err, 0.015625));
  ErrorCheck nan = compare_with_reference({0xffff, 0xbc00}, ref, DType::F16, 2e-3, p);
  CHECK(!nan.passed);
  CHECK(nan.nonfinite == 1);
}

TEST_CASE("table: benchmark and validation reports print", "[table]") {
  std::vector<CaseResult> cases{fake_case("qkv", 10240, 8192, 16, 0.035, 0.070)};
  json report = build_report(fake_run(), fake_device(), cases);
  std::ostringstream out;
  print_table(out, report);
  const std::string s = out.str();
  CHECK(s.find("SparseFlow ms") != std::string::npos);
  CHECK(s.find("cuda_graph, samples interleaved, median") != std::string::npos);
  CHECK(s.find("2.00x") != std::string::npos);
  CHECK(s.find("skip (1 case) cusparselt") != std::string::npos);
  CHECK(s.find("1 cases: 1 ok, 0 failed, 0 skipped") != std::string::npos);

  // A report from before the samples were interleaved says nothing of their order.
  report["measurement"].erase("sample_order");
  std::ostringstream before;
  print_table(before, report);
  CHECK(before.str().find("timing: cuda_graph, median per-call") != std::string::npos);

  report["mode"] = "validate";
  std::ostringstream v;
  print_table(v, report);
  CHECK(v.str().find("max rel err") != std::string::npos);
  CHECK(v.str().find("pass") != std::string::npos);
}

TEST_CASE("crossover: the dispatch's choice against forced families", "[crossover]") {
  // The dispatch's run (no family forced): cuBLASLt 70 us at batch 8 and 16.
  RunInfo run = fake_run();
  json chosen = build_report(run, fake_device(), {fake_case("qkv", 10240, 8192, 8, 0.040, 0.070),
                                                  fake_case("qkv", 10240, 8192, 16, 0.035, 0.070)});
  CHECK(chosen["library"]["forced_kernel_family"].is_null());
  // decode forced: as fast as the choice at 8 against dense (its cuBLASLt ran 14% slower, 80 us,
  // and so did it: by raw times alone it would look 14% slower), 20% faster at 16.
  run.library.forced_kernel_family = "decode";
  json decode = build_report(run, fake_device(), {fake_case("qkv", 10240, 8192, 8, 0.040 * 80 / 70.0, 0.080),
                                                  fake_case("qkv", 10240, 8192, 16, 0.035 / 1.2, 0.070)});
  CHECK(decode["library"]["forced_kernel_family"] == "decode");
  // sm90 forced: only batch 16 ran, and it failed its check (left out).
  run.library.forced_kernel_family = "sm90";
  CaseResult failed = fake_case("qkv", 10240, 8192, 16, 0.010, 0.070);
  failed.impls[0].checks["vs_fp64"].passed = false;
  failed.impls[0].status = "failed";
  finalize_case_status(failed);
  json sm90 = build_report(run, fake_device(), {failed});

  const Crossover c = build_crossover({decode, chosen, sm90}, {"d.json", "c.json", "s.json"});
  CHECK(c.families == std::vector<std::string>{"decode", "sm90"});
  REQUIRE(c.points.size() == 2);
  CHECK(c.points[0].batch == 8);
  CHECK(near(c.points[0].chosen.vs_dense, 1.75));
  REQUIRE(c.points[0].forced.count("decode") == 1);
  CHECK(near(c.points[0].best_over_chosen, 1.0, 1e-9));
  CHECK(c.points[1].forced.count("sm90") == 0);
  CHECK(c.points[1].best_family == "decode");
  CHECK(near(c.points[1].best_over_chosen, 1.2, 1e-9));

  std::ostringstream out;
  print_crossover(out, c, 0.05);
  const std::string s = out.str();
  CHECK(s.find("decode us") != std::string::npos);
  CHECK(s.find("! decode") != std::string::npos);
  CHECK(s.find("2 of 2 cases also ran with a family forced; in 1 a forced family was more than 5% faster: "
               "llama70b/qkv/f16/b16 (decode 1.200)") != std::string::npos);
  std::ostringstream lenient;
  print_crossover(lenient, c, 0.25);
  CHECK(lenient.str().find("in none was a forced family more than 25% faster") != std::string::npos);

  // Unusable sets of reports.
  REQUIRE_THROWS_AS(build_crossover({decode, sm90}, {"d", "s"}), std::runtime_error);      // no choice
  REQUIRE_THROWS_AS(build_crossover({chosen, chosen}, {"c", "c2"}), std::runtime_error);   // two choices
  REQUIRE_THROWS_AS(build_crossover({chosen, decode, decode}, {"c", "d", "d2"}), std::runtime_error);
  json old = chosen;
  old["library"].erase("forced_kernel_family");
  REQUIRE_THROWS_AS(build_crossover({old, decode}, {"o", "d"}), std::runtime_error);
  json validation = decode;
  validation["mode"] = "validate";
  REQUIRE_THROWS_AS(build_crossover({chosen, validation}, {"c", "v"}), std::runtime_error);
  json other_gpu = decode;
  other_gpu["device"]["name"] = "NVIDIA H200";
  REQUIRE_THROWS_AS(build_crossover({chosen, other_gpu}, {"c", "h"}), std::runtime_error);

  // A forced report's table says which family it forced.
  std::ostringstream table;
  print_table(table, decode);
  CHECK(table.str().find("bench mode, kernel family forced: decode") != std::string::npos);
}
