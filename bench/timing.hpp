// GPU timing: each implementation's calls prepared (warm-up, then a captured CUDA graph of one
// sample's calls, or a loop), then samples of all of them taken in interleaved rounds between
// CUDA events; and the device-to-device copy bandwidth used as the ceiling.
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

// One implementation's calls, ready to be sampled. Calls per sample: enough for cfg.sample_ms of
// GPU time (from a first estimate), at most cfg.max_calls, rounded up to a multiple of nsets so
// that every sample writes every set; calls rotate over the sets. The constructor runs the
// warm-up (whole samples until cfg.warmup_ms of GPU time) and captures one sample's calls in a
// graph, falling back to an event-timed loop when capture fails (the record's note says so);
// it throws what `launch` throws. `launch` and what it uses must outlive the object.
class PreparedCalls {
 public:
  PreparedCalls(LaunchFn launch, int nsets, const TimingConfig &cfg, cudaStream_t stream);
  ~PreparedCalls();
  PreparedCalls(const PreparedCalls &) = delete;
  PreparedCalls &operator=(const PreparedCalls &) = delete;

  // Enqueues the calls of one sample.
  void enqueue_sample(cudaStream_t stream) const;
  int calls_per_sample() const { return record_.calls_per_sample; }
  // method, note, calls_per_sample and warmup_ms; no samples yet.
  const TimingRecord &record() const { return record_; }

 private:
  void run_loop(cudaStream_t stream) const;  // one sample's calls, launched one by one
  void destroy_graph();

  LaunchFn launch_;
  int nsets_ = 1;
  TimingRecord record_;
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
};

// Takes `samples` samples of each of `calls`, in rounds: round r takes one sample of each, the
// first from calls[r mod count], so that every implementation is timed under the clocks and
// temperature of the same moments and none always follows the same other one. Returns each
// one's record with its per-call sample times.
std::vector<TimingRecord> sample_interleaved(const std::vector<const PreparedCalls *> &calls, int samples,
                                             cudaStream_t stream);

struct CopyBandwidth {
  uint64_t bytes = 0;
  std::vector<double> samples_ms;
  double bytes_per_s = 0;  // 2 * bytes / median time (bytes read + bytes written)
};

// cudaMemcpyAsync device to device of min(max_bytes, a quarter of the free memory).
CopyBandwidth measure_copy_bandwidth(uint64_t max_bytes, int samples, cudaStream_t stream);

}  // namespace sfb
