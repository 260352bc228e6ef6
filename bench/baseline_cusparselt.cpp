#include "baseline_cusparselt.hpp"

#include <stdexcept>

#include "cuda_check.hpp"
#include "device_buffer.hpp"

#if defined(SF_BENCH_HAVE_CUSPARSELT)
#include <cusparseLt.h>
#endif

namespace sfb {

#if !defined(SF_BENCH_HAVE_CUSPARSELT)

static const char *kNotBuilt =
    "sf_bench was built without cuSPARSELt (CMake SF_BENCH_CUSPARSELT=OFF, or AUTO and not found; "
    "set SF_BENCH_CUSPARSELT_ROOT)";

bool cusparselt_compiled() { return false; }
nlohmann::json cusparselt_info() {
  return {{"compiled", false}, {"header_version", nullptr}, {"library_version", nullptr}, {"reason", kNotBuilt}};
}
void cusparselt_shutdown() {}

struct CusparseLtGemm::Impl {};
CusparseLtGemm::CusparseLtGemm(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CusparseLtGemm::~CusparseLtGemm() = default;
std::unique_ptr<CusparseLtGemm> CusparseLtGemm::create(DType, Layout, int64_t, int64_t, int64_t, std::string *why) {
  *why = kNotBuilt;
  return nullptr;
}
size_t CusparseLtGemm::compressed_bytes() const { return 0; }
void CusparseLtGemm::compress(const void *, void *, cudaStream_t) { throw std::logic_error(kNotBuilt); }
std::string CusparseLtGemm::search(const void *, const void *, void *, cudaStream_t) { return kNotBuilt; }
void CusparseLtGemm::run(const void *, const void *, void *, cudaStream_t) const { throw std::logic_error(kNotBuilt); }
nlohmann::json CusparseLtGemm::details() const { return nlohmann::json::object(); }

#else  // SF_BENCH_HAVE_CUSPARSELT

namespace {

std::string status_text(cusparseStatus_t s) {
#if defined(CUSPARSELT_VERSION) && CUSPARSELT_VERSION >= 800
  return std::string(cusparseLtGetErrorName(s)) + " (" + cusparseLtGetErrorString(s) + ")";
#else
  static const char *names[] = {"CUSPARSE_STATUS_SUCCESS",        "CUSPARSE_STATUS_NOT_INITIALIZED",
                                "CUSPARSE_STATUS_ALLOC_FAILED",   "CUSPARSE_STATUS_INVALID_VALUE",
                                "CUSPARSE_STATUS_ARCH_MISMATCH",  "CUSPARSE_STATUS_MAPPING_ERROR",
                                "CUSPARSE_STATUS_EXECUTION_FAILED", "CUSPARSE_STATUS_INTERNAL_ERROR",
                                "CUSPARSE_STATUS_MATRIX_TYPE_NOT_SUPPORTED", "CUSPARSE_STATUS_ZERO_PIVOT",
                                "CUSPARSE_STATUS_NOT_SUPPORTED",  "CUSPARSE_STATUS_INSUFFICIENT_RESOURCES"};
  const int i = static_cast<int>(s);
  return (i >= 0 && i < 12) ? names[i] : "cusparseStatus_t " + std::to_string(i);
#endif
}

struct LtError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

#define SFB_LT(call)                                                                   \
  do {                                                                                 \
    cusparseStatus_t sfb_l_ = (call);                                                  \
    if (sfb_l_ != CUSPARSE_STATUS_SUCCESS)                                             \
      throw LtError(std::string(#call).substr(0, std::string(#call).find('(')) + ": " + \
                    status_text(sfb_l_));                                              \
  } while (0)

// One handle for the process (tied to the current device when created).
cusparseLtHandle_t *g_handle = nullptr;

cusparseLtHandle_t *handle() {
  if (!g_handle) {
    auto *h = new cusparseLtHandle_t;
    cusparseStatus_t s = cusparseLtInit(h);
    if (s != CUSPARSE_STATUS_SUCCESS) {
      delete h;
      throw LtError("cusparseLtInit: " + status_text(s));
    }
    g_handle = h;
  }
  return g_handle;
}

std::string header_version() {
  return std::to_string(CUSPARSELT_VER_MAJOR) + "." + std::to_string(CUSPARSELT_VER_MINOR) + "." +
         std::to_string(CUSPARSELT_VER_PATCH);
}

}  // namespace

bool cusparselt_compiled() { return true; }

nlohmann::json cusparselt_info() {
  nlohmann::json j = {{"compiled", true}, {"header_version", header_version()}, {"reason", ""}};
  try {
    int v = 0;
    SFB_LT(cusparseLtGetVersion(handle(), &v));
    j["library_version"] = v;
  } catch (const std::exception &e) {
    j["library_version"] = nullptr;
    j["reason"] = e.what();
  }
  return j;
}

void cusparselt_shutdown() {
  if (g_handle) {
    cusparseLtDestroy(g_handle);
    delete g_handle;
    g_handle = nullptr;
  }
}

// The descriptors are large opaque structs: kept on the heap, destroyed in reverse order.
struct CusparseLtGemm::Impl {
  cusparseLtMatDescriptor_t mat_a{}, mat_b{}, mat_d{};
  cusparseLtMatmulDescriptor_t matmul{};
  cusparseLtMatmulAlgSelection_t alg{};
  cusparseLtMatmulPlan_t plan{};
  bool has_a = false, has_b = false, has_d = false, has_alg = false, has_plan = false;
  size_t compressed = 0, compress_buffer = 0;
  DeviceBuffer workspace;
  bool searched = false;
  int alg_config_max = -1;
  std::string layout_text;

  ~Impl() {
    if (has_plan) cusparseLtMatmulPlanDestroy(&plan);
#if CUSPARSELT_VERSION >= 800
    if (has_alg) cusparseLtMatmulAlgSelectionDestroy(&alg);
#endif
    if (has_d) cusparseLtMatDescriptorDestroy(&mat_d);
    if (has_b) cusparseLtMatDescriptorDestroy(&mat_b);
    if (has_a) cusparseLtMatDescriptorDestroy(&mat_a);
  }
};

CusparseLtGemm::CusparseLtGemm(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CusparseLtGemm::~CusparseLtGemm() = default;

std::unique_ptr<CusparseLtGemm> CusparseLtGemm::create(DType t, Layout layout, int64_t m, int64_t n, int64_t k,
                                                       std::string *why) {
  const cudaDataType type = (t == DType::F16) ? CUDA_R_16F : CUDA_R_16BF;
  const uint32_t align = 16;
  auto p = std::make_unique<Impl>();
  try {
    cusparseLtHandle_t *h = handle();
    // A: the weight [M, K] row-major, 2:4 along K, op N.
    SFB_LT(cusparseLtStructuredDescriptorInit(h, &p->mat_a, m, k, k, align, type, CUSPARSE_ORDER_ROW,
                                              CUSPARSELT_SPARSITY_50_PERCENT));
    p->has_a = true;
    cusparseOperation_t op_b;
    if (layout == Layout::Linear) {
      // B = X^T: X [N, K] row-major with op T; D [M, N] column-major (ld M) is Y [N, M] row-major.
      SFB_LT(cusparseLtDenseDescriptorInit(h, &p->mat_b, n, k, k, align, type, CUSPARSE_ORDER_ROW));
      p->has_b = true;
      SFB_LT(cusparseLtDenseDescriptorInit(h, &p->mat_d, m, n, m, align, type, CUSPARSE_ORDER_COL));
      p->has_d = true;
      op_b = CUSPARSE_OPERATION_TRANSPOSE;
      p->layout_text = "A = W [M,K] row-major op N (structured), B = X [N,K] row-major op T, C = D = [M,N] column-major";
    } else {
      SFB_LT(cusparseLtDenseDescriptorInit(h, &p->mat_b, k, n, n, align, type, CUSPARSE_ORDER_ROW));
      p->has_b = true;
      SFB_LT(cusparseLtDenseDescriptorInit(h, &p->mat_d, m, n, n, align, type, CUSPARSE_ORDER_ROW));
      p->has_d = true;
      op_b = CUSPARSE_OPERATION_NON_TRANSPOSE;
      p->layout_text = "A [M,K] row-major op N (structured), B [K,N] row-major op N, C = D = [M,N] row-major";
    }
#if CUSPARSELT_VERSION >= 502
    const cusparseComputeType compute = CUSPARSE_COMPUTE_32F;  // fp32 accumulation for f16/bf16
#else
    const cusparseComputeType compute = CUSPARSE_COMPUTE_16F;  // older releases: f16/bf16 in, fp32 accumulate
#endif
    SFB_LT(cusparseLtMatmulDescriptorInit(h, &p->matmul, CUSPARSE_OPERATION_NON_TRANSPOSE, op_b, &p->mat_a,
                                          &p->mat_b, &p->mat_d, &p->mat_d, compute));
    SFB_LT(cusparseLtMatmulAlgSelectionInit(h, &p->alg, &p->matmul, CUSPARSELT_MATMUL_ALG_DEFAULT));
    p->has_alg = true;
    int max_id = -1;
    if (cusparseLtMatmulAlgGetAttribute(h, &p->alg, CUSPARSELT_MATMUL_ALG_CONFIG_MAX_ID, &max_id, sizeof max_id) ==
        CUSPARSE_STATUS_SUCCESS)
      p->alg_config_max = max_id;
    SFB_LT(cusparseLtMatmulPlanInit(h, &p->plan, &p->matmul, &p->alg));
    p->has_plan = true;
    SFB_LT(cusparseLtSpMMACompressedSize(h, &p->plan, &p->compressed, &p->compress_buffer));
    size_t ws = 0;
    SFB_LT(cusparseLtMatmulGetWorkspace(h, &p->plan, &ws));
    p->workspace = DeviceBuffer(ws);
  } catch (const LtError &e) {
    *why = std::string("cuSPARSELt refused the problem: ") + e.what();
    return nullptr;
  }
  return std::unique_ptr<CusparseLtGemm>(new CusparseLtGemm(std::move(p)));
}

size_t CusparseLtGemm::compressed_bytes() const { return impl_->compressed; }

void CusparseLtGemm::compress(const void *w_dense, void *dst, cudaStream_t stream) {
  cusparseLtHandle_t *h = handle();
  DeviceBuffer valid(sizeof(int));
  // The check only ever raises the flag, so it must start cleared.
  SFB_CUDA(cudaMemsetAsync(valid.get(), 0, sizeof(int), stream));
  SFB_LT(cusparseLtSpMMAPruneCheck(h, &impl_->matmul, w_dense, valid.as<int>(), stream));
  int v = -1;
  SFB_CUDA(cudaMemcpyAsync(&v, valid.get(), sizeof v, cudaMemcpyDeviceToHost, stream));
  SFB_CUDA(cudaStreamSynchronize(stream));
  if (v != 0) throw std::runtime_error("cusparseLtSpMMAPruneCheck: the sf_prune output is not 2:4 for cuSPARSELt");
  DeviceBuffer tmp(impl_->compress_buffer);
  SFB_LT(cusparseLtSpMMACompress(h, &impl_->plan, w_dense, dst, tmp.get(), stream));
  SFB_CUDA(cudaStreamSynchronize(stream));
}

std::string CusparseLtGemm::search(const void *wc, const void *x, void *y, cudaStream_t stream) {
  const float alpha = 1.0f, beta = 0.0f;
  try {
    cusparseLtHandle_t *h = handle();
    cudaStream_t streams[1] = {stream};
    SFB_LT(cusparseLtMatmulSearch(h, &impl_->plan, &alpha, wc, x, &beta, y, y, impl_->workspace.get(), streams, 1));
    SFB_CUDA(cudaStreamSynchronize(stream));
    size_t ws = 0;
    SFB_LT(cusparseLtMatmulGetWorkspace(h, &impl_->plan, &ws));
    if (ws > impl_->workspace.size()) impl_->workspace = DeviceBuffer(ws);
    impl_->searched = true;
  } catch (const LtError &e) {
    return std::string("cuSPARSELt algorithm search failed: ") + e.what();
  }
  return "";
}

void CusparseLtGemm::run(const void *wc, const void *x, void *y, cudaStream_t stream) const {
  const float alpha = 1.0f, beta = 0.0f;
  cudaStream_t streams[1] = {stream};
  SFB_LT(cusparseLtMatmul(handle(), &impl_->plan, &alpha, wc, x, &beta, y, y, impl_->workspace.get(), streams, 1));
}

nlohmann::json CusparseLtGemm::details() const {
  return {{"operands", impl_->layout_text},
          {"compute_type", "CUSPARSE_COMPUTE_32F"},
          {"algorithm", impl_->searched ? "cusparseLtMatmulSearch, once per case before timing" : "default"},
          {"alg_config_max_id", impl_->alg_config_max},
          {"compressed_bytes", impl_->compressed},
          {"compress_buffer_bytes", impl_->compress_buffer},
          {"workspace_bytes", impl_->workspace.size()},
          {"header_version", header_version()}};
}

#endif  // SF_BENCH_HAVE_CUSPARSELT

}  // namespace sfb
