#include "timing.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <string>
#include <utility>

#include "cuda_check.hpp"
#include "device_buffer.hpp"
#include "stats.hpp"

namespace sfb {
namespace {

class Event {
 public:
  Event() { SFB_CUDA(cudaEventCreate(&e_)); }
  ~Event() { cudaEventDestroy(e_); }
  Event(const Event &) = delete;
  Event &operator=(const Event &) = delete;
  cudaEvent_t get() const { return e_; }

 private:
  cudaEvent_t e_ = nullptr;
};

float elapsed_ms(const Event &a, const Event &b) {
  float ms = 0;
  SFB_CUDA(cudaEventElapsedTime(&ms, a.get(), b.get()));
  return ms;
}

// Leaves `stream` out of capture mode whatever state a failed capture left it in.
void abandon_capture(cudaStream_t stream) {
  cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream, &st) == cudaSuccess && st != cudaStreamCaptureStatusNone) {
    cudaGraph_t g = nullptr;
    cudaStreamEndCapture(stream, &g);
    if (g) cudaGraphDestroy(g);
  }
  cudaGetLastError();  // clear the (non-sticky) capture error
}

}  // namespace

PreparedCalls::PreparedCalls(LaunchFn launch, int nsets, const TimingConfig &cfg, cudaStream_t stream)
    : launch_(std::move(launch)), nsets_(std::max(1, nsets)) {
  Event a, b;

  // First estimate of one call, after one untimed call.
  launch_(0, stream);
  SFB_CUDA(cudaStreamSynchronize(stream));
  const int est_calls = std::max(3, nsets_);
  SFB_CUDA(cudaEventRecord(a.get(), stream));
  for (int c = 0; c < est_calls; ++c) launch_(c % nsets_, stream);
  SFB_CUDA(cudaEventRecord(b.get(), stream));
  SFB_CUDA(cudaEventSynchronize(b.get()));
  const double est_ms = std::max(1e-4, static_cast<double>(elapsed_ms(a, b)) / est_calls);

  int calls = static_cast<int>(std::min<double>(cfg.max_calls, std::ceil(cfg.sample_ms / est_ms)));
  calls = std::max(1, calls);
  record_.calls_per_sample = ((calls + nsets_ - 1) / nsets_) * nsets_;

  // Warm-up: whole samples until warmup_ms of GPU time.
  double warm = 0;
  do {
    SFB_CUDA(cudaEventRecord(a.get(), stream));
    run_loop(stream);
    SFB_CUDA(cudaEventRecord(b.get(), stream));
    SFB_CUDA(cudaEventSynchronize(b.get()));
    warm += elapsed_ms(a, b);
  } while (warm < cfg.warmup_ms);
  record_.warmup_ms = warm;

  if (cfg.use_graph) {
    try {
      SFB_CUDA(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
      run_loop(stream);
      SFB_CUDA(cudaStreamEndCapture(stream, &graph_));
      SFB_CUDA(cudaGraphInstantiate(&exec_, graph_, 0));
      SFB_CUDA(cudaGraphUpload(exec_, stream));
      SFB_CUDA(cudaGraphLaunch(exec_, stream));  // one untimed launch of the graph itself
      SFB_CUDA(cudaStreamSynchronize(stream));
    } catch (const std::exception &e) {
      abandon_capture(stream);
      destroy_graph();
      // A sticky error (the context is lost) cannot be recovered by falling back: report it.
      SFB_CUDA(cudaDeviceSynchronize());
      record_.note = std::string("graph capture failed, timed with events around a loop: ") + e.what();
    }
  }
  record_.method = exec_ ? "cuda_graph" : "cuda_events";
}

PreparedCalls::~PreparedCalls() { destroy_graph(); }

void PreparedCalls::destroy_graph() {
  if (exec_) cudaGraphExecDestroy(exec_);
  if (graph_) cudaGraphDestroy(graph_);
  exec_ = nullptr;
  graph_ = nullptr;
}

void PreparedCalls::run_loop(cudaStream_t stream) const {
  for (int c = 0; c < record_.calls_per_sample; ++c) launch_(c % nsets_, stream);
}

void PreparedCalls::enqueue_sample(cudaStream_t stream) const {
  if (exec_)
    SFB_CUDA(cudaGraphLaunch(exec_, stream));
  else
    run_loop(stream);
}

std::vector<TimingRecord> sample_interleaved(const std::vector<const PreparedCalls *> &calls, int samples,
                                             cudaStream_t stream) {
  const std::size_t count = calls.size();
  samples = std::max(1, samples);
  // starts[i * samples + s], ends[...]: sample s of calls[i].
  std::vector<Event> starts(count * samples), ends(count * samples);
  for (int s = 0; s < samples; ++s) {
    for (std::size_t j = 0; j < count; ++j) {
      const std::size_t i = (s + j) % count;
      SFB_CUDA(cudaEventRecord(starts[i * samples + s].get(), stream));
      calls[i]->enqueue_sample(stream);
      SFB_CUDA(cudaEventRecord(ends[i * samples + s].get(), stream));
    }
  }
  SFB_CUDA(cudaStreamSynchronize(stream));
  std::vector<TimingRecord> records;
  for (std::size_t i = 0; i < count; ++i) {
    TimingRecord rec = calls[i]->record();
    for (int s = 0; s < samples; ++s)
      rec.samples_ms.push_back(static_cast<double>(elapsed_ms(starts[i * samples + s], ends[i * samples + s])) /
                               rec.calls_per_sample);
    records.push_back(std::move(rec));
  }
  return records;
}

CopyBandwidth measure_copy_bandwidth(uint64_t max_bytes, int samples, cudaStream_t stream) {
  size_t free_b = 0, total_b = 0;
  SFB_CUDA(cudaMemGetInfo(&free_b, &total_b));
  uint64_t bytes = std::min<uint64_t>(max_bytes, free_b / 4);
  bytes &= ~((uint64_t(1) << 20) - 1);  // whole MiB
  CopyBandwidth r;
  if (bytes == 0) return r;
  DeviceBuffer src(bytes), dst(bytes);
  SFB_CUDA(cudaMemsetAsync(src.get(), 0x5a, bytes, stream));
  for (int w = 0; w < 3; ++w) SFB_CUDA(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, stream));
  Event a, b;
  for (int s = 0; s < std::max(1, samples); ++s) {
    SFB_CUDA(cudaEventRecord(a.get(), stream));
    SFB_CUDA(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, stream));
    SFB_CUDA(cudaEventRecord(b.get(), stream));
    SFB_CUDA(cudaEventSynchronize(b.get()));
    r.samples_ms.push_back(elapsed_ms(a, b));
  }
  r.bytes = bytes;
  const double med = summarize(r.samples_ms).median;
  r.bytes_per_s = med > 0 ? 2.0 * static_cast<double>(bytes) / (med * 1e-3) : 0;
  return r;
}

}  // namespace sfb
