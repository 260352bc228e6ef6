// Summary statistics of timing samples. Pure C++.
#pragma once

#include <vector>

namespace sfb {

struct SampleStats {
  int count = 0;
  double median = 0, min = 0, max = 0, mean = 0;
  double stddev = 0;      // sample standard deviation (n - 1); 0 for a single sample
  double rel_spread = 0;  // (max - min) / median
  double rel_stddev = 0;  // stddev / mean (nvbench's "noise")
};

// Throws std::invalid_argument for an empty vector or a non-finite or negative sample.
SampleStats summarize(const std::vector<double> &samples);

}  // namespace sfb
