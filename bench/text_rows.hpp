// Plain-text tables for sf_bench's printed output (the report table, the crossover table).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace sfb {

using Row = std::vector<std::string>;

// printf-style formatting of one number.
std::string fmt(const char *format, double value);

// The rows as columns of equal width, right-aligned except the first; the first row is a header,
// underlined.
void print_rows(std::ostream &out, const std::vector<Row> &rows);

}  // namespace sfb
