#include "cli.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>

#include "sparseflow/sparseflow.h"

namespace sfb {
namespace {

std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

int64_t to_int64(const std::string &s, const std::string &what) {
  if (s.empty()) throw UsageError(what + ": empty number");
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str() || *end != '\0')
    throw UsageError(what + ": '" + s + "' is not an integer");
  return static_cast<int64_t>(v);
}

double to_double(const std::string &s, const std::string &what) {
  if (s.empty()) throw UsageError(what + ": empty number");
  errno = 0;
  char *end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end == s.c_str() || *end != '\0' || !std::isfinite(v))
    throw UsageError(what + ": '" + s + "' is not a finite number");
  return v;
}

// Walks the arguments; "--flag=value" and "--flag value" are both accepted.
class ArgReader {
 public:
  explicit ArgReader(const std::vector<std::string> &a, std::size_t start) : args_(a), i_(start) {}
  bool done() const { return i_ >= args_.size(); }
  // Returns the flag name of the next argument (and remembers an inline "=value").
  std::string next_flag() {
    std::string a = args_[i_++];
    inline_value_.clear();
    has_inline_ = false;
    auto eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value_ = a.substr(eq + 1);
      has_inline_ = true;
      a = a.substr(0, eq);
    }
    current_ = a;
    return a;
  }
  std::string value() {
    if (has_inline_) {
      has_inline_ = false;
      return inline_value_;
    }
    if (i_ >= args_.size()) throw UsageError(current_ + " needs a value");
    return args_[i_++];
  }
  void no_value() const {
    if (has_inline_) throw UsageError(current_ + " takes no value");
  }

 private:
  const std::vector<std::string> &args_;
  std::size_t i_;
  std::string current_, inline_value_;
  bool has_inline_ = false;
};

