#include "tp_mlp.hpp"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "checks.hpp"
#include "mlp_kernels.hpp"

namespace sftp {
namespace {

constexpr size_t kElementBytes = 2;  // fp16 and bf16

// Owns one allocation on the device current at construction.
class DeviceMemory {
 public:
  DeviceMemory() = default;
  explicit DeviceMemory(size_t bytes) : bytes_(bytes) { TP_CUDA(cudaMalloc(&pointer_, bytes)); }
  ~DeviceMemory() { cudaFree(pointer_); }
  DeviceMemory(DeviceMemory &&other) noexcept { *this = std::move(other); }
  DeviceMemory &operator=(DeviceMemory &&other) noexcept {
    std::swap(pointer_, other.pointer_);
    std::swap(bytes_, other.bytes_);
    return *this;
  }
  void *get() const { return pointer_; }
  size_t size() const { return bytes_; }

 private:
  void *pointer_ = nullptr;
  size_t bytes_ = 0;
};

// Makes `device` current for a scope and restores the caller's device afterwards.
class DeviceScope {
 public:
  explicit DeviceScope(int device) {
    TP_CUDA(cudaGetDevice(&previous_));
    TP_CUDA(cudaSetDevice(device));
  }
  ~DeviceScope() { cudaSetDevice(previous_); }
  DeviceScope(const DeviceScope &) = delete;
  DeviceScope &operator=(const DeviceScope &) = delete;

