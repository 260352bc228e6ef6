// The shapes file and the list of cases to run. Pure C++.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli.hpp"
#include "dtype.hpp"

namespace sfb {

struct LayerShape {
  std::string name;
  int64_t n_out = 0;  // M: rows of the sparse weight
  int64_t k = 0;      // K
};

struct ShapesFile {
  std::string path;
  std::string model;
  std::vector<LayerShape> layers;  // in file order
  std::vector<int64_t> batches;
};

// Reads and checks a shapes file (format of bench/llama70b-shapes.json). Throws UsageError.
ShapesFile load_shapes(const std::string &path);

struct CaseSpec {
  std::string id;     // e.g. "llama70b/qkv/f16/b16" or "custom/m4096-n16-k4096/f16/linear"
  std::string suite;  // "llama70b" or "custom"
  std::string layer;  // layer name; empty for custom
  std::string weight_key;  // cases with the same key share the same weight data
  int64_t m = 0, n = 0, k = 0;
  DType dtype = DType::F16;
  Layout layout = Layout::Linear;
};

// The cases selected by the options, llama70b cases ordered dtype, layer, batch (so that one
// weight serves consecutive cases), then the custom ones. Throws UsageError (unknown layer, ...).
std::vector<CaseSpec> build_cases(const BenchOptions &opt, const ShapesFile *shapes);

}  // namespace sfb
