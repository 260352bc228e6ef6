#include "runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "baseline_cublaslt.hpp"
#include "baseline_cusparselt.hpp"
#include "cuda_check.hpp"
#include "host_reference.hpp"
#include "sparseflow_op.hpp"

namespace sfb {

namespace {

uint64_t fnv1a(const std::string &s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

DeviceBuffer clone(const void *src, size_t bytes, cudaStream_t stream) {
  DeviceBuffer b(bytes);
  SFB_CUDA(cudaMemcpyAsync(b.get(), src, bytes, cudaMemcpyDeviceToDevice, stream));
  return b;
}

constexpr int kImplementations = 3;  // SparseFlow, cuBLASLt, cuSPARSELt

// 0xFF bytes: NaN in f16 and bf16, so an element the implementation does not write fails.
void poison(void *p, size_t bytes, cudaStream_t stream) { SFB_CUDA(cudaMemsetAsync(p, 0xFF, bytes, stream)); }

ErrorCheck from_device(const DeviceCompareResult &d, double threshold) {
  ErrorCheck c;
  c.reference = "cublaslt";
  c.coverage = "all";
  c.elements = d.elements;
  c.max_abs_err = d.max_abs_err;
  c.max_rel_err = d.max_rel_err;
  c.ref_rms = d.ref_rms;
  c.nonfinite = d.nonfinite;
  c.threshold = threshold;
  c.passed = d.nonfinite == 0 && d.max_rel_err <= threshold;
  return c;
}

std::string describe(const std::string &what, const ErrorCheck &c) {
  char buf[320];
  std::snprintf(buf, sizeof buf, "%s: max_rel_err %.3e (threshold %.3e), max_abs_err %.3e, %lld NaN/Inf of %lld %s elements",
                what.c_str(), c.max_rel_err, c.threshold, c.max_abs_err, static_cast<long long>(c.nonfinite),
                static_cast<long long>(c.elements), c.coverage.c_str());
  return buf;
}

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / double(1ull << 30));
  return buf;
}

// Reason of the first failed check among `names`, or "".
std::string first_failure(const ImplResult &ir, std::initializer_list<const char *> names) {
  for (const char *n : names) {
    auto it = ir.checks.find(n);
    if (it != ir.checks.end() && !it->second.passed) return describe(std::string("check ") + n, it->second);
  }
  return "";
}

}  // namespace

struct Runner::Weight {
  std::string key;
  DeviceBuffer dense;  // pruned weight [M, K], row-major (cuBLASLt's operand, cuSPARSELt's input)
  SfWeight sf;         // its SparseFlow compressed form
  std::vector<uint16_t> host;  // host copy of `dense`, made when the host reference first needs it
};

Runner::Runner(const RunnerConfig &cfg, const DeviceInfo &dev) : cfg_(cfg), dev_(dev) {
  SFB_CUDA(cudaSetDevice(dev.index));
  SFB_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  SFB_CUBLAS(cublasLtCreate(&lt_));
  lt_workspace_ = DeviceBuffer(kCublasWorkspaceBytes);
  cmp_ = std::make_unique<DeviceComparer>();
}

Runner::~Runner() {
  weight_.reset();
  cmp_.reset();
  lt_workspace_.reset();
  if (lt_) cublasLtDestroy(lt_);
  if (stream_) cudaStreamDestroy(stream_);
}

Runner::Weight &Runner::weight_for(const CaseSpec &spec) {
  if (weight_ && weight_->key == spec.weight_key) return *weight_;
  weight_.reset();  // free the previous weight before making the next
  auto w = std::make_unique<Weight>();
  w->key = spec.weight_key;
  const int64_t elems = spec.m * spec.k;
  w->dense = DeviceBuffer(static_cast<size_t>(elems) * kElemBytes);
  fill_random(w->dense.get(), spec.dtype, elems, cfg_.seed ^ fnv1a(spec.weight_key), stream_);
  sf_prune_device(w->dense.get(), spec.dtype, spec.m, spec.k, stream_);
  w->sf = sf_compress_device(w->dense.get(), spec.dtype, spec.m, spec.k, stream_);
  SFB_CUDA(cudaStreamSynchronize(stream_));
  weight_ = std::move(w);
  return *weight_;
}

