#include "text_rows.hpp"

#include <algorithm>
#include <cstdio>

namespace sfb {

std::string fmt(const char *format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

void print_rows(std::ostream &out, const std::vector<Row> &rows) {
  if (rows.empty()) return;
  std::vector<std::size_t> w(rows[0].size(), 0);
  for (const auto &r : rows)
    for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  for (std::size_t ri = 0; ri < rows.size(); ++ri) {
    const auto &r = rows[ri];
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      std::string cell = r[i];
      std::string pad(w[i] - cell.size(), ' ');
      line += (i == 0) ? cell + pad : "  " + pad + cell;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
    if (ri == 0) {
      std::size_t total = 0;
      for (std::size_t i = 0; i < w.size(); ++i) total += w[i] + (i ? 2 : 0);
      out << std::string(total, '-') << '\n';
    }
  }
}

}  // namespace sfb
