#include "shapes.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace sfb {

ShapesFile load_shapes(const std::string &path) {
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read shapes file '" + path + "'");
  nlohmann::ordered_json j;
  try {
    in >> j;
  } catch (const std::exception &e) {
    throw UsageError("shapes file '" + path + "' is not valid JSON: " + e.what());
  }
  ShapesFile s;
  s.path = path;
  try {
    if (j.contains("model") && j["model"].is_string()) s.model = j["model"].get<std::string>();
    const auto &layers = j.at("layers");
    if (!layers.is_object() || layers.empty()) throw UsageError("'layers' must be a non-empty object");
    for (auto it = layers.begin(); it != layers.end(); ++it) {
      LayerShape l;
      l.name = it.key();
      l.n_out = it.value().at("n_out").get<int64_t>();
      l.k = it.value().at("k").get<int64_t>();
      check_shape(l.n_out, 1, l.k, "layer '" + l.name + "'");
      s.layers.push_back(l);
    }
    for (const auto &b : j.at("batches")) {
      int64_t v = b.get<int64_t>();
      if (v < 1) throw UsageError("batch " + std::to_string(v) + " must be >= 1");
      s.batches.push_back(v);
    }
    if (s.batches.empty()) throw UsageError("'batches' is empty");
  } catch (const UsageError &e) {
    throw UsageError("shapes file '" + path + "': " + e.what());
  } catch (const std::exception &e) {
    throw UsageError("shapes file '" + path + "': " + e.what());
  }
  return s;
}

std::vector<CaseSpec> build_cases(const BenchOptions &opt, const ShapesFile *shapes) {
  std::vector<CaseSpec> cases;
  if (opt.run_llama) {
    if (!shapes) throw UsageError("the llama70b suite needs a shapes file");
    std::vector<LayerShape> layers;
    if (opt.layers.empty()) {
      layers = shapes->layers;
    } else {
      for (const auto &name : opt.layers) {
        auto it = std::find_if(shapes->layers.begin(), shapes->layers.end(),
                               [&](const LayerShape &l) { return l.name == name; });
        if (it == shapes->layers.end()) {
          std::string known;
          for (const auto &l : shapes->layers) known += (known.empty() ? "" : ", ") + l.name;
          throw UsageError("unknown layer '" + name + "' (the shapes file has: " + known + ")");
        }
        layers.push_back(*it);
      }
    }
    const std::vector<int64_t> &batches = opt.batches.empty() ? shapes->batches : opt.batches;
    for (DType t : opt.dtypes) {
      for (const auto &l : layers) {
        for (int64_t b : batches) {
          check_shape(l.n_out, b, l.k, "layer " + l.name + " batch " + std::to_string(b));
          CaseSpec c;
          c.suite = "llama70b";
          c.layer = l.name;
          c.m = l.n_out;
          c.n = b;
          c.k = l.k;
          c.dtype = t;
          c.layout = Layout::Linear;
          c.id = "llama70b/" + l.name + "/" + dtype_name(t) + "/b" + std::to_string(b);
          c.weight_key = "llama70b/" + l.name + "/" + dtype_name(t);
          cases.push_back(c);
        }
      }
    }
  }
  for (DType t : opt.dtypes) {
    for (const auto &s : opt.shapes) {
      CaseSpec c;
      c.suite = "custom";
      c.m = s.m;
      c.n = s.n;
      c.k = s.k;
      c.dtype = t;
      c.layout = opt.custom_layout;
      std::ostringstream id;
      id << "custom/m" << s.m << "-n" << s.n << "-k" << s.k << "/" << dtype_name(t) << "/"
         << layout_name(opt.custom_layout);
      c.id = id.str();
      std::ostringstream wk;
      wk << "custom/m" << s.m << "-k" << s.k << "/" << dtype_name(t);
      c.weight_key = wk.str();
      cases.push_back(c);
    }
  }
  // A repeated --shape gives the same id twice; run it once.
  std::vector<CaseSpec> unique;
  for (const auto &c : cases)
    if (std::none_of(unique.begin(), unique.end(), [&](const CaseSpec &u) { return u.id == c.id; }))
      unique.push_back(c);
  return unique;
}

}  // namespace sfb
