// sf_bench: SparseFlow's benchmark, validation and ROI tool. See bench/README.md.
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "sparseflow/sparseflow.h"

#ifndef SF_BENCH_DEFAULT_SHAPES
#define SF_BENCH_DEFAULT_SHAPES "bench/llama70b-shapes.json"
#endif

int main(int argc, char **argv) {
  using namespace sfb;
  std::vector<std::string> args(argv + 1, argv + argc);
  // The source-tree path compiled in; from a copy of the tree elsewhere, the one below the
  // current folder (run from the repository root).
  std::error_code ec;
  const std::string default_shapes = std::filesystem::exists(SF_BENCH_DEFAULT_SHAPES, ec)
                                         ? SF_BENCH_DEFAULT_SHAPES
                                         : "bench/llama70b-shapes.json";
  ParsedArgs p;
  try {
    p = parse_args(args, default_shapes);
  } catch (const UsageError &e) {
    std::cerr << "sf_bench: error: " << e.what() << "\nTry 'sf_bench --help'.\n";
    return kExitUsage;
  }
  switch (p.command) {
    case Command::Help:
      std::cout << help_text();
      return kExitOk;
    case Command::RoiHelp:
      std::cout << roi_help_text();
      return kExitOk;
    case Command::Version:
      std::cout << bench_version_text();
      return kExitOk;
    case Command::Roi:
      return run_roi_command(p.roi);
    case Command::Show:
      return run_show_command(p.show_report);
    case Command::Crossover:
      return run_crossover_command(p.crossover);
    case Command::TpHelp:
      std::cout << tp_help_text();
      return kExitOk;
    case Command::Tp:
      return run_tp_command(p.tp, std::vector<std::string>(argv, argv + argc));
    case Command::Bench:
      break;
  }
  std::vector<std::string> command_line(argv, argv + argc);
  return run_bench_command(p.bench, command_line);
}