template <typename T>
void push_unique(std::vector<T> &v, const T &x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

void require(bool ok, const std::string &msg) {
  if (!ok) throw UsageError(msg);
}

// A comma-separated list of batches in [1, max_batch], appended to `batches` without repeats.
void parse_batches(const std::string &value, const std::string &flag, int64_t max_batch,
                   std::vector<int64_t> &batches) {
  for (const auto &b : split(value, ',')) {
    const int64_t v = to_int64(b, flag);
    require(v >= 1 && v <= max_batch,
            flag + ": batch " + b +
                (max_batch == INT64_MAX ? " must be >= 1"
                                        : " must be in [1, " + std::to_string(max_batch) + "]"));
    push_unique(batches, v);
  }
}

// A comma-separated list of dtypes; replaces `dtypes`.
void parse_dtypes(const std::string &value, const std::string &flag, std::vector<DType> &dtypes) {
  dtypes.clear();
  for (const auto &d : split(value, ',')) {
    DType t;
    require(parse_dtype(d, &t), flag + ": unknown dtype '" + d + "' (f16 or bf16)");
    push_unique(dtypes, t);
  }
}

void parse_bench(ArgReader &r, BenchOptions &o, Command *cmd) {
  std::string suite;  // "", "llama70b", "custom"
  bool layout_given = false, layers_given = false, batches_given = false;
  while (!r.done()) {
    const std::string f = r.next_flag();
    if (f == "--help" || f == "-h") {
      *cmd = Command::Help;
      return;
    } else if (f == "--version") {
      *cmd = Command::Version;
      return;
    } else if (f == "--validate") {
      r.no_value();
      o.validate = true;
    } else if (f == "--suite") {
      suite = r.value();
      require(suite == "llama70b" || suite == "custom",
              "--suite: unknown suite '" + suite + "' (llama70b or custom)");
    } else if (f == "--shapes") {
      o.shapes_path = r.value();
      require(!o.shapes_path.empty(), "--shapes: empty path");
    } else if (f == "--layers" || f == "--layer") {
      layers_given = true;
      for (const auto &l : split(r.value(), ',')) {
        require(!l.empty(), f + ": empty layer name");
        push_unique(o.layers, l);
      }
    } else if (f == "--batches" || f == "--batch") {
      batches_given = true;
      parse_batches(r.value(), f, INT64_MAX, o.batches);
    } else if (f == "--dtypes" || f == "--dtype") {
      parse_dtypes(r.value(), f, o.dtypes);
    } else if (f == "--shape") {
      const std::string v = r.value();
      auto parts = split(v, ',');
      require(parts.size() == 3, "--shape: expected M,N,K, got '" + v + "'");
      ShapeArg s;
      s.m = to_int64(parts[0], "--shape M");
      s.n = to_int64(parts[1], "--shape N");
      s.k = to_int64(parts[2], "--shape K");
      check_shape(s.m, s.n, s.k, "--shape " + v);
      o.shapes.push_back(s);
    } else if (f == "--layout") {
      const std::string v = r.value();
      require(parse_layout(v, &o.custom_layout), "--layout: unknown layout '" + v + "' (linear or row-major)");
      layout_given = true;
    } else if (f == "--out" || f == "-o") {
      o.out_path = r.value();
      require(!o.out_path.empty(), f + ": empty path");
    } else if (f == "--no-cusparselt") {
      r.no_value();
      o.cusparselt = false;
    } else if (f == "--warmup-ms") {
      o.warmup_ms = to_double(r.value(), f);
      require(o.warmup_ms >= 0, f + " must be >= 0");
    } else if (f == "--samples") {
      o.samples = static_cast<int>(to_int64(r.value(), f));
      require(o.samples >= 1 && o.samples <= 100000, f + " must be in [1, 100000]");
    } else if (f == "--sample-ms") {
      o.sample_ms = to_double(r.value(), f);
      require(o.sample_ms > 0, f + " must be > 0");
    } else if (f == "--max-calls") {
      o.max_calls = static_cast<int>(to_int64(r.value(), f));
      require(o.max_calls >= 1 && o.max_calls <= 1000000, f + " must be in [1, 1000000]");
    } else if (f == "--timing") {
      const std::string v = r.value();
      require(v == "graph" || v == "events", "--timing: '" + v + "' (graph or events)");
      o.use_graph = (v == "graph");
    } else if (f == "--rotate-factor") {
      o.rotate_factor = to_double(r.value(), f);
      require(o.rotate_factor >= 0 && o.rotate_factor <= 1000, f + " must be in [0, 1000]");
    } else if (f == "--max-sets") {
      o.max_sets = static_cast<int>(to_int64(r.value(), f));
      require(o.max_sets >= 1 && o.max_sets <= 4096, f + " must be in [1, 4096]");
    } else if (f == "--mem-fraction") {
      o.mem_fraction = to_double(r.value(), f);
      require(o.mem_fraction > 0 && o.mem_fraction <= 1, f + " must be in (0, 1]");
    } else if (f == "--cublas-candidates") {
      o.cublas_candidates = static_cast<int>(to_int64(r.value(), f));
      require(o.cublas_candidates >= 1 && o.cublas_candidates <= 64, f + " must be in [1, 64]");
    } else if (f == "--seed") {
      int64_t s = to_int64(r.value(), f);
      require(s >= 0, f + " must be >= 0");
      o.seed = static_cast<uint64_t>(s);
    } else if (f == "--ref-macs") {
      o.ref_macs = to_double(r.value(), f);
      require(o.ref_macs >= 0, f + " must be >= 0");
    } else if (f == "--rtol-f16" || f == "--rtol-bf16") {
      double v = to_double(r.value(), f);
      require(v > 0 && v < 1, f + " must be in (0, 1)");
      (f == "--rtol-f16" ? o.rtol_f16 : o.rtol_bf16) = v;
    } else if (f == "--device") {
      int64_t d = to_int64(r.value(), f);
      require(d >= 0 && d < 1024, f + " must be >= 0");
      o.device = static_cast<int>(d);
    } else if (f == "--quiet" || f == "-q") {
      r.no_value();
      o.quiet = true;
    } else if (!f.empty() && f[0] == '-') {
      throw UsageError("unknown option '" + f + "'");
    } else {
      throw UsageError("unexpected argument '" + f + "'");
    }
  }

  if (suite.empty())
    o.run_llama = o.shapes.empty();
  else
    o.run_llama = (suite == "llama70b");
  require(suite != "custom" || !o.shapes.empty(), "--suite custom needs at least one --shape M,N,K");
  require(!layout_given || !o.shapes.empty(), "--layout applies to --shape cases; no --shape was given");
  require(!(layers_given || batches_given) || o.run_llama,
          "--layers/--batches select llama70b cases, but the llama70b suite is not run "
          "(add --suite llama70b to run it beside the --shape cases)");
  require(!o.dtypes.empty(), "--dtypes: no dtype given");
}

void parse_roi(ArgReader &r, RoiOptions &o, Command *cmd) {
  while (!r.done()) {
    const std::string f = r.next_flag();
    if (f == "--help" || f == "-h") {
      *cmd = Command::RoiHelp;
      return;
    } else if (f == "--report") {
      o.report_path = r.value();
    } else if (f == "--tokens-per-day") {
      o.tokens_per_day = to_double(r.value(), f);
      require(o.tokens_per_day > 0, f + " must be > 0");
    } else if (f == "--dense-rps-per-gpu" || f == "--dense-tps-per-gpu" || f == "--dense-per-gpu") {
      o.dense_per_gpu_per_s = to_double(r.value(), f);
      require(o.dense_per_gpu_per_s > 0, f + " must be > 0");
    } else if (f == "--gpu-hour-cost") {
      o.gpu_hour_cost = to_double(r.value(), f);
      require(o.gpu_hour_cost >= 0, f + " must be >= 0");
    } else if (f == "--speedup-override") {
      o.speedup_override = to_double(r.value(), f);
      require(o.speedup_override > 0, f + " must be > 0");
    } else if (f == "--batch") {
      o.batch = to_int64(r.value(), f);
      require(o.batch >= 1, f + " must be >= 1");
    } else if (f == "--dtype") {
      const std::string v = r.value();
      DType t;
      require(parse_dtype(v, &t), f + ": unknown dtype '" + v + "'");
      o.dtype = dtype_name(t);
    } else if (f == "--gemm-fraction") {
      o.gemm_fraction = to_double(r.value(), f);
      require(o.gemm_fraction >= 0 && o.gemm_fraction <= 1, f + " must be in [0, 1]");
    } else if (f == "--layers") {
      o.layers.clear();
      for (const auto &l : split(r.value(), ',')) {
        require(!l.empty(), f + ": empty layer name");
        push_unique(o.layers, l);
      }
    } else if (f == "--json") {
      r.no_value();
      o.json = true;
    } else if (!f.empty() && f[0] == '-') {
      throw UsageError("roi: unknown option '" + f + "'");
    } else {
      throw UsageError("roi: unexpected argument '" + f + "'");
    }
  }
  require(o.tokens_per_day > 0, "roi: --tokens-per-day is required");
  require(o.dense_per_gpu_per_s > 0, "roi: --dense-rps-per-gpu is required");
  require(o.gpu_hour_cost >= 0, "roi: --gpu-hour-cost is required");
  require(!o.report_path.empty() || o.speedup_override > 0,
          "roi: --report FILE is required (or --speedup-override S)");
}

void parse_tp(ArgReader &r, TpOptions &o, Command *cmd) {
  while (!r.done()) {
    const std::string f = r.next_flag();
    if (f == "--help" || f == "-h") {
      *cmd = Command::TpHelp;
      return;
    } else if (f == "--tp") {
      o.tps.clear();
      const std::string v = r.value();
      if (v == "all") continue;
      for (const auto &t : split(v, ',')) {
        const int64_t value = to_int64(t, f);
        require(value >= 1 && value <= 64, f + ": " + t + " must be in [1, 64]");
        push_unique(o.tps, static_cast<int>(value));
      }
    } else if (f == "--batches" || f == "--batch") {
      o.batches.clear();
      parse_batches(r.value(), f, 65536, o.batches);
    } else if (f == "--dtypes" || f == "--dtype") {
      parse_dtypes(r.value(), f, o.dtypes);
    } else if (f == "--target-ms") {
      o.target_ms = to_double(r.value(), f);
      require(o.target_ms > 0, f + " must be > 0");
    } else if (f == "--repeats") {
      o.repeats = static_cast<int>(to_int64(r.value(), f));
      require(o.repeats >= 1 && o.repeats <= 100, f + " must be in [1, 100]");
    } else if (f == "--out" || f == "-o") {
      o.out_path = r.value();
      require(!o.out_path.empty(), f + ": empty path");
    } else if (f == "--quiet" || f == "-q") {
      r.no_value();
      o.quiet = true;
    } else if (!f.empty() && f[0] == '-') {
      throw UsageError("tp: unknown option '" + f + "'");
    } else {
      throw UsageError("tp: unexpected argument '" + f + "'");
    }
  }
}

}  // namespace

