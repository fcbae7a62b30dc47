#!/usr/bin/env bash
# The benchmark suite in one command: builds what it needs, runs the real reconnect loops beside
# the model (reconnect_bench: one private network namespace per strategy, needs root) and the
# model's micro-benchmarks (model_bench), then tabulates both with `portlab bench-report`.
#
#   scripts/bench.sh [OUTDIR]          results in OUTDIR (default bench-results/):
#                                        reconnect_bench.json, model_bench.json (Google Benchmark JSON),
#                                        report.md (the tables), rates.svg (+ rates.png with rsvg-convert)
#   scripts/bench.sh --update-docs     also puts report.md and rates.svg into docs/benchmarks.md
#                                        (between its bench-report markers) and docs/benchmarks-rates.svg
#
# Environment: JOBS (build parallelism, default nproc), BENCH_ITERATIONS (connections per real
# loop, default 1000), MODEL_MIN_TIME (seconds per micro-benchmark, default 0.2),
# PORTLAB_BENCH_BIND_1E5=1 (adds the bind check with 10^5 sockets on the port: its O(N^2) set-up
# took 9 min on a busy 2-core machine).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

out=bench-results
update_docs=0
for arg in "$@"; do
  case "$arg" in
    --update-docs) update_docs=1 ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "bench: unknown option $arg" >&2; exit 2 ;;
    *) out=$arg ;;
  esac
done
mkdir -p "$out"

# Configure when there is no build tree yet, or when it was configured without the benchmarks.
if [[ ! -f build/build.ninja ]] || ! grep -qx 'PORTLAB_BUILD_BENCH:BOOL=ON' build/CMakeCache.txt; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORTLAB_BUILD_BENCH=ON
fi
cmake --build build --target reconnect_bench model_bench portlab --parallel "${JOBS:-$(nproc)}"

echo "bench: real reconnect loops and their model runs (reconnect_bench)"
./build/bench/reconnect_bench --iterations="${BENCH_ITERATIONS:-1000}" \
  --benchmark_out="$out/reconnect_bench.json" --benchmark_out_format=json
echo "bench: model micro-benchmarks (model_bench)"
./build/bench/model_bench --benchmark_min_time="${MODEL_MIN_TIME:-0.2}" \
  --benchmark_out="$out/model_bench.json" --benchmark_out_format=json

./build/cli/portlab bench-report "$out/reconnect_bench.json" "$out/model_bench.json" \
  --markdown --svg "$out/rates.svg" -o "$out/report.body.md"
{ echo "Command: \`scripts/bench.sh$(printf ' %s' "$@")\` (as root, from the repository root)"; echo
  cat "$out/report.body.md"; } > "$out/report.md"
rm -f "$out/report.body.md"
if command -v rsvg-convert >/dev/null; then rsvg-convert "$out/rates.svg" -o "$out/rates.png"; fi
echo
cat "$out/report.md"

if ((update_docs)); then
  doc=docs/benchmarks.md
  grep -q '^<!-- bench-report:begin -->$' "$doc" && grep -q '^<!-- bench-report:end -->$' "$doc" ||
    { echo "bench: $doc lacks the bench-report markers" >&2; exit 1; }
  awk -v report="$out/report.md" '
    /^<!-- bench-report:begin -->$/ { print; while ((getline line < report) > 0) print line; skip = 1; next }
    /^<!-- bench-report:end -->$/ { skip = 0 }
    !skip { print }' "$doc" > "$doc.tmp"
  mv "$doc.tmp" "$doc"
  cp "$out/rates.svg" docs/benchmarks-rates.svg
  echo "bench: updated $doc and docs/benchmarks-rates.svg"
fi
