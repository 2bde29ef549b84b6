#!/usr/bin/env bash
# Whole-process time and peak memory of `dsplan inspect` on DeepSeek-R1 as a 3-part split set
# (1,086 tensors, tokenizer metadata, sparse files of the published scale). Target (issue 10):
# < 50 ms and < 30 MB RSS. Usage: bench/inspect_latency.sh [BUILD_DIR]
set -euo pipefail
build="${1:-build}"
[ -x "$build/bench/make_r1_split_set" ] || { echo "build the bench first: cmake --build $build --target make_r1_split_set" >&2; exit 2; }
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"$build/bench/make_r1_split_set" "$dir" >/dev/null
first="$dir/r1-00001-of-00003.gguf"
du -sh --apparent-size "$dir" | awk '{print "files: " $1 " apparent (sparse)"}'
"$build/dsplan" inspect "$first" >/dev/null  # warm the page cache
runs=30
max_rss=0
start=$(date +%s%N)
for _ in $(seq "$runs"); do
  rss=$( { /usr/bin/time -f "%M" "$build/dsplan" inspect "$first" --json >/dev/null; } 2>&1 )
  [ "$rss" -gt "$max_rss" ] && max_rss=$rss
done
end=$(date +%s%N)
echo "dsplan inspect (3-part R1 split set): $(( (end - start) / runs / 1000 )) us per run (mean of $runs), peak RSS ${max_rss} KB"
