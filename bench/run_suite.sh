#!/usr/bin/env bash
# The main job on a GPU machine: build everything, run the GPU tests, validate sf_gemm on every
# LLaMA-70B layer and batch against an fp64 reference, then benchmark every case against cuBLASLt
# and cuSPARSELt, and run the tensor-parallel MLP (`sf_bench tp`). Reports go to bench/results/ (or
# $OUT when set, as on the device tool), named <device>-<date>.json, -validate.json and -tp.json;
# the tables print at the end.
# Environment: SF_CUDA_ARCHITECTURES (default: the project's list), SF_BENCH_ARGS (extra flags).
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/suite_build.sh
suite_build
grep -i cusparselt "$results/configure.log"
status=0
./build-suite/tests/sf_gpu_tests >"$results/gpu-tests.log" 2>&1 || status=1
tail -2 "$results/gpu-tests.log"
slug=$(device_slug)
day=$(date -u +%Y-%m-%d)
# shellcheck disable=SC2086
./build-suite/bench/sf_bench --validate --out "$results/$slug-$day-validate.json" ${SF_BENCH_ARGS:-} \
  >"$results/validate.txt" 2>"$results/validate.log" || status=1
tail -3 "$results/validate.txt"
# shellcheck disable=SC2086
./build-suite/bench/sf_bench --out "$results/$slug-$day.json" ${SF_BENCH_ARGS:-} \
  >"$results/bench.txt" 2>"$results/bench.log" || status=1
cat "$results/bench.txt"
# The tensor-parallel MLP at every TP the machine allows (TP = 1 on one GPU); exit 3 means this
# build has no NCCL, which is reported, not failed. NVLink multicast stays off (shared hosts).
NCCL_NVLS_ENABLE=0 ./build-suite/bench/sf_bench tp --out "$results/$slug-$day-tp.json" \
  >"$results/tp.txt" 2>"$results/tp.log"
case $? in
  0) cat "$results/tp.txt" ;;
  3) tail -1 "$results/tp.log" ;;
  *) cat "$results/tp.txt"; tail -3 "$results/tp.log"; status=1 ;;
esac
exit $status
