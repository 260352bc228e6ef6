// The LLaMA-70B MLP (gate_up, SwiGLU, down) with tensor parallelism over NCCL, one GPU per rank:
// gate_up split by output rows (each rank keeps its gate rows and the matching up rows, so SwiGLU
// stays local), down split by K, and an all-reduce of down's partial outputs. Each rank multiplies
// its shards with SparseFlow (2:4-compressed) or with cuBLAS (the same pruned weights, dense).
//
// The ranks are driven from one host thread each (a process per GPU works the same way; only the
// NCCL communicator setup differs). A failure on one rank is rethrown after every rank's thread
// has returned; a rank failing between collectives would leave the others waiting in NCCL, which
// only argument errors could cause here, and those fail on every rank alike.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sparseflow/sparseflow.h"

namespace sftp {

struct MlpDims {
  int64_t hidden = 8192;         // LLaMA-70B
  int64_t intermediate = 28672;
};

enum class Backend { SparseFlow, CublasDense };
const char *backend_name(Backend backend);

// The shards one rank holds (row-major weights, W[out][in]; Y = X W^T).
struct ShardDims {
  int64_t gate_up_rows;  // 2 * intermediate / tp: the rank's gate rows, then its up rows
  int64_t gate_up_k;     // hidden
  int64_t down_rows;     // hidden
  int64_t down_k;        // intermediate / tp: the rank's columns of down
};
// Throws std::invalid_argument when intermediate / tp is not a multiple of SF_K_GRANULARITY.
ShardDims shard_dims(const MlpDims &dims, int tp);

// GPU time of one step, averaged over the timed steps, on the slowest rank.
struct StepTime {
  double step_ms = 0;  // gate_up, SwiGLU, down and the all-reduce
  double gemm_ms = 0;  // the same without the all-reduce (what the rank computes alone)
};

// One step's output against the unsharded MLP on device 0.
struct CheckResult {
  double max_abs_error = 0;
  double max_abs_ref = 0;
  double bound = 0;               // accepted max_abs_error / max_abs_ref
  int64_t nonfinite = 0;          // NaN or Inf in any rank's output
  bool ranks_identical = false;   // every rank holds the same bits after the all-reduce
  double relative() const { return max_abs_ref > 0 ? max_abs_error / max_abs_ref : max_abs_error; }
  bool passed() const { return nonfinite == 0 && ranks_identical && relative() <= bound; }
};

class TensorParallelMlp {
 public:
  // Ranks on devices 0 .. tp - 1. Every rank generates its shards of the same random weights
  // (from `seed`), prunes them to 2:4 and compresses them with SparseFlow on its own GPU, and
  // keeps the dense pruned shards for cuBLAS. Activations are sized for max_batch rows.
  TensorParallelMlp(const MlpDims &dims, int tp, sf_dtype_t dtype, int64_t max_batch,
                    uint64_t seed);
  ~TensorParallelMlp();
  TensorParallelMlp(const TensorParallelMlp &) = delete;
  TensorParallelMlp &operator=(const TensorParallelMlp &) = delete;

  int tp() const { return static_cast<int>(ranks_.size()); }
  ShardDims shard() const { return shard_; }

  // `warmup` then `iterations` steps back to back on every rank (no host synchronisation between
  // steps), timed with events on each rank's stream; then the same without the all-reduce.
  StepTime time_steps(Backend backend, int64_t batch, int warmup, int iterations);

  // One step on fresh random input, compared with the unsharded MLP computed on device 0 by
  // cuBLAS (fp32 accumulation; gate_up's output rounded to the input type as in the step, down's
  // output kept in fp32), from the same pruned weights.
  CheckResult check(Backend backend, int64_t batch, uint64_t input_seed);

 private:
  struct Rank;
  struct Reference;
  void check_batch(int64_t batch) const;

  MlpDims dims_;
  ShardDims shard_;
  sf_dtype_t dtype_;
  int64_t max_batch_;
  uint64_t seed_;
  std::vector<std::unique_ptr<Rank>> ranks_;
  std::unique_ptr<Reference> reference_;  // made by the first check()
};

}  // namespace sftp
