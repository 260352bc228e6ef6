#!/usr/bin/env bash
# Where the dispatch switches kernel families, measured on a GPU machine: every LLaMA-70B layer
# at the batches on both sides of each switch point (kernels/gemm_dispatch.cpp, kernels/gemm.hpp:
# decode up to 8, 16 or 32 and never past 64; the sm90 row bands up to 64 or 128; its 128 x 256
# tiles from 129 and 512), benchmarked three times: as dispatched, and with SF_GEMM_KERNEL forcing
# the decode family and the sm90 family (up to batch 64, the decode family's limit; above it both
# runs would repeat the dispatched one). `sf_bench crossover` then sets each against the
# dispatch's choice. Reports go to bench/results/ (or $OUT when set) as
# <device>-<date>-crossover-{dispatch,decode,sm90}.json, the table to <device>-<date>-crossover.txt.
# Environment: SF_CUDA_ARCHITECTURES (default: the project's list), SF_BENCH_ARGS (extra flags,
# e.g. --dtypes f16,bf16).
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/suite_build.sh
suite_build sf_bench
prefix="$results/$(device_slug)-$(date -u +%Y-%m-%d)-crossover"
small=1,2,4,8,9,12,16,17,24,32,33,48,64
# One dtype by default: the switch points do not depend on it. cuSPARSELt is not what is compared.
common=(--dtypes f16 --no-cusparselt --samples 10 --sample-ms 5 --warmup-ms 20)
status=0
run() {  # run NAME FAMILY BATCHES: FAMILY "" for the dispatch's own choice
  # shellcheck disable=SC2086
  env -u SF_GEMM_KERNEL ${2:+SF_GEMM_KERNEL=$2} ./build-suite/bench/sf_bench --batches "$3" "${common[@]}" \
    ${SF_BENCH_ARGS:-} --out "$prefix-$1.json" >"$prefix-$1.txt" 2>"$prefix-$1.log" ||
    { echo "sf_bench ($1) failed:"; tail -5 "$prefix-$1.log"; status=1; }
}
run dispatch "" "$small,65,96,128,129,192,256,384,511,512"
run decode decode "$small"
run sm90 sm90 "$small"
./build-suite/bench/sf_bench crossover --report "$prefix-dispatch.json" --report "$prefix-decode.json" \
  --report "$prefix-sm90.json" | tee "$prefix.txt" || status=1
exit $status
