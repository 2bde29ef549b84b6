#!/usr/bin/env bash
# Instructions executed by whole dsplan processes (valgrind's callgrind), a measure that, unlike wall
# time, does not move with a shared or virtualized machine's load. Usage: bench/cli_instructions.sh [dsplan]
set -euo pipefail
bin="${1:-build/dsplan}"
[ -x "$bin" ] || { echo "no dsplan binary at $bin (build with: cmake -B build && cmake --build build)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
commands=(
  "--version"
  "estimate 70b --quant q4_k_m --json"
  "estimate 70b --quant q4_k_m --gpu rtx4090 --count 2 --json"
  "estimate r1 --gpu h200 --count 8 --engine sglang --json"
  "list models"
  "recommend --vram 24 --task code"
  "recommend --gpu rtx4090 --ram 512 --task reasoning --json"
  "recommend --cloud --task code"
  "train v3 --gpu h800 --count auto --zero 3 --tokens 1e12 --json"
)
out="$(mktemp)"
trap 'rm -f "$out" "$out.log"' EXIT
for c in "${commands[@]}"; do
  # shellcheck disable=SC2086
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" $c >/dev/null 2>"$out.log" || true
  printf '%12s  dsplan %s\n' "$(grep -oE 'Collected : [0-9]+' "$out.log" | awk '{print $3}')" "$c"
done
