#include "baseline_cublaslt.hpp"

#include <algorithm>
#include <limits>

#include "cuda_check.hpp"

namespace sfb {

// cuBLASLt is column-major. Linear: Y [N, M] row-major is D [M, N] col-major (ld M) = W * X^T with
//   cuBLAS A = W seen col-major as [K, M] (ld K) with op T, B = X seen col-major as [K, N] (ld K)
//   with op N.
// Row-major: D [M, N] row-major == D^T [N, M] col-major (ld N) = B^T * A^T, so
//   cuBLAS A = B stored col-major as [N, K] (ld N), B = A stored col-major as [K, M] (ld K), both op N.
CublasLtGemm::CublasLtGemm(cublasLtHandle_t handle, DType t, Layout layout, int64_t m, int64_t n, int64_t k,
                           void *workspace, size_t workspace_bytes)
    : handle_(handle), layout_(layout), workspace_(workspace), workspace_bytes_(workspace_bytes) {
  const cudaDataType_t type = (t == DType::F16) ? CUDA_R_16F : CUDA_R_16BF;
  try {
    SFB_CUBLAS(cublasLtMatmulDescCreate(&op_, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    cublasOperation_t ta = (layout == Layout::Linear) ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t tb = CUBLAS_OP_N;
    SFB_CUBLAS(cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
    SFB_CUBLAS(cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
    if (layout == Layout::Linear) {
      SFB_CUBLAS(cublasLtMatrixLayoutCreate(&a_, type, static_cast<uint64_t>(k), static_cast<uint64_t>(m), k));
      SFB_CUBLAS(cublasLtMatrixLayoutCreate(&b_, type, static_cast<uint64_t>(k), static_cast<uint64_t>(n), k));
      SFB_CUBLAS(cublasLtMatrixLayoutCreate(&d_, type, static_cast<uint64_t>(m), static_cast<uint64_t>(n), m));
    } else {
      SFB_CUBLAS(cublasLtMatrixLayoutCreate(&a_, type, static_cast<uint64_t>(n), static_cast<uint64_t>(k), n));
      SFB_CUBLAS(cublasLtMatrixLayoutCreate(&b_, type, static_cast<uint64_t>(k), static_cast<uint64_t>(m), k));
      SFB_CUBLAS(cublasLtMatrixLayoutCreate(&d_, type, static_cast<uint64_t>(n), static_cast<uint64_t>(m), n));
    }
  } catch (...) {
    release();
    throw;
  }
}

CublasLtGemm::~CublasLtGemm() { release(); }

void CublasLtGemm::release() noexcept {
  if (d_) cublasLtMatrixLayoutDestroy(d_);
  if (b_) cublasLtMatrixLayoutDestroy(b_);
  if (a_) cublasLtMatrixLayoutDestroy(a_);
  if (op_) cublasLtMatmulDescDestroy(op_);
  d_ = b_ = a_ = nullptr;
  op_ = nullptr;
}

void CublasLtGemm::choose_algorithm(int candidates, const void *w, const void *x, void *y, cudaStream_t stream) {
  cublasLtMatmulPreference_t pref = nullptr;
  SFB_CUBLAS(cublasLtMatmulPreferenceCreate(&pref));
  std::vector<cublasLtMatmulHeuristicResult_t> res(static_cast<size_t>(std::max(1, candidates)));
  int found = 0;
  try {
    uint64_t ws = workspace_bytes_;
    SFB_CUBLAS(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
    SFB_CUBLAS(cublasLtMatmulAlgoGetHeuristic(handle_, op_, a_, b_, d_, d_, pref, static_cast<int>(res.size()),
                                              res.data(), &found));
  } catch (...) {
    cublasLtMatmulPreferenceDestroy(pref);
    throw;
  }
  cublasLtMatmulPreferenceDestroy(pref);
  res.resize(static_cast<size_t>(std::max(0, found)));
  res.erase(std::remove_if(res.begin(), res.end(),
                           [&](const cublasLtMatmulHeuristicResult_t &r) {
                             return r.state != CUBLAS_STATUS_SUCCESS || r.workspaceSize > workspace_bytes_;
                           }),
            res.end());
  if (res.empty()) throw CublasError("cublasLtMatmulAlgoGetHeuristic found no algorithm for this shape");

  search_ = nlohmann::json::object();
  search_["heuristic_results"] = static_cast<int>(res.size());
  size_t best = 0;
  if (res.size() > 1) {
    cudaEvent_t a = nullptr, b = nullptr;
    SFB_CUDA(cudaEventCreate(&a));
    SFB_CUDA(cudaEventCreate(&b));
    nlohmann::json tried = nlohmann::json::array();
    float best_ms = std::numeric_limits<float>::max();
    try {
      for (size_t i = 0; i < res.size(); ++i) {
        chosen_ = res[i];
        have_algo_ = true;
        for (int w_i = 0; w_i < 2; ++w_i) run(w, x, y, stream);
        const int reps = 5;
        SFB_CUDA(cudaEventRecord(a, stream));
        for (int r = 0; r < reps; ++r) run(w, x, y, stream);
        SFB_CUDA(cudaEventRecord(b, stream));
        SFB_CUDA(cudaEventSynchronize(b));
        float ms = 0;
        SFB_CUDA(cudaEventElapsedTime(&ms, a, b));
        ms /= reps;
        tried.push_back({{"heuristic_index", i}, {"ms", ms}});
        if (ms < best_ms) {
          best_ms = ms;
          best = i;
        }
      }
    } catch (...) {
      cudaEventDestroy(a);
      cudaEventDestroy(b);
      throw;
    }
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    search_["timed"] = tried;
  }
  chosen_ = res[best];
  have_algo_ = true;
  search_["chosen_heuristic_index"] = best;
}

void CublasLtGemm::run(const void *w, const void *x, void *y, cudaStream_t stream) const {
  if (!have_algo_) throw CublasError("cuBLASLt: run before choose_algorithm");
  const float alpha = 1.0f, beta = 0.0f;
  const void *A = (layout_ == Layout::Linear) ? w : x;
  const void *B = (layout_ == Layout::Linear) ? x : w;
  SFB_CUBLAS(cublasLtMatmul(handle_, op_, &alpha, A, a_, B, b_, &beta, y, d_, y, d_, &chosen_.algo, workspace_,
                            workspace_bytes_, stream));
}

nlohmann::json CublasLtGemm::details() const {
  nlohmann::json j = search_;
  j["compute_type"] = "CUBLAS_COMPUTE_32F";
  j["operands"] = (layout_ == Layout::Linear) ? "A = W (op T, ld K), B = X (op N, ld K), D = Y^T (ld M)"
                                              : "A = B^T view (ld N), B = A^T view (ld K), D = D^T view (ld N)";
  if (have_algo_) {
    int32_t id = 0, splitk = 0;
    uint32_t tile = 0, stages = 0, reduction = 0;
    size_t written = 0;
    cublasLtMatmulAlgoConfigGetAttribute(&chosen_.algo, CUBLASLT_ALGO_CONFIG_ID, &id, sizeof id, &written);
    cublasLtMatmulAlgoConfigGetAttribute(&chosen_.algo, CUBLASLT_ALGO_CONFIG_TILE_ID, &tile, sizeof tile, &written);
    cublasLtMatmulAlgoConfigGetAttribute(&chosen_.algo, CUBLASLT_ALGO_CONFIG_SPLITK_NUM, &splitk, sizeof splitk,
                                         &written);
    cublasLtMatmulAlgoConfigGetAttribute(&chosen_.algo, CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME, &reduction,
                                         sizeof reduction, &written);
    cublasLtMatmulAlgoConfigGetAttribute(&chosen_.algo, CUBLASLT_ALGO_CONFIG_STAGES_ID, &stages, sizeof stages,
                                         &written);
    j["algo_id"] = id;
    j["tile_id"] = tile;
    j["splitk_num"] = splitk;
    j["reduction_scheme"] = reduction;
    j["stages_id"] = stages;
    j["waves_count"] = chosen_.wavesCount;
    j["workspace_bytes"] = chosen_.workspaceSize;
  }
  j["workspace_limit_bytes"] = workspace_bytes_;
  return j;
}

}  // namespace sfb
