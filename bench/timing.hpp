// GPU timing: warm-up, then samples of many calls, each sample a captured CUDA graph (or a loop)
// between two CUDA events; and the device-to-device copy bandwidth used as the ceiling.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "report.hpp"

namespace sfb {

struct TimingConfig {
  double warmup_ms = 50;
  int samples = 20;
  double sample_ms = 10;
  int max_calls = 1000;
  bool use_graph = true;
};

// Enqueues one call on input/output set `set` (0 <= set < nsets). Must only enqueue work (no
// synchronization, no allocation) so that it can be captured; throws on an error status.
using LaunchFn = std::function<void(int set, cudaStream_t stream)>;

// Times `launch`. Calls per sample: enough for cfg.sample_ms of GPU time (from a first estimate),
// at most cfg.max_calls, rounded up to a multiple of nsets so that every sample writes every set;
// calls rotate over the sets. Warm-up runs whole samples until cfg.warmup_ms of GPU time has
// passed. `before_samples` runs after the warm-up, just before the timed samples (the runner
// poisons the outputs there). Falls back from a graph to an event-timed loop when capture fails
// and says so in the record's note.
TimingRecord time_calls(const LaunchFn &launch, int nsets, const TimingConfig &cfg, cudaStream_t stream,
                        const std::function<void()> &before_samples);

struct CopyBandwidth {
  uint64_t bytes = 0;
  std::vector<double> samples_ms;
  double bytes_per_s = 0;  // 2 * bytes / median time (bytes read + bytes written)
};

// cudaMemcpyAsync device to device of min(max_bytes, a quarter of the free memory).
CopyBandwidth measure_copy_bandwidth(uint64_t max_bytes, int samples, cudaStream_t stream);

}  // namespace sfb
