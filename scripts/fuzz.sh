#!/usr/bin/env bash
# A fuzz campaign: builds the libFuzzer harnesses with Debian's clang-14 (ASan + UBSan incl.
# float-cast-overflow) in build-fuzz/ and runs each for SECONDS (default 3600), one after another
# or all at once with --parallel. New inputs go to build-fuzz/corpus/<name>/ (seeded from
# tests/fuzz/corpus/<name>/), crashes to build-fuzz/artifacts/<name>/; a summary per harness
# (executions, coverage, findings) to build-fuzz/<name>.log. Copy each reproducer into
# tests/fuzz/corpus/<name>/ with a regression test once fixed.
# Usage: scripts/fuzz.sh [--parallel] [SECONDS] [harness ...]; FUZZ_TIMEOUT=S sets the per-input time
# limit (default 10 s; raise it when harnesses share a loaded machine, or timeouts are load artifacts).
set -euo pipefail
cd "$(dirname "$0")/.."
parallel=0
if [ "${1:-}" = "--parallel" ]; then parallel=1; shift; fi
seconds="${1:-3600}"
shift || true
command -v clang++-14 >/dev/null || { echo "fuzz.sh: needs clang-14 and libclang-rt-14-dev (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; }
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDSPLAN_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)"
harnesses=("$@")
if [ "${#harnesses[@]}" -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.cpp; do n="$(basename "$f" .cpp)"; harnesses+=("${n#fuzz_}"); done
fi
run_one() {
  local name="$1"
  mkdir -p "build-fuzz/corpus/$name" "build-fuzz/artifacts/$name"
  local seeds=()
  [ -d "tests/fuzz/corpus/$name" ] && seeds=("tests/fuzz/corpus/$name")
  "build-fuzz/tests/fuzz/fuzz_$name" "build-fuzz/corpus/$name" "${seeds[@]}" \
    -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/artifacts/$name/" >"build-fuzz/$name.log" 2>&1 || true
  echo "== $name: $(grep -E '^stat::number_of_executed_units' "build-fuzz/$name.log" | awk '{print $2}') executions," \
       "$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "build-fuzz/$name.log" | tail -1)," \
       "$(find "build-fuzz/artifacts/$name" -type f | wc -l) findings"
}
if [ "$parallel" -eq 1 ]; then
  for h in "${harnesses[@]}"; do run_one "$h" & done
  wait
else
  for h in "${harnesses[@]}"; do run_one "$h"; done
fi
