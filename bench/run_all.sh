#!/usr/bin/env bash
# Builds the benchmarks and runs all of them: engine_bench (5 repetitions, medians), the GStreamer
# identity comparison (5 repetitions, median slope) and the flat-memory check (1 GB and 4 GB), then
# prints the results table and the bars of bench/README.md (summarize.py).
#
# Usage: bench/run_all.sh [BUILD_DIR]       (default: build-bench next to bench/)
# Environment: JOBS (build parallelism, default 2), REPS (repetitions, default 5),
#              MEMORY_SIZES_GB (default "1 4"), GST_BUFFERS (default 500000),
#              SKIP_BUILD=1 (use what BUILD_DIR holds),
#              MAX_LOAD (e.g. 1.5: before each measuring step, wait until the 1-minute load average is
#              below it, for at most MAX_WAIT seconds, default 3600; unset: do not wait).
# Timings are only meaningful on a quiet machine: the load average is printed before each step.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${1:-$repo/build-bench}
reps=${REPS:-5}
out=$build/bench_results
mkdir -p "$out"

load() { cut -d' ' -f1-3 /proc/loadavg; }
wait_quiet() {
  [[ -n ${MAX_LOAD:-} ]] || return 0
  local waited=0
  while awk -v m="$MAX_LOAD" '{ exit !($1 >= m) }' /proc/loadavg; do
    if (( waited >= ${MAX_WAIT:-3600} )); then
      echo "load still $(load) after ${waited}s: measuring anyway" >&2
      return 0
    fi
    sleep 15
    waited=$(( waited + 15 ))
  done
}

if [[ -z ${SKIP_BUILD:-} ]]; then
  echo "== build ($build)"
  cmake -S "$repo" -B "$build" -DSEQFLOW_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
  # the seqflow CLI target depends on every plugin module (memory_flat.sh uses io)
  cmake --build "$build" -j"${JOBS:-2}" --target engine_bench seqflow
fi

wait_quiet
echo "== engine_bench, $reps repetitions (load $(load))"
"$build/bin/engine_bench" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/engine_bench.json" --benchmark_out_format=json

wait_quiet
echo "== GStreamer identity (load $(load))"
"$here/gstreamer_identity.sh" "${GST_BUFFERS:-500000}" "$reps" | tee "$out/results.txt"

wait_quiet
echo "== flat memory (load $(load))"
# shellcheck disable=SC2086  # MEMORY_SIZES_GB is a list
"$here/memory_flat.sh" "$build" ${MEMORY_SIZES_GB:-1 4} | tee -a "$out/results.txt"

echo "== summary (load at the end $(load))"
python3 "$here/summarize.py" "$out/engine_bench.json" "$out/results.txt" | tee "$out/summary.md"
