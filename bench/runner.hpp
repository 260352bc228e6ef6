// Runs one case: inputs, the cuBLASLt reference, correctness checks of every implementation, and
// (benchmark mode) the timing of all implementations on rotating input/output sets, their
// samples interleaved (sample_interleaved).
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <memory>
#include <string>

#include "device_buffer.hpp"
#include "kernels.hpp"
#include "report.hpp"
#include "shapes.hpp"
#include "timing.hpp"

namespace sfb {

struct RunnerConfig {
  bool validate = false;
  TimingConfig timing;
  double rotate_factor = 2.0;
  int max_sets = 64;
  double mem_fraction = 0.85;
  uint64_t seed = 0;
  double ref_macs = 2.5e8;
  double rtol_f16 = 0, rtol_bf16 = 0;
  int cublas_candidates = 4;
  bool cusparselt = true;
  int host_threads = 1;
};

class Runner {
 public:
  Runner(const RunnerConfig &cfg, const DeviceInfo &dev);
  ~Runner();
  Runner(const Runner &) = delete;
  Runner &operator=(const Runner &) = delete;

  // Never throws for a problem of the case itself: the result says failed/skipped and why.
  CaseResult run(const CaseSpec &spec);
  // True after an error that left the CUDA context unusable: the remaining cases cannot run.
  bool context_lost() const { return context_lost_; }

  static constexpr size_t kCublasWorkspaceBytes = size_t(32) << 20;

 private:
  struct Weight;
  Weight &weight_for(const CaseSpec &spec);
  void run_case(const CaseSpec &spec, CaseResult &r);

  RunnerConfig cfg_;
  DeviceInfo dev_;
  cudaStream_t stream_ = nullptr;
  cublasLtHandle_t lt_ = nullptr;
  DeviceBuffer lt_workspace_;
  std::unique_ptr<DeviceComparer> cmp_;
  std::unique_ptr<Weight> weight_;
  bool context_lost_ = false;
};

}  // namespace sfb
