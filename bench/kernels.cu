#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "kernels.hpp"

namespace sfb {
namespace {

constexpr int kThreads = 256;

struct Scratch {
  double sum_sq;
  unsigned long long nonfinite;
  unsigned long long max_abs_bits;  // non-negative doubles order like their bit patterns
  unsigned long long max_rel_bits;
};

__device__ __forceinline__ uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

__device__ __forceinline__ double load_value(const uint16_t *p, int64_t i, bool is_f16) {
  const uint16_t bits = p[i];
  if (is_f16) return static_cast<double>(__half2float(__ushort_as_half(bits)));
  return static_cast<double>(__uint_as_float(static_cast<uint32_t>(bits) << 16));
}

__global__ void fill_random_kernel(uint16_t *dst, int64_t count, uint64_t seed, bool is_f16) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const uint64_t h = splitmix64(seed ^ splitmix64(static_cast<uint64_t>(i)));
    const uint32_t u = static_cast<uint32_t>(h >> 40);  // 24 random bits
    // An odd integer in (-2^24, 2^24), exact in float, times 2^-24: uniform in (-1, 1), at least
    // 2^-24 in magnitude, which f16 (smallest subnormal 2^-24) and bf16 still represent: never 0.
    const int32_t odd = static_cast<int32_t>(2u * u + 1u) - (1 << 24);
    const float v = static_cast<float>(odd) * 0x1p-24f;
    dst[i] = is_f16 ? __half_as_ushort(__float2half_rn(v)) : __bfloat16_as_ushort(__float2bfloat16_rn(v));
  }
}

__global__ void gather_kernel(const uint16_t *src, const int64_t *offsets, int64_t count, uint16_t *dst) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x)
    dst[e] = src[offsets[e]];
}

__device__ void block_sum(double v, unsigned long long c, double *sum_out, unsigned long long *count_out) {
  __shared__ double s_sum[kThreads];
  __shared__ unsigned long long s_cnt[kThreads];
  s_sum[threadIdx.x] = v;
  s_cnt[threadIdx.x] = c;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) {
      s_sum[threadIdx.x] += s_sum[threadIdx.x + w];
      s_cnt[threadIdx.x] += s_cnt[threadIdx.x + w];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    atomicAdd(sum_out, s_sum[0]);
    atomicAdd(count_out, s_cnt[0]);
  }
}

__global__ void sum_sq_kernel(const uint16_t *ref, int64_t count, bool is_f16, Scratch *s) {
  double acc = 0;
  unsigned long long bad = 0;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const double r = load_value(ref, i, is_f16);
    if (isfinite(r))
      acc += r * r;
    else
      ++bad;
  }
  block_sum(acc, bad, &s->sum_sq, &s->nonfinite);
}

__global__ void compare_kernel(const uint16_t *out, const uint16_t *ref, int64_t count, bool is_f16, double rms_floor,
                               Scratch *s) {
  __shared__ double s_abs[kThreads];
  __shared__ double s_rel[kThreads];
  __shared__ unsigned long long s_bad[kThreads];
  double max_abs = 0, max_rel = 0;
  unsigned long long bad = 0;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const double d = load_value(out, i, is_f16);
    const double r = load_value(ref, i, is_f16);
    if (!isfinite(d) || !isfinite(r)) {
      ++bad;
      continue;
    }
    const double err = fabs(d - r);
    max_abs = fmax(max_abs, err);
    max_rel = fmax(max_rel, err / fmax(fabs(r), rms_floor));
  }
  s_abs[threadIdx.x] = max_abs;
  s_rel[threadIdx.x] = max_rel;
  s_bad[threadIdx.x] = bad;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) {
      s_abs[threadIdx.x] = fmax(s_abs[threadIdx.x], s_abs[threadIdx.x + w]);
      s_rel[threadIdx.x] = fmax(s_rel[threadIdx.x], s_rel[threadIdx.x + w]);
      s_bad[threadIdx.x] += s_bad[threadIdx.x + w];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    atomicMax(&s->max_abs_bits, static_cast<unsigned long long>(__double_as_longlong(s_abs[0])));
    atomicMax(&s->max_rel_bits, static_cast<unsigned long long>(__double_as_longlong(s_rel[0])));
    atomicAdd(&s->nonfinite, s_bad[0]);
  }
}

int grid_for(int64_t count) {
  const int64_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(blocks, 4096)));
}

}  // namespace

void fill_random(void *dst, DType t, int64_t count, uint64_t seed, cudaStream_t stream) {
  if (count <= 0) return;
  fill_random_kernel<<<grid_for(count), kThreads, 0, stream>>>(static_cast<uint16_t *>(dst), count, seed,
                                                               t == DType::F16);
  SFB_CUDA(cudaGetLastError());
}

void gather_u16(const void *src, const int64_t *offsets, int64_t count, uint16_t *dst, cudaStream_t stream) {
  if (count <= 0) return;
  gather_kernel<<<grid_for(count), kThreads, 0, stream>>>(static_cast<const uint16_t *>(src), offsets, count, dst);
  SFB_CUDA(cudaGetLastError());
}

DeviceComparer::DeviceComparer() : scratch_(sizeof(Scratch)) {}

double DeviceComparer::rms(const void *ref, int64_t count, DType t, cudaStream_t stream, int64_t *nonfinite_ref) {
  Scratch *s = scratch_.as<Scratch>();
  SFB_CUDA(cudaMemsetAsync(s, 0, sizeof(Scratch), stream));
  sum_sq_kernel<<<grid_for(count), kThreads, 0, stream>>>(static_cast<const uint16_t *>(ref), count,
                                                          t == DType::F16, s);
  SFB_CUDA(cudaGetLastError());
  Scratch h{};
  SFB_CUDA(cudaMemcpyAsync(&h, s, sizeof h, cudaMemcpyDeviceToHost, stream));
  SFB_CUDA(cudaStreamSynchronize(stream));
  if (nonfinite_ref) *nonfinite_ref = static_cast<int64_t>(h.nonfinite);
  const int64_t finite = count - static_cast<int64_t>(h.nonfinite);
  return finite > 0 ? std::sqrt(h.sum_sq / static_cast<double>(finite)) : 0.0;
}

DeviceCompareResult DeviceComparer::compare(const void *out, const void *ref, int64_t count, DType t,
                                            double ref_rms, cudaStream_t stream) {
  Scratch *s = scratch_.as<Scratch>();
  SFB_CUDA(cudaMemsetAsync(s, 0, sizeof(Scratch), stream));
  const double rms_floor = ref_rms > 0 ? ref_rms : DBL_MIN;
  compare_kernel<<<grid_for(count), kThreads, 0, stream>>>(static_cast<const uint16_t *>(out),
                                                           static_cast<const uint16_t *>(ref), count,
                                                           t == DType::F16, rms_floor, s);
  SFB_CUDA(cudaGetLastError());
  Scratch h{};
  SFB_CUDA(cudaMemcpyAsync(&h, s, sizeof h, cudaMemcpyDeviceToHost, stream));
  SFB_CUDA(cudaStreamSynchronize(stream));
  DeviceCompareResult r;
  r.elements = count;
  unsigned long long b = h.max_abs_bits;
  std::memcpy(&r.max_abs_err, &b, sizeof b);
  b = h.max_rel_bits;
  std::memcpy(&r.max_rel_err, &b, sizeof b);
  r.ref_rms = ref_rms;
  r.nonfinite = static_cast<int64_t>(h.nonfinite);
  return r;
}

}  // namespace sfb
