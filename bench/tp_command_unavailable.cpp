// `sf_bench tp` in a build without NCCL: says so instead of running.
#include <iostream>

#include "commands.hpp"

namespace sfb {

int run_tp_command(const TpOptions &, const std::vector<std::string> &) {
  std::cerr << "sf_bench tp: error: this sf_bench was built without NCCL (configure with "
               "SF_NCCL_ROOT pointing at an NCCL installation)\n";
  return kExitEnvironment;
}

}  // namespace sfb
