// Sparse baseline: cuSPARSELt on the same pruned weight. Compiled in only when CMake found
// cuSPARSELt (SF_BENCH_HAVE_CUSPARSELT); otherwise every case reports it as skipped, with the reason.
// Its plan is built and its algorithm searched once per case (cusparseLtMatmulSearch), before and
// outside the timed region.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "dtype.hpp"

namespace sfb {

// Whether this build has the baseline (no CUDA call).
bool cusparselt_compiled();
// {"compiled": bool, "header_version": "0.8.0" or null, "library_version": int or null, "reason": ...}
nlohmann::json cusparselt_info();
// Destroys the process-wide cuSPARSELt handle (call before exit, while the CUDA context lives).
void cusparselt_shutdown();

class CusparseLtGemm {
 public:
  // Same operands and layouts as CublasLtGemm. Returns nullptr and sets *skip_reason when
  // cuSPARSELt is not compiled in or refuses the problem (it has no batch-1 path, for instance).
  static std::unique_ptr<CusparseLtGemm> create(DType t, Layout layout, int64_t m, int64_t n, int64_t k,
                                                std::string *skip_reason);
  ~CusparseLtGemm();

  size_t compressed_bytes() const;
  // Checks that w_dense is 2:4 as cuSPARSELt sees it (cusparseLtSpMMAPruneCheck) and compresses
  // it into dst (compressed_bytes()). Synchronizes. Throws with the reason on failure.
  void compress(const void *w_dense, void *dst, cudaStream_t stream);
  // cusparseLtMatmulSearch once, then sizes the workspace for the chosen algorithm. Returns ""
  // or why the search failed (the baseline is then skipped).
  std::string search(const void *wc, const void *x, void *y, cudaStream_t stream);
  void run(const void *wc, const void *x, void *y, cudaStream_t stream) const;
  nlohmann::json details() const;

  struct Impl;

 private:
  explicit CusparseLtGemm(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sfb