 private:
  int previous_ = 0;
};

// Lets the ranks' threads start a timed region together, so that no rank's measurement includes
// waiting in the all-reduce for a rank that started late. Reusable.
class RankBarrier {
 public:
  explicit RankBarrier(int parties) : parties_(parties) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    const uint64_t generation = generation_;
    if (++arrived_ == parties_) {
      arrived_ = 0;
      ++generation_;
      released_.notify_all();
      return;
    }
    released_.wait(lock, [&] { return generation_ != generation; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  int parties_, arrived_ = 0;
  uint64_t generation_ = 0;
};

cudaDataType_t cuda_type(sf_dtype_t dtype) {
  switch (dtype) {
    case SF_DTYPE_F16: return CUDA_R_16F;
    case SF_DTYPE_BF16: return CUDA_R_16BF;
    default: return CUDA_R_32F;
  }
}

ncclDataType_t nccl_type(sf_dtype_t dtype) {
  return dtype == SF_DTYPE_F16 ? ncclFloat16 : ncclBfloat16;
}

float half_bits_to_float(uint16_t bits) {
  const uint32_t exponent = (bits >> 10) & 0x1fu, mantissa = bits & 0x3ffu;
  float value;
  if (exponent == 0)
    value = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    value = mantissa != 0 ? NAN : INFINITY;
  else
    value = std::ldexp(static_cast<float>(mantissa | 0x400u), static_cast<int>(exponent) - 25);
  return (bits & 0x8000u) ? -value : value;
}

float bits_to_float(sf_dtype_t dtype, uint16_t bits) {
  if (dtype == SF_DTYPE_F16) return half_bits_to_float(bits);
  const uint32_t widened = uint32_t{bits} << 16;
  float value;
  std::memcpy(&value, &widened, sizeof value);
  return value;
}

// The seeds of the two weights; the input uses the caller's seeds.
uint64_t gate_up_seed(uint64_t seed) { return seed * 4 + 1; }
uint64_t down_seed(uint64_t seed) { return seed * 4 + 2; }
// Weights scaled by 1 / sqrt(K) keep every activation of the MLP near 1 whatever its size.
float weight_scale(int64_t k) { return 1.0f / std::sqrt(static_cast<float>(k)); }

// A block of a full weight, generated and pruned to 2:4 in place on the current device. Pruning
// is row-wise in groups of 4 along K, so a shard pruned alone equals that part of the pruned
// full weight as long as its column offset is a multiple of 4.
void make_pruned_block(void *dst, sf_dtype_t dtype, const MatrixBlock &block, uint64_t seed,
                       float scale, cudaStream_t stream) {
  fill_uniform(dst, dtype, block, seed, scale, stream);
  TP_SF(sf_prune(SF_MEMORY_DEVICE, dtype, block.rows, block.cols, dst, block.ld, dst, block.ld,
                 reinterpret_cast<sf_stream_t>(stream)));
}

// Y[batch][rows] = X[batch][k] W[rows][k]^T by cuBLAS, fp32 accumulation, output of out_type.
void cublas_linear(cublasHandle_t handle, sf_dtype_t dtype, sf_dtype_t out_type, int64_t rows,
                   int64_t k, int64_t batch, const void *w, const void *x, void *y) {
  const float one = 1.f, zero = 0.f;
  // Column-major view: Y^T[rows][batch] = W^T' (rows x k) * X^T (k x batch).
  TP_CUBLAS(cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(rows),
                         static_cast<int>(batch), static_cast<int>(k), &one, w, cuda_type(dtype),
                         static_cast<int>(k), x, cuda_type(dtype), static_cast<int>(k), &zero, y,
                         cuda_type(out_type), static_cast<int>(rows), CUBLAS_COMPUTE_32F,
                         CUBLAS_GEMM_DEFAULT));
}

// A compressed copy of a pruned dense weight on the current device.
struct PackedWeight {
  DeviceMemory buffer;
  sf_compressed_header_t header{};
};
PackedWeight pack(const DeviceMemory &dense, sf_dtype_t dtype, int64_t rows, int64_t k,
                  cudaStream_t stream) {
  PackedWeight packed;
  size_t bytes = 0;
  TP_SF(sf_compressed_size(dtype, rows, k, &bytes));
  packed.buffer = DeviceMemory(bytes);
  TP_SF(sf_compress(SF_MEMORY_DEVICE, dtype, rows, k, dense.get(), k, packed.buffer.get(), bytes,
                    &packed.header, reinterpret_cast<sf_stream_t>(stream)));
  return packed;
}

template <typename Fn, typename Ranks>
void for_each_rank_in_parallel(Ranks &ranks, Fn fn) {
  std::vector<std::exception_ptr> errors(ranks.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < ranks.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        TP_CUDA(cudaSetDevice(ranks[i]->device));
        fn(*ranks[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  for (auto &thread : threads) thread.join();
  for (auto &error : errors)
    if (error) std::rethrow_exception(error);
}

}  // namespace

const char *backend_name(Backend backend) {
  return backend == Backend::SparseFlow ? "sparseflow" : "cublas_dense";
}

ShardDims shard_dims(const MlpDims &dims, int tp) {
  if (tp < 1 || dims.intermediate % tp != 0 || (dims.intermediate / tp) % SF_K_GRANULARITY != 0)
    throw std::invalid_argument("TP = " + std::to_string(tp) + " does not split the intermediate " +
                                "size " + std::to_string(dims.intermediate) + " into shards that " +
                                "are multiples of " + std::to_string(SF_K_GRANULARITY));
  if (dims.hidden % SF_K_GRANULARITY != 0)
    throw std::invalid_argument("the hidden size must be a multiple of " +
                                std::to_string(SF_K_GRANULARITY));
  const int64_t width = dims.intermediate / tp;
  return {2 * width, dims.hidden, dims.hidden, width};
}

struct TensorParallelMlp::Rank {
  int index = 0, device = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  ncclComm_t comm = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
  DeviceMemory gate_up, down;  // dense pruned shards, [rows][k]
  PackedWeight gate_up_packed, down_packed;
  DeviceMemory x, h, a, y;     // input, gate_up output, SwiGLU output, (reduced) output

  ~Rank() {
    // The members' memory is freed after this body, with the rank's device current.
    cudaSetDevice(device);
    if (comm != nullptr) ncclCommDestroy(comm);
    if (cublas != nullptr) cublasDestroy(cublas);
    if (start != nullptr) cudaEventDestroy(start);
    if (stop != nullptr) cudaEventDestroy(stop);
    if (stream != nullptr) cudaStreamDestroy(stream);
  }
};

struct TensorParallelMlp::Reference {
  int device = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  DeviceMemory gate_up, down, x, h, a, y;

  ~Reference() {
    cudaSetDevice(device);
    if (cublas != nullptr) cublasDestroy(cublas);
    if (stream != nullptr) cudaStreamDestroy(stream);
  }
};

namespace {

// The rank's gate rows [r w, (r + 1) w) and up rows [I + r w, I + (r + 1) w) of gate_up
// (full layout: I gate rows, then I up rows), and its columns [r w, (r + 1) w) of down.
void make_rank_weights(void *gate_up, void *down, sf_dtype_t dtype, const MlpDims &dims,
                       const ShardDims &shard, int rank, uint64_t seed, cudaStream_t stream) {
  const int64_t width = shard.down_k, hidden = dims.hidden;
  const float gate_up_scale = weight_scale(hidden), down_scale = weight_scale(dims.intermediate);
  make_pruned_block(gate_up, dtype, {width, hidden, hidden, rank * width, 0, hidden},
                    gate_up_seed(seed), gate_up_scale, stream);
  make_pruned_block(static_cast<char *>(gate_up) + width * hidden * kElementBytes, dtype,
                    {width, hidden, hidden, dims.intermediate + rank * width, 0, hidden},
                    gate_up_seed(seed), gate_up_scale, stream);
  make_pruned_block(down, dtype, {hidden, width, width, 0, rank * width, dims.intermediate},
                    down_seed(seed), down_scale, stream);
}

void fill_input(void *x, sf_dtype_t dtype, int64_t batch, int64_t hidden, uint64_t seed,
                cudaStream_t stream) {
  fill_uniform(x, dtype, {batch, hidden, hidden, 0, 0, hidden}, seed, 1.0f, stream);
}

}  // namespace

TensorParallelMlp::TensorParallelMlp(const MlpDims &dims, int tp, sf_dtype_t dtype,
                                     int64_t max_batch, uint64_t seed)
    : dims_(dims), shard_(shard_dims(dims, tp)), dtype_(dtype), max_batch_(max_batch), seed_(seed) {
  if (dtype != SF_DTYPE_F16 && dtype != SF_DTYPE_BF16)
    throw std::invalid_argument("the MLP runs in fp16 or bf16");
  if (max_batch < 1) throw std::invalid_argument("max_batch must be >= 1");
  int devices = 0;
  TP_CUDA(cudaGetDeviceCount(&devices));
  if (tp > devices)
    throw std::invalid_argument("TP = " + std::to_string(tp) + " needs " + std::to_string(tp) +
                                " GPUs; " + std::to_string(devices) + " are visible");

  std::vector<int> device_list(static_cast<size_t>(tp));
  std::vector<ncclComm_t> comms(static_cast<size_t>(tp));
  for (int r = 0; r < tp; ++r) {
    device_list[static_cast<size_t>(r)] = r;
    ranks_.push_back(std::make_unique<Rank>());
    ranks_.back()->index = r;
    ranks_.back()->device = r;
  }
  {
    DeviceScope scope(0);
    TP_NCCL(ncclCommInitAll(comms.data(), tp, device_list.data()));
  }
  for (int r = 0; r < tp; ++r) ranks_[static_cast<size_t>(r)]->comm = comms[static_cast<size_t>(r)];

  for_each_rank_in_parallel(ranks_, [&](Rank &rank) {
    TP_CUDA(cudaStreamCreateWithFlags(&rank.stream, cudaStreamNonBlocking));
    TP_CUDA(cudaEventCreate(&rank.start));
    TP_CUDA(cudaEventCreate(&rank.stop));
    TP_CUBLAS(cublasCreate(&rank.cublas));
    TP_CUBLAS(cublasSetStream(rank.cublas, rank.stream));
    rank.gate_up = DeviceMemory(static_cast<size_t>(shard_.gate_up_rows * shard_.gate_up_k) * kElementBytes);
    rank.down = DeviceMemory(static_cast<size_t>(shard_.down_rows * shard_.down_k) * kElementBytes);
    make_rank_weights(rank.gate_up.get(), rank.down.get(), dtype_, dims_, shard_, rank.index, seed_,
                      rank.stream);
    rank.gate_up_packed = pack(rank.gate_up, dtype_, shard_.gate_up_rows, shard_.gate_up_k, rank.stream);
    rank.down_packed = pack(rank.down, dtype_, shard_.down_rows, shard_.down_k, rank.stream);
    rank.x = DeviceMemory(static_cast<size_t>(max_batch_ * dims_.hidden) * kElementBytes);
    rank.h = DeviceMemory(static_cast<size_t>(max_batch_ * shard_.gate_up_rows) * kElementBytes);
    rank.a = DeviceMemory(static_cast<size_t>(max_batch_ * shard_.down_k) * kElementBytes);
    rank.y = DeviceMemory(static_cast<size_t>(max_batch_ * dims_.hidden) * kElementBytes);
    TP_CUDA(cudaStreamSynchronize(rank.stream));
  });
}

TensorParallelMlp::~TensorParallelMlp() = default;

void TensorParallelMlp::check_batch(int64_t batch) const {
  if (batch < 1 || batch > max_batch_)
    throw std::invalid_argument("batch " + std::to_string(batch) + " is outside [1, " +
                                std::to_string(max_batch_) + "]");
}

namespace {

// y[batch][rows] = x[batch][k] W^T with one backend: SparseFlow on the compressed copy of W, or
// cuBLAS on the dense pruned one.
void linear(Backend backend, sf_dtype_t dtype, int64_t rows, int64_t k, int64_t batch,
            const void *dense, const PackedWeight &packed, const void *x, void *y,
            cublasHandle_t cublas, cudaStream_t stream) {
  if (backend == Backend::SparseFlow)
    TP_SF(sf_gemm(SF_LAYOUT_LINEAR, batch, 1.f, &packed.header, packed.buffer.get(),
                  packed.buffer.size(), x, k, 0.f, nullptr, rows, nullptr, dtype, y, rows,
                  reinterpret_cast<sf_stream_t>(stream)));
  else
    cublas_linear(cublas, dtype, dtype, rows, k, batch, dense, x, y);
}

// One rank's step on its stream: nothing here waits for the GPU.
void enqueue_step(const MlpDims &dims, const ShardDims &shard, sf_dtype_t dtype, Backend backend,
                  int64_t batch, bool all_reduce, void *x, void *h, void *a, void *y,
                  const void *gate_up, const PackedWeight &gate_up_packed, const void *down,
                  const PackedWeight &down_packed, cublasHandle_t cublas, ncclComm_t comm,
                  cudaStream_t stream) {
  linear(backend, dtype, shard.gate_up_rows, shard.gate_up_k, batch, gate_up, gate_up_packed, x, h,
         cublas, stream);
  swiglu(h, a, dtype, batch, shard.down_k, stream);
  linear(backend, dtype, shard.down_rows, shard.down_k, batch, down, down_packed, a, y, cublas,
         stream);
  if (all_reduce)
    TP_NCCL(ncclAllReduce(y, y, static_cast<size_t>(batch * dims.hidden), nccl_type(dtype), ncclSum,
                          comm, stream));
}

}  // namespace

StepTime TensorParallelMlp::time_steps(Backend backend, int64_t batch, int warmup, int iterations) {
  check_batch(batch);
  if (warmup < 0 || iterations < 1) throw std::invalid_argument("warmup >= 0 and iterations >= 1");
  std::vector<StepTime> per_rank(ranks_.size());
  RankBarrier barrier(tp());
  for_each_rank_in_parallel(ranks_, [&](Rank &rank) {
    fill_input(rank.x.get(), dtype_, batch, dims_.hidden, seed_ + 1000, rank.stream);
    for (bool all_reduce : {true, false}) {
      auto step = [&] {
        enqueue_step(dims_, shard_, dtype_, backend, batch, all_reduce, rank.x.get(), rank.h.get(),
                     rank.a.get(), rank.y.get(), rank.gate_up.get(), rank.gate_up_packed,
                     rank.down.get(), rank.down_packed, rank.cublas, rank.comm, rank.stream);
      };
      for (int i = 0; i < warmup; ++i) step();
      TP_CUDA(cudaStreamSynchronize(rank.stream));
      barrier.arrive_and_wait();
      TP_CUDA(cudaEventRecord(rank.start, rank.stream));
      for (int i = 0; i < iterations; ++i) step();
      TP_CUDA(cudaEventRecord(rank.stop, rank.stream));
      TP_CUDA(cudaEventSynchronize(rank.stop));
      float elapsed = 0;
      TP_CUDA(cudaEventElapsedTime(&elapsed, rank.start, rank.stop));
      (all_reduce ? per_rank[static_cast<size_t>(rank.index)].step_ms
                  : per_rank[static_cast<size_t>(rank.index)].gemm_ms) = elapsed / iterations;
    }
  });
  StepTime slowest;
  for (const StepTime &t : per_rank) {
    slowest.step_ms = std::max(slowest.step_ms, t.step_ms);
    slowest.gemm_ms = std::max(slowest.gemm_ms, t.gemm_ms);
  }
  return slowest;
}

CheckResult TensorParallelMlp::check(Backend backend, int64_t batch, uint64_t input_seed) {
  check_batch(batch);
  const size_t out_elements = static_cast<size_t>(batch * dims_.hidden);
  std::vector<std::vector<uint16_t>> outputs(ranks_.size(), std::vector<uint16_t>(out_elements));
  for_each_rank_in_parallel(ranks_, [&](Rank &rank) {
    fill_input(rank.x.get(), dtype_, batch, dims_.hidden, input_seed, rank.stream);
    // NaN everywhere first, so an element that the step leaves unwritten fails the check.
    TP_CUDA(cudaMemsetAsync(rank.y.get(), 0xff, out_elements * kElementBytes, rank.stream));
    enqueue_step(dims_, shard_, dtype_, backend, batch, true, rank.x.get(), rank.h.get(),
                 rank.a.get(), rank.y.get(), rank.gate_up.get(), rank.gate_up_packed,
                 rank.down.get(), rank.down_packed, rank.cublas, rank.comm, rank.stream);
    TP_CUDA(cudaMemcpyAsync(outputs[static_cast<size_t>(rank.index)].data(), rank.y.get(),
                            out_elements * kElementBytes, cudaMemcpyDeviceToHost, rank.stream));
    TP_CUDA(cudaStreamSynchronize(rank.stream));
  });

  // The unsharded MLP on device 0; its weights are made once.
  DeviceScope scope(0);
  if (!reference_) {
    auto ref = std::make_unique<Reference>();
    TP_CUDA(cudaStreamCreateWithFlags(&ref->stream, cudaStreamNonBlocking));
    TP_CUBLAS(cublasCreate(&ref->cublas));
    TP_CUBLAS(cublasSetStream(ref->cublas, ref->stream));
    const int64_t hidden = dims_.hidden, inter = dims_.intermediate;
    ref->gate_up = DeviceMemory(static_cast<size_t>(2 * inter * hidden) * kElementBytes);
    ref->down = DeviceMemory(static_cast<size_t>(hidden * inter) * kElementBytes);
    make_pruned_block(ref->gate_up.get(), dtype_, {2 * inter, hidden, hidden, 0, 0, hidden},
                      gate_up_seed(seed_), weight_scale(hidden), ref->stream);
    make_pruned_block(ref->down.get(), dtype_, {hidden, inter, inter, 0, 0, inter},
                      down_seed(seed_), weight_scale(inter), ref->stream);
    ref->x = DeviceMemory(static_cast<size_t>(max_batch_ * hidden) * kElementBytes);
    ref->h = DeviceMemory(static_cast<size_t>(max_batch_ * 2 * inter) * kElementBytes);
    ref->a = DeviceMemory(static_cast<size_t>(max_batch_ * inter) * kElementBytes);
    ref->y = DeviceMemory(static_cast<size_t>(max_batch_ * hidden) * sizeof(float));
    reference_ = std::move(ref);
  }
  Reference &ref = *reference_;
  const int64_t hidden = dims_.hidden, inter = dims_.intermediate;
  fill_input(ref.x.get(), dtype_, batch, hidden, input_seed, ref.stream);
  cublas_linear(ref.cublas, dtype_, dtype_, 2 * inter, hidden, batch, ref.gate_up.get(), ref.x.get(),
                ref.h.get());
  swiglu(ref.h.get(), ref.a.get(), dtype_, batch, inter, ref.stream);
  cublas_linear(ref.cublas, dtype_, SF_DTYPE_F32, hidden, inter, batch, ref.down.get(), ref.a.get(),
                ref.y.get());
  std::vector<float> expected(out_elements);
  TP_CUDA(cudaMemcpyAsync(expected.data(), ref.y.get(), out_elements * sizeof(float),
                          cudaMemcpyDeviceToHost, ref.stream));
  TP_CUDA(cudaStreamSynchronize(ref.stream));

  CheckResult result;
  // Rounding units: 4 for a product (as the single-GPU tests accept), 2 for the rounded
  // gate_up/SwiGLU intermediate, one per addition of the all-reduce.
  const double unit = dtype_ == SF_DTYPE_F16 ? 1.0 / 2048 : 1.0 / 256;
  result.bound = (6 + tp()) * unit;
  result.ranks_identical = std::all_of(outputs.begin(), outputs.end(),
                                       [&](const std::vector<uint16_t> &o) { return o == outputs[0]; });
  for (const auto &output : outputs)
    for (uint16_t bits : output)
      if (!std::isfinite(bits_to_float(dtype_, bits))) ++result.nonfinite;
  for (size_t i = 0; i < out_elements; ++i) {
    result.max_abs_ref = std::max(result.max_abs_ref, std::fabs(static_cast<double>(expected[i])));
    const double got = bits_to_float(dtype_, outputs[0][i]);
    if (std::isfinite(got))  // non-finite outputs are counted above and fail on their own
      result.max_abs_error = std::max(result.max_abs_error, std::fabs(got - expected[i]));
  }
  return result;
}

}  // namespace sftp
