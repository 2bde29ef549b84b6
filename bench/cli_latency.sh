#!/usr/bin/env bash
# Whole-process latency of dsplan commands (Release build). Uses hyperfine when installed,
# else a timed loop. Usage: bench/cli_latency.sh [path/to/dsplan]
set -euo pipefail
bin="${1:-build/dsplan}"
[ -x "$bin" ] || { echo "no dsplan binary at $bin (build with: cmake -B build && cmake --build build)" >&2; exit 2; }
commands=(
  "$bin estimate 70b --quant q4_k_m --json"
  "$bin estimate r1 --quant q4_k_m --json"
  "$bin estimate r1 --json"
  "$bin list models"
  "$bin recommend --vram 24 --task code"
  "$bin recommend --gpu rtx4090 --ram 512 --task reasoning --json"
  "$bin recommend --cloud --task code"
  "$bin train v3 --gpu h800 --count auto --zero 3 --tokens 1e12 --json"
)
if command -v hyperfine >/dev/null 2>&1; then
  hyperfine -N --warmup 20 --runs 300 "${commands[@]}"
  exit 0
fi
for c in "${commands[@]}"; do
  runs=${RUNS:-300}
  start=$(date +%s%N)
  for _ in $(seq "$runs"); do $c >/dev/null; done
  end=$(date +%s%N)
  echo "$c: $(( (end - start) / runs / 1000 )) us per run (mean of $runs)"
done
