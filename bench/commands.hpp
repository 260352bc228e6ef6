// The sf_bench subcommands. Each returns the process exit status (kExit* in cli.hpp).
#pragma once

#include <string>
#include <vector>

#include "cli.hpp"

namespace sfb {

// `sf_bench [run|validate]`: needs a GPU. command_line is argv as given, for the report.
int run_bench_command(const BenchOptions &opt, const std::vector<std::string> &command_line);

// `sf_bench --version`: the bench's own build and the library's sf_build_info().
std::string bench_version_text();

// `sf_bench tp`: needs NCCL (built in when found) and as many GPUs as the largest TP asked for.
int run_tp_command(const TpOptions &opt, const std::vector<std::string> &command_line);

// `sf_bench roi`, `show` and `crossover`: read saved reports, need no GPU.
int run_roi_command(const RoiOptions &opt);
int run_show_command(const std::string &report_path);
int run_crossover_command(const CrossoverOptions &opt);

}  // namespace sfb
