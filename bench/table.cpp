#include "table.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "text_rows.hpp"

namespace sfb {

using nlohmann::json;

namespace {

const json &impl(const json &c, const char *name) {
  static const json empty = json::object();
  const auto it = c.find("implementations");
  if (it == c.end() || !it->is_object()) return empty;
  const auto j = it->find(name);
  return j == it->end() ? empty : *j;
}

std::string time_cell(const json &i) {
  const std::string st = i.value("status", std::string("not_run"));
  if (st == "failed") return "FAIL";
  if (st == "skipped") return "skip";
  if (st == "not_run") return "-";
  const json t = i.value("timing", json());
  if (!t.is_object()) return "-";
  return fmt("%.4f", t.value("median_ms", 0.0));
}

std::string num_or_dash(const json &v, const char *f, double scale = 1.0) {
  return v.is_number() ? fmt(f, v.get<double>() * scale) : "-";
}

std::string case_label(const json &c) {
  const json ax = c.value("axes", json::object());
  const json layer = ax.value("layer", json());
  if (layer.is_string()) return layer.get<std::string>();
  return "custom " + ax.value("convention", std::string());
}

void print_footnotes(std::ostream &out, const json &cases) {
  std::map<std::string, int> skip_reasons;
  std::vector<std::string> failures;
  for (const auto &c : cases) {
    const json impls = c.value("implementations", json::object());
    for (const auto &kv : impls.items()) {
      if (kv.value().value("status", std::string()) == "skipped")
        ++skip_reasons[kv.key() + ": " + kv.value().value("reason", std::string())];
    }
    const std::string st = c.value("status", std::string());
    if (st == "failed" || st == "skipped")
      failures.push_back(c.value("id", std::string()) + " " + st + ": " + c.value("reason", std::string()));
  }
  for (const auto &kv : skip_reasons)
    out << "skip (" << kv.second << " case" << (kv.second == 1 ? "" : "s") << ") " << kv.first << '\n';
  for (const auto &f : failures) out << f << '\n';
}

void print_bench(std::ostream &out, const json &report) {
  const json &cases = report["cases"];
  std::vector<Row> rows;
  rows.push_back({"layer", "dtype", "M", "N", "K", "cuBLASLt ms", "cuSPARSELt ms", "SparseFlow ms", "vs dense",
                  "vs cuSPARSELt", "SF TFLOP/s", "SF %copyBW", "SF spread", "check"});
  for (const auto &c : cases) {
    const json ax = c.value("axes", json::object());
    const json &sf = impl(c, "sparseflow");
    const json sp = c.value("speedups", json::object());
    const json sft = sf.value("timing", json());
    const std::string st = c.value("status", std::string());
    rows.push_back({case_label(c), ax.value("dtype", std::string()), std::to_string(ax.value("M", 0LL)),
                    std::to_string(ax.value("N", 0LL)), std::to_string(ax.value("K", 0LL)),
                    time_cell(impl(c, "cublaslt")), time_cell(impl(c, "cusparselt")), time_cell(sf),
                    num_or_dash(sp.value("sparseflow_vs_cublaslt", json()), "%.2fx"),
                    num_or_dash(sp.value("sparseflow_vs_cusparselt", json()), "%.2fx"),
                    num_or_dash(sf.value("tflops", json()), "%.1f"),
                    num_or_dash(sf.value("copy_bandwidth_fraction", json()), "%.1f%%", 100.0),
                    sft.is_object() ? num_or_dash(sft.value("rel_spread", json()), "%.1f%%", 100.0) : "-",
                    st == "ok" ? "ok" : (st == "skipped" ? "skip" : "FAIL")});
  }
  print_rows(out, rows);
}

void print_validate(std::ostream &out, const json &report) {
  const json &cases = report["cases"];
  std::vector<Row> rows;
  rows.push_back({"layer", "dtype", "M", "N", "K", "fp64 elements", "max abs err", "max rel err",
                  "rel err vs cuBLASLt", "threshold", "result"});
  for (const auto &c : cases) {
    const json ax = c.value("axes", json::object());
    const json checks = impl(c, "sparseflow").value("checks", json::object());
    const json f = checks.value("vs_fp64", json());
    const json b = checks.value("vs_cublaslt", json());
    std::string elems = "-", abs_err = "-", rel_err = "-", rel_b = "-", thr = "-";
    if (f.is_object()) {
      elems = std::to_string(f.value("elements", 0LL)) + (f.value("coverage", std::string()) == "all" ? " (all)" : " (sampled)");
      abs_err = fmt("%.3e", f.value("max_abs_err", 0.0));
      rel_err = fmt("%.3e", f.value("max_rel_err", 0.0));
      thr = fmt("%.3e", f.value("threshold", 0.0));
      if (f.value("nonfinite", 0LL) > 0) rel_err += " +" + std::to_string(f.value("nonfinite", 0LL)) + " NaN/Inf";
    }
    if (b.is_object()) {
      rel_b = fmt("%.3e", b.value("max_rel_err", 0.0));
      if (b.value("nonfinite", 0LL) > 0) rel_b += " +" + std::to_string(b.value("nonfinite", 0LL)) + " NaN/Inf";
    }
    const std::string st = c.value("status", std::string());
    rows.push_back({case_label(c), ax.value("dtype", std::string()), std::to_string(ax.value("M", 0LL)),
                    std::to_string(ax.value("N", 0LL)), std::to_string(ax.value("K", 0LL)), elems, abs_err, rel_err,
                    rel_b, thr, st == "ok" ? "pass" : (st == "skipped" ? "skip" : "FAIL")});
  }
  print_rows(out, rows);
}

}  // namespace

void print_table(std::ostream &out, const json &report) {
  if (!report.is_object() || !report.contains("cases") || !report["cases"].is_array()) {
    out << "(not an sf_bench report)\n";
    return;
  }
  const json dev = report.value("device", json::object());
  const json lib = report.value("library", json::object());
  const std::string mode = report.value("mode", std::string("bench"));
  out << "SparseFlow " << lib.value("version_string", std::string("?")) << " (git "
      << lib.value("git_hash", std::string("?")) << (lib.value("git_dirty", false) ? "-dirty" : "") << ") on "
      << dev.value("name", std::string("?")) << ", " << mode << " mode";
  const json forced = lib.value("forced_kernel_family", json());
  if (forced.is_string()) out << ", kernel family forced: " << forced.get<std::string>();
  out << '\n';
  if (mode == "bench") {
    const json measurement = report.value("measurement", json::object());
    const json bw = measurement.value("copy_bandwidth", json::object()).value("bytes_per_s", json());
    out << "timing: " << measurement.value("timing_method", std::string("?"))
        << (measurement.contains("sample_order") ? ", samples " + measurement.value("sample_order", std::string("?"))
                                                 : std::string())
        << ", median per-call GPU time; copy bandwidth "
        << (bw.is_number() ? fmt("%.0f GB/s", bw.get<double>() / 1e9) : std::string("?"))
        << "; speedups are cuBLASLt (or cuSPARSELt) time / SparseFlow time\n\n";
    print_bench(out, report);
  } else {
    const json val = report.value("validation", json::object());
    const json macs = val.value("ref_macs", json());
    out << "errors of sf_gemm against the fp64 host reference (and against cuBLASLt on every element);\n"
           "max rel err = max |out - ref| / max(|ref|, rms(ref)), pass when <= threshold and no NaN/Inf;\n"
           "cases with M*N*K above "
        << (macs.is_number() ? fmt("%.3g", macs.get<double>()) : std::string("the budget"))
        << " are checked on whole output rows and columns of a random sample (first and last included;\n"
           "indices in the report), the others on every element\n\n";
    print_validate(out, report);
  }
  out << '\n';
  print_footnotes(out, report["cases"]);
  const json s = report.value("summary", json::object());
  out << s.value("cases", 0) << " cases: " << s.value("ok", 0) << " ok, " << s.value("failed", 0) << " failed, "
      << s.value("skipped", 0) << " skipped";
  if (s.value("aborted", false)) out << " (run aborted: " << s.value("abort_reason", std::string()) << ")";
  out << '\n';
}

}  // namespace sfb
