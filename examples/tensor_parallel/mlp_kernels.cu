#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "checks.hpp"
#include "mlp_kernels.hpp"

namespace sftp {
namespace {

template <typename T>
__device__ T from_float(float v);
template <>
__device__ __half from_float<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

// splitmix64 of the element's index: any block of the matrix can be generated on its own.
__device__ float hashed_uniform(uint64_t seed, uint64_t index) {
  uint64_t z = seed * 0x9e3779b97f4a7c15ull + index + 0x632be59bd9b4e019ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

template <typename T>
__global__ void fill_uniform_kernel(T *dst, MatrixBlock block, uint64_t seed, float scale) {
  const int64_t count = block.rows * block.cols;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / block.cols, c = i % block.cols;
    const uint64_t index = static_cast<uint64_t>((block.row0 + r) * block.full_cols + block.col0 + c);
    dst[r * block.ld + c] = from_float<T>(scale * hashed_uniform(seed, index));
  }
}

template <typename T>
__global__ void swiglu_kernel(const T *h, T *out, int64_t batch, int64_t width) {
  const int64_t count = batch * width;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t b = i / width, j = i % width;
    const float gate = static_cast<float>(h[b * 2 * width + j]);
    const float up = static_cast<float>(h[b * 2 * width + width + j]);
    out[i] = from_float<T>(gate / (1.0f + expf(-gate)) * up);
  }
}

constexpr int kThreads = 256;

unsigned grid_for(int64_t count) {
  const int64_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65536 ? (blocks > 0 ? blocks : 1) : 65536);
}

}  // namespace

void fill_uniform(void *dst, sf_dtype_t dtype, const MatrixBlock &block, uint64_t seed,
                  float scale, cudaStream_t stream) {
  const unsigned grid = grid_for(block.rows * block.cols);
  if (dtype == SF_DTYPE_F16)
    fill_uniform_kernel<<<grid, kThreads, 0, stream>>>(static_cast<__half *>(dst), block, seed, scale);
  else
    fill_uniform_kernel<<<grid, kThreads, 0, stream>>>(static_cast<__nv_bfloat16 *>(dst), block,
                                                       seed, scale);
  TP_CUDA(cudaGetLastError());
}

void swiglu(const void *h, void *out, sf_dtype_t dtype, int64_t batch, int64_t width,
            cudaStream_t stream) {
  const unsigned grid = grid_for(batch * width);
  if (dtype == SF_DTYPE_F16)
    swiglu_kernel<<<grid, kThreads, 0, stream>>>(static_cast<const __half *>(h),
                                                 static_cast<__half *>(out), batch, width);
  else
    swiglu_kernel<<<grid, kThreads, 0, stream>>>(static_cast<const __nv_bfloat16 *>(h),
                                                 static_cast<__nv_bfloat16 *>(out), batch, width);
  TP_CUDA(cudaGetLastError());
}

}  // namespace sftp
