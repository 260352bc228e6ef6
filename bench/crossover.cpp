#include "crossover.hpp"

#include <stdexcept>

#include "text_rows.hpp"

namespace sfb {

using nlohmann::json;

namespace {

// The median time of implementation `name` in case `c`, or 0 where it did not run and pass.
double median_ms(const json &c, const char *name) {
  const json impls = c.value("implementations", json::object());
  if (!impls.contains(name)) return 0;
  const json &i = impls[name];
  if (i.value("status", std::string()) != "ok") return 0;
  const json t = i.value("timing", json());
  return t.is_object() ? t.value("median_ms", 0.0) : 0.0;
}

bool timed(const json &c, CrossoverTime *time) {
  if (c.value("status", std::string()) != "ok") return false;
  const double sf = median_ms(c, "sparseflow"), dense = median_ms(c, "cublaslt");
  if (sf <= 0 || dense <= 0) return false;
  *time = {sf, dense / sf};
  return true;
}

// The report's forced family ("" for none), after checking that it is a usable benchmark report.
std::string forced_family(const json &report, const std::string &name) {
  auto fail = [&](const std::string &why) {
    throw std::runtime_error("report '" + name + "' " + why);
  };
  if (!report.is_object() || !report.contains("cases") || !report["cases"].is_array())
    fail("is not an sf_bench report");
  if (report.value("mode", std::string()) != "bench") fail("is not a benchmark report");
  const json library = report.value("library", json::object());
  if (!library.contains("forced_kernel_family"))
    fail("has no library.forced_kernel_family (written before 2026-11-25): whether it forced a "
         "kernel family is unknown");
  const json &family = library["forced_kernel_family"];
  if (family.is_null()) return "";
  if (!family.is_string() || family.get<std::string>().empty())
    fail("has a malformed library.forced_kernel_family");
  return family.get<std::string>();
}

}  // namespace

Crossover build_crossover(const std::vector<json> &reports, const std::vector<std::string> &names) {
  if (reports.size() != names.size())
    throw std::logic_error("build_crossover: one name per report");
  Crossover out;
  const json *chosen = nullptr;
  std::map<std::string, const json *> forced;
  for (std::size_t r = 0; r < reports.size(); ++r) {
    const std::string family = forced_family(reports[r], names[r]);
    const std::string device =
        reports[r].value("device", json::object()).value("name", std::string("?"));
    if (r == 0) out.device = device;
    if (device != out.device)
      throw std::runtime_error("report '" + names[r] + "' is from " + device + ", '" + names[0] +
                               "' from " + out.device + ": compare runs of one device");
    if (family.empty()) {
      if (chosen != nullptr)
        throw std::runtime_error("report '" + names[r] +
                                 "' is a second one without a forced kernel family");
      chosen = &reports[r];
    } else {
      if (!forced.emplace(family, &reports[r]).second)
        throw std::runtime_error("report '" + names[r] + "' forces " + family +
                                 ", as an earlier one does");
      out.families.push_back(family);
    }
  }
  if (chosen == nullptr)
    throw std::runtime_error("no report without a forced kernel family (SF_GEMM_KERNEL unset): "
                             "the dispatch's choice is what the others are compared with");

  std::map<std::string, std::map<std::string, CrossoverTime>> forced_times;  // id -> family -> time
  for (const auto &[family, report] : forced)
    for (const json &c : (*report)["cases"]) {
      CrossoverTime t;
      if (timed(c, &t)) forced_times[c.value("id", std::string())][family] = t;
    }
  for (const json &c : (*chosen)["cases"]) {
    CrossoverPoint p;
    if (!timed(c, &p.chosen)) continue;
    const json axes = c.value("axes", json::object());
    p.id = c.value("id", std::string());
    p.layer = axes.value("layer", json()).is_string() ? axes["layer"].get<std::string>() : "custom";
    p.dtype = axes.value("dtype", std::string());
    p.m = axes.value("M", int64_t{0});
    p.k = axes.value("K", int64_t{0});
    p.batch = axes.value("N", int64_t{0});
    const auto it = forced_times.find(p.id);
    if (it != forced_times.end()) p.forced = it->second;
    for (const auto &[family, t] : p.forced) {
      const double over = t.vs_dense / p.chosen.vs_dense;
      if (over > p.best_over_chosen) p.best_family = family, p.best_over_chosen = over;
    }
    out.points.push_back(std::move(p));
  }
  return out;
}

void print_crossover(std::ostream &out, const Crossover &crossover, double tolerance) {
  out << "kernel families on " << crossover.device
      << ": the dispatch's choice against each family forced (SF_GEMM_KERNEL); x dense = cuBLASLt "
         "time / SparseFlow time in the same run, samples interleaved; best/choice = the fastest "
         "forced family's x dense over the choice's\n\n";
  Row header{"layer", "dtype", "M", "K", "batch", "choice us", "x dense"};
  for (const auto &family : crossover.families) {
    header.push_back(family + " us");
    header.push_back("x dense");
  }
  header.insert(header.end(), {"best/choice", ""});
  std::vector<Row> rows{header};
  std::vector<const CrossoverPoint *> beaten;
  int compared = 0;
  for (const auto &p : crossover.points) {
    Row row{p.layer, p.dtype, std::to_string(p.m), std::to_string(p.k), std::to_string(p.batch),
            fmt("%.1f", p.chosen.ms * 1e3), fmt("%.2fx", p.chosen.vs_dense)};
    for (const auto &family : crossover.families) {
      const auto it = p.forced.find(family);
      row.push_back(it == p.forced.end() ? "-" : fmt("%.1f", it->second.ms * 1e3));
      row.push_back(it == p.forced.end() ? "-" : fmt("%.2fx", it->second.vs_dense));
    }
    const bool beat = !p.forced.empty() && p.best_over_chosen > 1 + tolerance;
    row.push_back(p.forced.empty() ? "-" : fmt("%.3f", p.best_over_chosen));
    row.push_back(beat ? "! " + p.best_family : "");
    rows.push_back(std::move(row));
    compared += p.forced.empty() ? 0 : 1;
    if (beat) beaten.push_back(&p);
  }
  print_rows(out, rows);
  out << '\n'
      << compared << " of " << crossover.points.size() << " cases also ran with a family forced; ";
  if (beaten.empty()) {
    out << "in none was a forced family more than " << fmt("%.0f", tolerance * 100)
        << "% faster than the dispatch's choice\n";
    return;
  }
  out << "in " << beaten.size() << " a forced family was more than " << fmt("%.0f", tolerance * 100)
      << "% faster:";
  for (const auto *p : beaten)
    out << ' ' << p->id << " (" << p->best_family << ' ' << fmt("%.3f", p->best_over_chosen) << ')';
  out << '\n';
}

}  // namespace sfb
