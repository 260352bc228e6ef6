// The readable table printed at the end of a run (and by `sf_bench show`), made from the report
// JSON so that a saved report prints the same table. Pure C++.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

namespace sfb {

// Benchmark or validation table, chosen by report["mode"].
void print_table(std::ostream &out, const nlohmann::json &report);

}  // namespace sfb