void check_shape(int64_t m, int64_t n, int64_t k, const std::string &what) {
  const int64_t kMaxDim = 2147483647;       // 2^31 - 1
  const int64_t kMaxElems = int64_t(1) << 36;  // 128 GiB of 16-bit elements: no GPU holds it
  if (m < 1 || n < 1 || k < 1)
    throw UsageError(what + ": M, N and K must all be >= 1");
  if (m > kMaxDim || n > kMaxDim || k > kMaxDim)
    throw UsageError(what + ": a dimension exceeds 2^31 - 1");
  if (k % SF_K_GRANULARITY != 0)
    throw UsageError(what + ": K = " + std::to_string(k) + " is not a multiple of " +
                     std::to_string(SF_K_GRANULARITY) + " (SF_K_GRANULARITY)");
  if (m > kMaxElems / k || n > kMaxElems / k || m > kMaxElems / n)
    throw UsageError(what + ": a matrix of this shape needs more than 128 GiB");
}

ParsedArgs parse_args(const std::vector<std::string> &args, const std::string &default_shapes) {
  ParsedArgs p;
  p.bench.shapes_path = default_shapes;
  std::size_t start = 0;
  std::string sub = args.empty() ? "" : args[0];
  if (sub == "roi") {
    p.command = Command::Roi;
    ArgReader r(args, 1);
    parse_roi(r, p.roi, &p.command);
    return p;
  }
  if (sub == "tp") {
    p.command = Command::Tp;
    ArgReader r(args, 1);
    parse_tp(r, p.tp, &p.command);
    return p;
  }
  if (sub == "show") {
    p.command = Command::Show;
    ArgReader r(args, 1);
    while (!r.done()) {
      const std::string f = r.next_flag();
      if (f == "--help" || f == "-h") {
        p.command = Command::Help;
        return p;
      } else if (f == "--report") {
        p.show_report = r.value();
      } else {
        throw UsageError("show: unknown argument '" + f + "'");
      }
    }
    require(!p.show_report.empty(), "show: --report FILE is required");
    return p;
  }
  if (sub == "crossover") {
    p.command = Command::Crossover;
    ArgReader r(args, 1);
    while (!r.done()) {
      const std::string f = r.next_flag();
      if (f == "--help" || f == "-h") {
        p.command = Command::Help;
        return p;
      } else if (f == "--report") {
        p.crossover.reports.push_back(r.value());
      } else if (f == "--tolerance") {
        p.crossover.tolerance = to_double(r.value(), f);
        require(p.crossover.tolerance >= 0 && p.crossover.tolerance < 1,
                "--tolerance must be in [0, 1)");
      } else {
        throw UsageError("crossover: unknown argument '" + f + "'");
      }
    }
    require(p.crossover.reports.size() >= 2,
            "crossover: give the unforced report and at least one forced one (--report FILE, twice "
            "or more)");
    return p;
  }
  if (sub == "help") {
    p.command = Command::Help;
    return p;
  }
  if (sub == "run") {
    start = 1;
  } else if (sub == "validate") {
    start = 1;
    p.bench.validate = true;
  }
  ArgReader r(args, start);
  parse_bench(r, p.bench, &p.command);
  return p;
}

