// Dense baseline and correctness reference: cuBLASLt on the pruned (dense-stored) weight, fp16 or
// bf16 in and out, fp32 accumulation (CUBLAS_COMPUTE_32F), the same product as sf_gemm.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "dtype.hpp"

namespace sfb {

class CublasLtGemm {
 public:
  // w: the weight/A [M, K] row-major; x: X [N, K] (linear) or B [K, N] (row-major); y: the output
  // Y [N, M] (linear) or D [M, N] (row-major), all dense and tightly packed.
  CublasLtGemm(cublasLtHandle_t handle, DType t, Layout layout, int64_t m, int64_t n, int64_t k, void *workspace,
               size_t workspace_bytes);
  ~CublasLtGemm();
  CublasLtGemm(const CublasLtGemm &) = delete;
  CublasLtGemm &operator=(const CublasLtGemm &) = delete;

  // Asks the heuristic for up to `candidates` algorithms; with more than one, runs each a few
  // times (outside any timed region) and keeps the fastest. Throws when none exists.
  void choose_algorithm(int candidates, const void *w, const void *x, void *y, cudaStream_t stream);
  void run(const void *w, const void *x, void *y, cudaStream_t stream) const;
  nlohmann::json details() const;

 private:
  void release() noexcept;

  cublasLtHandle_t handle_;
  Layout layout_;
  void *workspace_;
  size_t workspace_bytes_;
  cublasLtMatmulDesc_t op_ = nullptr;
  cublasLtMatrixLayout_t a_ = nullptr, b_ = nullptr, d_ = nullptr;
  cublasLtMatmulHeuristicResult_t chosen_{};
  bool have_algo_ = false;
  nlohmann::json search_ = nlohmann::json::object();
};

}  // namespace sfb
