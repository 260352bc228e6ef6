#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sfb {

SampleStats summarize(const std::vector<double> &samples) {
  if (samples.empty()) throw std::invalid_argument("summarize: no samples");
  for (double v : samples)
    if (!std::isfinite(v) || v < 0) throw std::invalid_argument("summarize: invalid sample");

  std::vector<double> s(samples);
  std::sort(s.begin(), s.end());
  SampleStats r;
  r.count = static_cast<int>(s.size());
  const std::size_t n = s.size();
  r.median = (n % 2 == 1) ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  r.min = s.front();
  r.max = s.back();
  double sum = 0;
  for (double v : s) sum += v;
  r.mean = sum / static_cast<double>(n);
  if (n > 1) {
    double ss = 0;
    for (double v : s) ss += (v - r.mean) * (v - r.mean);
    r.stddev = std::sqrt(ss / static_cast<double>(n - 1));
  }
  r.rel_spread = r.median > 0 ? (r.max - r.min) / r.median : 0;
  r.rel_stddev = r.mean > 0 ? r.stddev / r.mean : 0;
  return r;
}

}  // namespace sfb