CaseResult Runner::run(const CaseSpec &spec) {
  const auto t0 = std::chrono::steady_clock::now();
  CaseResult r;
  r.id = spec.id;
  r.suite = spec.suite;
  r.layer = spec.layer;
  r.m = spec.m;
  r.n = spec.n;
  r.k = spec.k;
  r.dtype = dtype_name(spec.dtype);
  r.convention = layout_name(spec.layout);
  try {
    run_case(spec, r);
  } catch (const std::exception &e) {
    const CudaError *ce = dynamic_cast<const CudaError *>(&e);
    weight_.reset();
    cudaGetLastError();
    if (cudaDeviceSynchronize() != cudaSuccess) {
      context_lost_ = true;
      r.status = "failed";
      r.reason = std::string(e.what()) + " (the CUDA context is lost; the run stops here)";
    } else if (ce && ce->code == cudaErrorMemoryAllocation) {
      r.status = "skipped";
      r.reason = std::string("out of GPU memory: ") + e.what();
    } else {
      r.status = "failed";
      r.reason = e.what();
    }
  }
  finalize_case_status(r);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

void Runner::run_case(const CaseSpec &spec, CaseResult &r) {
  const DType t = spec.dtype;
  const Layout layout = spec.layout;
  const int64_t m = spec.m, n = spec.n, k = spec.k;
  const double rtol = (t == DType::F16) ? cfg_.rtol_f16 : cfg_.rtol_bf16;
  const size_t xb = static_cast<size_t>(n * k) * kElemBytes;
  const size_t yb = static_cast<size_t>(m * n) * kElemBytes;
  const size_t wd = static_cast<size_t>(m * k) * kElemBytes;
  cudaStream_t st = stream_;

  // Results are filled in place, so that what was measured survives an error later in the case.
  r.impls.assign(kImplementations, ImplResult());
  ImplResult &sfi = r.impls[0], &cub = r.impls[1], &csl = r.impls[2];
  sfi.name = "sparseflow";
  cub.name = "cublaslt";
  csl.name = "cusparselt";
  for (ImplResult &ir : r.impls) {
    ir.activation_bytes = xb;
    ir.output_bytes = yb;
  }
  cub.weight_bytes = wd;

  Weight &w = weight_for(spec);
  const sf_compressed_header_t &h = w.sf.header;
  const size_t sf_bytes = w.sf.buffer.size();
  sfi.weight_bytes = h.values_bytes + h.metadata_bytes;
  sfi.details = {{"compressed_total_bytes", h.total_bytes},
                 {"values_bytes", h.values_bytes},
                 {"metadata_bytes", h.metadata_bytes},
                 {"padded_rows", h.padded_rows},
                 {"format_version", h.format_version}};

  // Rotating sets: enough that >= rotate_factor * L2 bytes are touched between two uses of a set.
  const size_t per_set = sf_bytes + xb + yb;
  int nsets = 1;
  if (!cfg_.validate) {
    const double other = cfg_.rotate_factor * static_cast<double>(dev_.l2_bytes);
    nsets = 1 + static_cast<int>(std::ceil(other / static_cast<double>(per_set)));
    nsets = std::max(2, std::min(nsets, cfg_.max_sets));
  }
  size_t free_b = 0, total_b = 0;
  SFB_CUDA(cudaMemGetInfo(&free_b, &total_b));
  const double budget = static_cast<double>(free_b) * cfg_.mem_fraction;
  // Peak while the implementations are timed together: the inputs of every set, each
  // implementation's outputs of every set, the reference output, and every implementation's
  // weights of every set (cuBLASLt's dense ones; SparseFlow's and cuSPARSELt's compressed ones,
  // each under 5/8 of a dense one; cuSPARSELt's compression buffer stays within the margin).
  auto need = [&](int s) {
    return static_cast<double>(s) * static_cast<double>(xb + kImplementations * yb) +
           static_cast<double>(yb) + static_cast<double>(s) * 2.25 * static_cast<double>(wd) +
           static_cast<double>(64u << 20);
  };
  while (nsets > 1 && need(nsets) > budget) --nsets;
  if (need(1) > budget) {
    r.status = "skipped";
    r.reason = "needs about " + gib(need(1)) + " of GPU memory, " + gib(budget) + " available to a case";
    for (ImplResult &ir : r.impls) {
      ir.status = "not_run";
      ir.reason = "case skipped";
    }
    return;
  }
  r.rotation_sets = nsets;
  r.rotation_bytes_per_set = per_set;
  if (!cfg_.validate && nsets < 2)
    r.rotation_note = "GPU memory allows one set only: consecutive calls reuse the same buffers";
  else if (!cfg_.validate && static_cast<double>(nsets - 1) * static_cast<double>(per_set) <
                                 cfg_.rotate_factor * static_cast<double>(dev_.l2_bytes))
    r.rotation_note = "fewer sets than the rotate factor asks for (memory or --max-sets)";

  // Inputs: set 0 random, the others copies of it (so every set has the same reference output).
  std::vector<DeviceBuffer> xs;
  xs.emplace_back(xb);
  fill_random(xs[0].get(), t, n * k, cfg_.seed ^ fnv1a(spec.id) ^ 0x5bd1e995ull, st);
  for (int s = 1; s < nsets; ++s) xs.push_back(clone(xs[0].get(), xb, st));
  // Outputs: every implementation its own sets, checked after the samples that wrote them (set
  // 0 also takes its first, checked call).
  auto output_sets = [&] {
    std::vector<DeviceBuffer> sets;
    for (int s = 0; s < nsets; ++s) sets.emplace_back(yb);
    return sets;
  };
  DeviceBuffer yref(yb);

  // fp64 host reference on the sampled elements.
  const SamplePlan plan = plan_samples(m, n, k, cfg_.ref_macs, cfg_.seed ^ fnv1a(spec.id));
  const std::vector<int64_t> offsets = output_offsets(plan, layout, m, n);
  DeviceBuffer d_off(offsets.size() * sizeof(int64_t));
  DeviceBuffer d_gather(offsets.size() * sizeof(uint16_t));
  SFB_CUDA(cudaMemcpyAsync(d_off.get(), offsets.data(), d_off.size(), cudaMemcpyHostToDevice, st));
  std::vector<uint16_t> hx(static_cast<size_t>(n * k));
  SFB_CUDA(cudaMemcpyAsync(hx.data(), xs[0].get(), xb, cudaMemcpyDeviceToHost, st));
  if (w.host.empty()) {
    w.host.resize(static_cast<size_t>(m * k));
    SFB_CUDA(cudaMemcpyAsync(w.host.data(), w.dense.get(), wd, cudaMemcpyDeviceToHost, st));
  }
  SFB_CUDA(cudaStreamSynchronize(st));
  const std::vector<double> ref = reference_values(w.host.data(), hx.data(), t, layout, m, n, k, plan, cfg_.host_threads);

  auto check_fp64 = [&](const void *out) {
    gather_u16(out, d_off.as<int64_t>(), static_cast<int64_t>(offsets.size()), d_gather.as<uint16_t>(), st);
    std::vector<uint16_t> vals(offsets.size());
    SFB_CUDA(cudaMemcpyAsync(vals.data(), d_gather.get(), d_gather.size(), cudaMemcpyDeviceToHost, st));
    SFB_CUDA(cudaStreamSynchronize(st));
    return compare_with_reference(vals, ref, t, rtol, plan);
  };

  // The implementations that passed their checks, prepared for timing; their samples are taken
  // together once all are ready (sample_interleaved).
  struct Timed {
    ImplResult *result;
    const std::vector<DeviceBuffer> *outputs;
    std::unique_ptr<PreparedCalls> calls;
  };
  std::vector<Timed> timed;
  auto prepare = [&](ImplResult &ir, const std::vector<DeviceBuffer> &outputs, LaunchFn launch) {
    timed.push_back({&ir, &outputs, std::make_unique<PreparedCalls>(std::move(launch), nsets, cfg_.timing, st)});
  };

  // ---- cuBLASLt: the dense baseline and the every-element reference ----------------------------
  std::vector<DeviceBuffer> cub_y = output_sets(), cub_w;
  CublasLtGemm gemm(lt_, t, layout, m, n, k, lt_workspace_.get(), lt_workspace_.size());
  gemm.choose_algorithm(cfg_.cublas_candidates, w.dense.get(), xs[0].get(), cub_y[0].get(), st);
  poison(yref.get(), yb, st);
  gemm.run(w.dense.get(), xs[0].get(), yref.get(), st);
  SFB_CUDA(cudaStreamSynchronize(st));
  cub.details = gemm.details();
  cub.checks["vs_fp64"] = check_fp64(yref.get());
  int64_t ref_nonfinite = 0;
  const double ref_rms = cmp_->rms(yref.get(), m * n, t, st, &ref_nonfinite);
  auto check_vs_ref = [&](const void *out) {
    return from_device(cmp_->compare(out, yref.get(), m * n, t, ref_rms, st), rtol);
  };
  const bool ref_ok = cub.checks["vs_fp64"].passed && ref_nonfinite == 0;
  if (!ref_ok) {
    cub.status = "failed";
    cub.reason = "the reference disagrees with fp64: " + describe("check vs_fp64", cub.checks["vs_fp64"]);
  } else {
    cub.status = "ok";
    if (!cfg_.validate) {
      for (int s = 1; s < nsets; ++s) cub_w.push_back(clone(w.dense.get(), wd, st));
      prepare(cub, cub_y, [&](int s, cudaStream_t stream) {
        gemm.run(s == 0 ? w.dense.get() : cub_w[s - 1].get(), xs[s].get(), cub_y[s].get(), stream);
      });
    }
  }

  // ---- SparseFlow ------------------------------------------------------------------------------
  std::vector<DeviceBuffer> sf_y = output_sets(), sf_w;
  try {
    poison(sf_y[0].get(), yb, st);
    sf_gemm_call(h, w.sf.buffer.get(), sf_bytes, layout, n, xs[0].get(), sf_y[0].get(), t, st);
    SFB_CUDA(cudaStreamSynchronize(st));
    sfi.checks["vs_fp64"] = check_fp64(sf_y[0].get());
    if (ref_ok) sfi.checks["vs_cublaslt"] = check_vs_ref(sf_y[0].get());
    const std::string bad = first_failure(sfi, {"vs_fp64", "vs_cublaslt"});
    if (!bad.empty()) {
      sfi.status = "failed";
      sfi.reason = bad;
    } else if (!ref_ok) {
      sfi.status = "not_run";
      sfi.reason = "not timed: the cuBLASLt reference failed its check";
    } else {
      sfi.status = "ok";
      if (!cfg_.validate) {
        for (int s = 1; s < nsets; ++s) sf_w.push_back(clone(w.sf.buffer.get(), sf_bytes, st));
        prepare(sfi, sf_y, [&](int s, cudaStream_t stream) {
          const void *a = (s == 0) ? w.sf.buffer.get() : sf_w[s - 1].get();
          sf_gemm_call(h, a, sf_bytes, layout, n, xs[s].get(), sf_y[s].get(), t, stream);
        });
      }
    }
  } catch (const SfError &e) {
    sfi.status = "failed";
    sfi.reason = e.what();
  } catch (const CudaError &e) {
    throw CudaError(std::string("while running sparseflow: ") + e.what(), e.code);
  }

  // ---- cuSPARSELt ------------------------------------------------------------------------------
  std::unique_ptr<CusparseLtGemm> csl_gemm;
  std::vector<DeviceBuffer> csl_y, csl_w;
  auto run_cusparselt = [&](ImplResult &ir) {
    std::string why;
    csl_gemm = CusparseLtGemm::create(t, layout, m, n, k, &why);
    if (!csl_gemm) {
      ir.status = "skipped";
      ir.reason = why;
      return;
    }
    CusparseLtGemm &g = *csl_gemm;
    const size_t cb = g.compressed_bytes();
    ir.weight_bytes = cb;
    ir.details = g.details();
    csl_y = output_sets();
    csl_w.emplace_back(cb);
    g.compress(w.dense.get(), csl_w[0].get(), st);
    const std::string search_err = g.search(csl_w[0].get(), xs[0].get(), csl_y[0].get(), st);
    ir.details = g.details();
    if (!search_err.empty()) {
      ir.status = "skipped";
      ir.reason = search_err;
      return;
    }
    poison(csl_y[0].get(), yb, st);
    g.run(csl_w[0].get(), xs[0].get(), csl_y[0].get(), st);
    SFB_CUDA(cudaStreamSynchronize(st));
    ir.checks["vs_fp64"] = check_fp64(csl_y[0].get());
    ir.checks["vs_cublaslt"] = check_vs_ref(csl_y[0].get());
    const std::string bad = first_failure(ir, {"vs_fp64", "vs_cublaslt"});
    if (!bad.empty()) {
      ir.status = "failed";
      ir.reason = bad;
      return;
    }
    ir.status = "ok";
    for (int s = 1; s < nsets; ++s) csl_w.push_back(clone(csl_w[0].get(), cb, st));
    prepare(ir, csl_y, [&, gemm = &g](int s, cudaStream_t stream) {
      gemm->run(csl_w[s].get(), xs[s].get(), csl_y[s].get(), stream);
    });
  };
  if (cfg_.validate) {
    csl.status = "not_run";
    csl.reason = "not run in --validate mode";
  } else if (!cfg_.cusparselt) {
    csl.status = "skipped";
    csl.reason = "--no-cusparselt";
  } else if (!ref_ok) {
    csl.status = "not_run";
    csl.reason = "the cuBLASLt reference failed its check";
  } else {
    try {
      run_cusparselt(csl);
    } catch (const CudaError &e) {
      if (e.code != cudaErrorMemoryAllocation)
        throw CudaError(std::string("while running cusparselt: ") + e.what(), e.code);
      cudaGetLastError();
      csl.status = "skipped";
      csl.reason = std::string("out of GPU memory: ") + e.what();
    } catch (const std::exception &e) {
      csl.status = "failed";
      csl.reason = e.what();
    }
    // Not timed: its buffers go before the others' samples.
    if (csl.status != "ok") {
      csl_gemm.reset();
      csl_y.clear();
      csl_w.clear();
    }
  }

  // ---- the samples, all implementations interleaved, then every output set they wrote checked ---
  if (timed.empty()) return;
  std::vector<const PreparedCalls *> calls;
  for (const Timed &tm : timed) {
    calls.push_back(tm.calls.get());
    for (const DeviceBuffer &y : *tm.outputs) poison(y.get(), yb, st);
  }
  std::vector<TimingRecord> records = sample_interleaved(calls, cfg_.timing.samples, st);
  for (std::size_t i = 0; i < timed.size(); ++i) {
    ImplResult &ir = *timed[i].result;
    ErrorCheck post;
    post.reference = "cublaslt";
    post.coverage = "all";
    post.sets = nsets;
    post.threshold = rtol;
    post.ref_rms = ref_rms;
    for (const DeviceBuffer &y : *timed[i].outputs) {
      ErrorCheck c = check_vs_ref(y.get());
      post.elements += c.elements;
      post.max_abs_err = std::max(post.max_abs_err, c.max_abs_err);
      post.max_rel_err = std::max(post.max_rel_err, c.max_rel_err);
      post.nonfinite += c.nonfinite;
    }
    post.passed = post.nonfinite == 0 && post.max_rel_err <= rtol;
    ir.checks["post_timing"] = post;
    if (post.passed) {
      ir.timing = std::move(records[i]);
      ir.timed = true;
    } else {
      ir.status = "failed";
      ir.reason = describe("outputs of the timed calls", post) + "; timing discarded";
    }
  }
}

}  // namespace sfb
