# Sourced by run_suite.sh and run_crossover.sh, from the repository root: where their reports go,
# the build they share, and the device's name for file names.
# Environment: OUT (results folder, default bench/results), SF_CUDA_ARCHITECTURES (default: the
# project's list).
results=${OUT:-bench/results}
mkdir -p "$results"

# suite_build [TARGET...]: configures and builds build-suite (every target when none is named);
# on failure prints the logs' tails and exits.
suite_build() {
  local arch_flag=() targets=()
  [ -n "${SF_CUDA_ARCHITECTURES:-}" ] && arch_flag=(-DCMAKE_CUDA_ARCHITECTURES="$SF_CUDA_ARCHITECTURES")
  [ $# -gt 0 ] && targets=(-t "$@")
  cmake -S . -B build-suite -G Ninja "${arch_flag[@]}" >"$results/configure.log" 2>&1 &&
    cmake --build build-suite -j"$(nproc)" "${targets[@]}" >"$results/build.log" 2>&1 ||
    { tail -40 "$results/configure.log" "$results/build.log"; exit 1; }
}

# The first GPU's name as a file-name slug: "NVIDIA H100 80GB HBM3" -> nvidia-h100-80gb-hbm3.
device_slug() {
  nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr 'A-Z ' 'a-z-' | tr -cd 'a-z0-9-'
}
