#include "timing.hpp"

#include <algorithm>
#include <cmath>
#include <string>

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

class Graph {
 public:
  ~Graph() { reset(); }
  void reset() {
    if (exec) cudaGraphExecDestroy(exec);
    if (graph) cudaGraphDestroy(graph);
    exec = nullptr;
    graph = nullptr;
  }
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
};

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

void capture(Graph &g, const LaunchFn &launch, int calls, int nsets, cudaStream_t stream) {
  SFB_CUDA(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  try {
    for (int c = 0; c < calls; ++c) launch(c % nsets, stream);
  } catch (...) {
    abandon_capture(stream);
    throw;
  }
  SFB_CUDA(cudaStreamEndCapture(stream, &g.graph));
  SFB_CUDA(cudaGraphInstantiate(&g.exec, g.graph, 0));
  SFB_CUDA(cudaGraphUpload(g.exec, stream));
}

}  // namespace

TimingRecord time_calls(const LaunchFn &launch, int nsets, const TimingConfig &cfg, cudaStream_t stream,
                        const std::function<void()> &before_samples) {
  nsets = std::max(1, nsets);
  TimingRecord rec;
  Event a, b;

  // First estimate of one call, after one untimed call.
  launch(0, stream);
  SFB_CUDA(cudaStreamSynchronize(stream));
  const int est_calls = std::max(3, nsets);
  SFB_CUDA(cudaEventRecord(a.get(), stream));
  for (int c = 0; c < est_calls; ++c) launch(c % nsets, stream);
  SFB_CUDA(cudaEventRecord(b.get(), stream));
  SFB_CUDA(cudaEventSynchronize(b.get()));
  const double est_ms = std::max(1e-4, static_cast<double>(elapsed_ms(a, b)) / est_calls);

  int calls = static_cast<int>(std::min<double>(cfg.max_calls, std::ceil(cfg.sample_ms / est_ms)));
  calls = std::max(1, calls);
  calls = ((calls + nsets - 1) / nsets) * nsets;
  rec.calls_per_sample = calls;

  auto run_loop = [&]() {
    for (int c = 0; c < calls; ++c) launch(c % nsets, stream);
  };

  // Warm-up: whole samples until warmup_ms of GPU time.
  double warm = 0;
  do {
    SFB_CUDA(cudaEventRecord(a.get(), stream));
    run_loop();
    SFB_CUDA(cudaEventRecord(b.get(), stream));
    SFB_CUDA(cudaEventSynchronize(b.get()));
    warm += elapsed_ms(a, b);
  } while (warm < cfg.warmup_ms);
  rec.warmup_ms = warm;

  Graph g;
  bool graph_ok = false;
  if (cfg.use_graph) {
    try {
      capture(g, launch, calls, nsets, stream);
      SFB_CUDA(cudaGraphLaunch(g.exec, stream));  // one untimed launch of the graph itself
      SFB_CUDA(cudaStreamSynchronize(stream));
      graph_ok = true;
    } catch (const std::exception &e) {
      abandon_capture(stream);
      g.reset();
      // A sticky error (the context is lost) cannot be recovered by falling back: report it.
      SFB_CUDA(cudaDeviceSynchronize());
      rec.note = std::string("graph capture failed, timed with events around a loop: ") + e.what();
    }
  }
  rec.method = graph_ok ? "cuda_graph" : "cuda_events";

  if (before_samples) before_samples();

  std::vector<Event> starts(static_cast<std::size_t>(cfg.samples));
  std::vector<Event> ends(static_cast<std::size_t>(cfg.samples));
  for (int s = 0; s < cfg.samples; ++s) {
    SFB_CUDA(cudaEventRecord(starts[s].get(), stream));
    if (graph_ok)
      SFB_CUDA(cudaGraphLaunch(g.exec, stream));
    else
      run_loop();
    SFB_CUDA(cudaEventRecord(ends[s].get(), stream));
  }
  SFB_CUDA(cudaStreamSynchronize(stream));
  for (int s = 0; s < cfg.samples; ++s)
    rec.samples_ms.push_back(static_cast<double>(elapsed_ms(starts[s], ends[s])) / calls);
  return rec;
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