std::string help_text() {
  std::ostringstream s;
  s << "sf_bench: SparseFlow 2:4 sparse GEMM benchmark and validation against cuBLASLt and cuSPARSELt\n"
       "\n"
       "Usage:\n"
       "  sf_bench [run] [options]              benchmark (default: the llama70b suite)\n"
       "  sf_bench validate [options]           same as: sf_bench run --validate\n"
       "  sf_bench roi --report FILE ...        GPU count and cost estimate from a report (sf_bench roi --help)\n"
       "  sf_bench show --report FILE           print the table of a saved report\n"
       "  sf_bench crossover --report FILE ...  the dispatch's kernel family against forced ones, from\n"
       "                                        reports of one run without SF_GEMM_KERNEL and runs with\n"
       "                                        it set (--tolerance X: flag forced families X faster,\n"
       "                                        default 0.05); bench/run_crossover.sh makes them\n"
       "  sf_bench tp [options]                 tensor-parallel LLaMA-70B MLP over NCCL (sf_bench tp --help)\n"
       "\n"
       "Cases:\n"
       "  --suite llama70b|custom   llama70b: every layer x batch of the shapes file (default when no\n"
       "                            --shape is given); custom: only the --shape cases\n"
       "  --shapes FILE             shapes file (default: the bench/llama70b-shapes.json of the source tree)\n"
       "  --layers L1,L2,...        llama70b layers to run (default: all of the file)\n"
       "  --batches B1,B2,...       llama70b batches to run (default: all of the file)\n"
       "  --dtypes f16,bf16         input/output types (default: f16,bf16)\n"
       "  --shape M,N,K             a custom case (repeatable): M rows of the sparse A (n_out), N the batch\n"
       "                            (linear) or columns of B (row-major), K the reduction (multiple of 32)\n"
       "  --layout linear|row-major convention of the --shape cases (default linear:\n"
       "                            Y[N,M] = X[N,K] * W[M,K]^T; row-major: D[M,N] = A[M,K] * B[K,N])\n"
       "\n"
       "Mode and output:\n"
       "  --validate                correctness only: errors of sf_gemm against an fp64 host reference and\n"
       "                            cuBLASLt, no timing; exit status 1 when any case fails\n"
       "  --out FILE                JSON report (default: bench/results/<device>-<YYYY-MM-DD>.json in the\n"
       "                            source tree, '-validate' before .json in validation mode); rewritten\n"
       "                            after every case\n"
       "  --no-cusparselt           do not run the cuSPARSELt baseline\n"
       "  --quiet                   no progress on stderr\n"
       "  --device N                CUDA device (default 0)\n"
       "\n"
       "Timing (benchmark mode):\n"
       "  --warmup-ms X             warm-up GPU time per implementation and case (default 50)\n"
       "  --samples N               timed samples (default 20)\n"
       "  --sample-ms X             target GPU time of one sample; sets the calls per sample (default 10)\n"
       "  --max-calls N             upper bound on calls per sample (default 1000)\n"
       "  --timing graph|events     calls of a sample captured in one CUDA graph (default) or launched in a\n"
       "                            loop between two events\n"
       "  --rotate-factor F         input/output sets rotate so that >= F x L2 bytes are touched between two\n"
       "                            uses of one set (default 2)\n"
       "  --max-sets N              upper bound on rotating sets (default 64)\n"
       "  --mem-fraction F          share of free GPU memory one case may use (default 0.85)\n"
       "  --cublas-candidates N     cuBLASLt heuristic algorithms timed once, the fastest kept (default 4)\n"
       "\n"
       "Correctness:\n"
       "  --seed N                  random data seed (default 20261123)\n"
       "  --ref-macs X              host fp64 reference budget per case in multiply-adds (default 2.5e8,\n"
       "                            4e9 with --validate); cases within it are checked in full, larger ones on\n"
       "                            a random sample of whole output rows and columns\n"
       "  --rtol-f16 X, --rtol-bf16 X  pass threshold on the normalized error (default 4u: 1.95e-3 f16,\n"
       "                            1.56e-2 bf16)\n"
       "\n"
       "  -h, --help                this text;  --version  library and bench build\n"
       "\n"
       "Exit status: 0 all cases passed, 1 a case failed, 2 bad invocation or unwritable report, 3 no usable GPU.\n";
  return s.str();
}

