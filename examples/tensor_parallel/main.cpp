// tp_mlp: the LLaMA-70B MLP with tensor parallelism over NCCL, each rank's products by SparseFlow
// (and, for comparison, by cuBLAS on the same pruned weights), checked against the unsharded MLP
// on one GPU and timed. See "Several GPUs" in README.md.
//
//   tp_mlp [--tp all|T1,T2,...] [--batch B1,B2,...] [--dtype f16,bf16] [--iterations N]
//
// Exit status: 0 every check passed, 1 a check failed or a call failed, 2 bad invocation,
// 77 not enough GPUs for the TP asked for (none: no GPU at all).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "tp_mlp.hpp"

namespace {

constexpr int kSkipped = 77;

struct Options {
  std::vector<int> tps;  // empty: every power of two up to the device count
  std::vector<int64_t> batches{1, 16, 256};
  std::vector<sf_dtype_t> dtypes{SF_DTYPE_F16};
  int iterations = 20;
};

std::vector<std::string> split(const std::string &text) {
  std::vector<std::string> items;
  size_t begin = 0;
  for (size_t comma; (comma = text.find(',', begin)) != std::string::npos; begin = comma + 1)
    items.push_back(text.substr(begin, comma - begin));
  items.push_back(text.substr(begin));
  return items;
}

std::vector<int64_t> parse_list(const std::string &text, const char *what) {
  std::vector<int64_t> values;
  for (const std::string &item : split(text)) {
    char *stop = nullptr;
    const long long value = std::strtoll(item.c_str(), &stop, 10);
    if (item.empty() || *stop != '\0' || value < 1)
      throw std::invalid_argument(std::string(what) + ": '" + item + "' is not a positive integer");
    values.push_back(value);
  }
  return values;
}

Options parse(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--tp") {
      if (value != "all")
        for (int64_t t : parse_list(value, "--tp")) o.tps.push_back(static_cast<int>(t));
    } else if (flag == "--batch") {
      o.batches = parse_list(value, "--batch");
    } else if (flag == "--dtype") {
      o.dtypes.clear();
      for (const std::string &name : split(value)) {
        if (name != "f16" && name != "bf16")
          throw std::invalid_argument("--dtype: '" + name + "' (f16 or bf16)");
        o.dtypes.push_back(name == "f16" ? SF_DTYPE_F16 : SF_DTYPE_BF16);
      }
    } else if (flag == "--iterations") {
      o.iterations = static_cast<int>(parse_list(value, "--iterations").at(0));
    } else {
      throw std::invalid_argument("unknown option " + flag);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char **argv) {
  Options options;
  try {
    options = parse(argc, argv);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "tp_mlp: %s\n", e.what());
    return 2;
  }
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("SKIPPED: no usable CUDA device\n");
    return kSkipped;
  }
  if (options.tps.empty())
    for (int t = 1; t <= devices; t *= 2) options.tps.push_back(t);
  for (int t : options.tps)
    if (t > devices) {
      std::printf("SKIPPED: TP = %d needs %d GPUs, %d visible\n", t, t, devices);
      return kSkipped;
    }

  int64_t max_batch = 1;
  for (int64_t b : options.batches) max_batch = std::max(max_batch, b);
  bool all_passed = true;
  try {
    std::printf("%-4s %-5s %6s %-28s %-12s %10s %10s %10s %12s\n", "tp", "dtype", "batch",
                "shards (gate_up | down)", "backend", "step ms", "gemm ms", "rel. err", "check");
    for (int tp : options.tps)
      for (sf_dtype_t dtype : options.dtypes) {
        sftp::TensorParallelMlp mlp(sftp::MlpDims{}, tp, dtype, max_batch, 20261124);
        const sftp::ShardDims s = mlp.shard();
        const std::string shards = std::to_string(s.gate_up_rows) + "x" + std::to_string(s.gate_up_k) +
                                   " | " + std::to_string(s.down_rows) + "x" + std::to_string(s.down_k);
        for (int64_t batch : options.batches)
          for (sftp::Backend backend : {sftp::Backend::SparseFlow, sftp::Backend::CublasDense}) {
            const sftp::CheckResult check = mlp.check(backend, batch, 7 + static_cast<uint64_t>(batch));
            const sftp::StepTime time = mlp.time_steps(backend, batch, 3, options.iterations);
            all_passed = all_passed && check.passed();
            std::printf("%-4d %-5s %6lld %-28s %-12s %10.4f %10.4f %10.2e %12s\n", tp,
                        dtype == SF_DTYPE_F16 ? "f16" : "bf16", static_cast<long long>(batch),
                        shards.c_str(), sftp::backend_name(backend), time.step_ms, time.gemm_ms,
                        check.relative(),
                        check.passed() ? "passed"
                        : !check.ranks_identical ? "RANKS DIFFER"
                        : check.nonfinite != 0 ? "NON-FINITE" : "FAILED");
          }
      }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "tp_mlp: %s\n", e.what());
    return 1;
  }
  std::printf("%s\n", all_passed ? "all checks passed" : "SOME CHECKS FAILED");
  return all_passed ? 0 : 1;
}
