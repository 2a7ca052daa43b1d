#!/usr/bin/env bash
# The onednn benchmark, side by side in one run: for each case (make_models.py: a, b1, b64, c, d, e) and
# thread count (1 and 2), seqflow's onednn core, raw oneDNN primitives, ONNX Runtime (npm
# onnxruntime-node), seqflow at int8 and bf16, and for recurrent cases seqflow with rnn_kernel =
# "primitive" (oneDNN's RNN primitive, what `auto` does not pick for these shapes); then PyTorch 1.13
# (Debian's, for the record). All of these alternate within each round so that a busy neighbour hurts
# them alike; each number is the best of ROUNDS rounds of at least REPEAT runs and 0.5 s of runs, and
# ratios are also given as the median over rounds of the ratio within a round. Results:
# BUILD_DIR/onednn-bench/results.jsonl and the table of summarize.py (frames/s, GFLOP/s, ratios).
#
# Usage: bench/onednn/run_bench.sh [BUILD_DIR]        (default: build-bench next to bench/)
# Environment: CASES (default "a b1 b64 c d e"; make_models.py also has x1-x6), THREADS (default "1 2"), ROUNDS (default 3),
#   REPEAT (default 2), TORCH=0 (skip PyTorch, whose generic BLAS makes it take minutes),
#   SKIP_BUILD=1, JOBS (build parallelism, default 2).
# Needs: /usr/bin/python3 with python3-torch and python3-onnx (models), node + npm (ONNX Runtime,
# installed here with `npm install --ignore-scripts onnxruntime-node`).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-$repo/build-bench}
work=$build/onednn-bench
cases=${CASES:-a b1 b64 c d e}
threads=${THREADS:-1 2}
rounds=${ROUNDS:-3}
repeat=${REPEAT:-2}
mkdir -p "$work"

if [[ -z ${SKIP_BUILD:-} ]]; then
  echo "== build ($build)" >&2
  cmake -S "$repo" -B "$build" -DSEQFLOW_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j"${JOBS:-2}" --target onednn_bench >/dev/null
fi
bench=$build/bin/onednn_bench

for c in $cases; do
  if [[ ! -f $work/models/$c/model.onnx ]]; then
    echo "== model $c" >&2
    /usr/bin/python3 "$here/make_models.py" "$work/models" "$c" >&2
  fi
done
if [[ ! -d $work/ort/node_modules/onnxruntime-node ]]; then
  echo "== npm install onnxruntime-node" >&2
  mkdir -p "$work/ort"
  (cd "$work/ort" && npm init -y >/dev/null && npm install --ignore-scripts onnxruntime-node >&2)
fi
export NODE_PATH=$work/ort/node_modules

results=$work/results.jsonl
: > "$results"
record() {  # case, round, then one JSON line on stdin
  local line
  line=$(cat)
  echo "{\"case\": \"$1\", \"round\": $2, \"load\": \"$(cut -d' ' -f1 /proc/loadavg)\", ${line#\{}" |
    tee -a "$results" >&2
}

for t in $threads; do
  for c in $cases; do
    m=$work/models/$c
    for ((r = 0; r < rounds; ++r)); do
      "$bench" --model "$m" --impl raw --threads "$t" --repeat "$repeat" | record "$c" "$r"
      "$bench" --model "$m" --impl seqflow --threads "$t" --repeat "$repeat" | record "$c" "$r"
      node "$here/ort_bench.js" "$m" "$t" "$repeat" | record "$c" "$r"
      for p in int8 bf16; do
        "$bench" --model "$m" --impl seqflow --precision "$p" --threads "$t" --repeat "$repeat" | record "$c" "$r"
      done
      if ! grep -q '"kind": "transformer"' "$m/meta.json"; then
        "$bench" --model "$m" --impl seqflow --rnn-kernel primitive --threads "$t" --repeat "$repeat" |
          record "$c" "$r"
      fi
    done
    if [[ ${TORCH:-1} != 0 ]]; then
      /usr/bin/python3 "$here/torch_bench.py" "$m" "$t" 1 | record "$c" 0
    fi
  done
done

/usr/bin/python3 "$here/summarize.py" "$results"