std::string tp_help_text() {
  return "sf_bench tp: the LLaMA-70B MLP (gate_up, SwiGLU, down) with tensor parallelism over NCCL\n"
         "\n"
         "Each rank (one GPU, one host thread) holds gate_up split by output rows and down split by K,\n"
         "multiplies them with SparseFlow (2:4-compressed) and with cuBLAS (the same pruned weights,\n"
         "dense), and all-reduces down's partial outputs. Every case is first checked against the\n"
         "unsharded MLP on GPU 0 (cuBLAS, fp32 accumulation), then timed.\n"
         "\n"
         "Usage:\n"
         "  sf_bench tp [--tp all|T1,T2,...] [--batches B1,...] [--dtypes f16,bf16] [--out FILE]\n"
         "\n"
         "  --tp all|LIST      tensor-parallel sizes (default all: 1, 2, 4, ... up to the visible GPUs)\n"
         "  --batches LIST     batches (default 1,16,64,256,1024,4096)\n"
         "  --dtypes LIST      f16, bf16 (default both)\n"
         "  --target-ms X      GPU time of one timed run of steps; sets the steps per run (default 100)\n"
         "  --repeats N        timed runs per case, the median reported (default 3)\n"
         "  --out FILE         JSON report (default bench/results/<device>-<YYYY-MM-DD>-tp.json)\n"
         "  --quiet            no progress on stderr\n"
         "\n"
         "Step time: the slowest rank's GPU time per step (events on its stream, steps back to back);\n"
         "gemm time: the same steps without the all-reduce. Keep NCCL_NVLS_ENABLE=0 on shared hosts.\n"
         "Exit status: 0 every check passed, 1 a check failed, 2 bad invocation, 3 not enough GPUs or\n"
         "a build without NCCL.\n";
}

std::string roi_help_text() {
  return "sf_bench roi: GPUs needed and cost, dense (cuBLASLt) vs SparseFlow, from a measured report\n"
         "\n"
         "Usage:\n"
         "  sf_bench roi --report FILE --tokens-per-day X --dense-rps-per-gpu Y --gpu-hour-cost Z [options]\n"
         "\n"
         "  --report FILE             sf_bench JSON report (benchmark mode) with the llama70b cases\n"
         "  --tokens-per-day X        demand (tokens, or requests: the same unit as Y) per day\n"
         "  --dense-rps-per-gpu Y     throughput of one GPU with dense kernels, same unit per second\n"
         "                            (alias --dense-tps-per-gpu)\n"
         "  --gpu-hour-cost Z         cost of one GPU hour (any currency)\n"
         "  --batch B                 batch whose measured speedups are used (default 16)\n"
         "  --dtype f16|bf16          dtype whose measured speedups are used (default f16)\n"
         "  --layers L1,...           layers of one transformer block (default qkv,o,gate_up,down)\n"
         "  --gemm-fraction F         share of dense GPU time spent in these GEMMs (default 1: an upper\n"
         "                            bound on the saving; Amdahl's law applies the speedup to F only)\n"
         "  --speedup-override S      use S as the GEMM speedup instead of the report's\n"
         "  --json                    print the result as JSON\n"
         "\n"
         "GEMM speedup S = sum over layers of cuBLASLt median time / sum of SparseFlow median time\n"
         "(time-weighted), end-to-end speedup E = 1 / ((1 - F) + F / S), GPUs = ceil(X / 86400 / Y) dense\n"
         "and ceil(X / 86400 / (Y * E)) with SparseFlow; savings = GPUs saved * Z * 730 per month\n"
         "(8760 per year). See bench/README.md.\n";
}

}  // namespace sfb
