#!/bin/bash
# The onednn benchmark on the device machine that some sessions are lent (16 cores, PyTorch 2, the
# Python onnxruntime; /work/.library/device/README.md), with PyTorch 2 as a peer beside raw oneDNN,
# seqflow and ONNX Runtime, as the onednn issue asks. Debian's oneDNN 2.6 and libgomp travel with the
# binaries, and Debian's loader runs them there, so the numbers are those of the same build.
#
#   bench/onednn/device_bench.sh pack   here, after building build-bench (run_bench.sh): copies
#                                       onednn_bench, onednn_limits, their shared libraries and the
#                                       loader into build-bench/device (about 46 MB)
#   bench/onednn/device_bench.sh run    there, in one call of the device tool with carry
#                                       ["build-bench/device"]: models from make_models.py with the
#                                       python3 there, then every peer, alternating within each round
#
# run writes $OUT/results.jsonl (one JSON line per measurement, as run_bench.sh), $OUT/table.md
# (summarize.py; "% of f32 peak" against onednn_limits' fastest product there), $OUT/machine.txt and
# $OUT/limits.txt. Environment: CASES (a b1 b64 c d e), THREADS (1 2), ROUNDS (1), REPEAT (2), PYTHON
# (python3), WORK (/tmp/onednn-device: models). A peer that fails is reported on stderr and left out;
# the others go on. Tried here with Debian's PyTorch 1.13 and a stand-in onnxruntime module; the
# six cases at 1 and 2 threads should take 4-6 minutes there, models included (an estimate from the
# times here, not a measurement: give the call timeout_s 540 and check machine.txt first).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dev=$repo/build-bench/device

pack() {
  local bin=$repo/build-bench/bin
  for b in onednn_bench onednn_limits; do
    [[ -x $bin/$b ]] || { echo "device_bench.sh: $bin/$b is missing; build it first (bench/onednn/run_bench.sh)" >&2; exit 1; }
  done
  rm -rf "$dev" && mkdir -p "$dev"
  cp "$bin/onednn_bench" "$bin/onednn_limits" "$dev/"
  # Every library either binary loads, and the loader itself (the device's own libc may be older).
  ldd "$bin/onednn_bench" "$bin/onednn_limits" | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}' | sort -u |
    while read -r lib; do cp -L "$lib" "$dev/"; done
  du -sh "$dev"
}

run() {
  local out=${OUT:-$repo/build-bench/device-out} work=${WORK:-/tmp/onednn-device} py=${PYTHON:-python3}
  local cases=${CASES:-a b1 b64 c d e} threads=${THREADS:-1 2} rounds=${ROUNDS:-1} repeat=${REPEAT:-2}
  [[ -x $dev/onednn_bench ]] || { echo "device_bench.sh: no $dev; run 'device_bench.sh pack' here and carry build-bench/device" >&2; exit 1; }
  mkdir -p "$out" "$work/models"
  local loader
  loader=$(ls "$dev"/ld-linux-*.so.* | head -1)
  bin() { "$loader" --library-path "$dev" "$dev/$1" "${@:2}"; }
  {
    nproc
    grep -m1 'model name' /proc/cpuinfo
    "$py" -c 'import torch; print("torch", torch.__version__, torch.backends.mkldnn.is_available())'
    "$py" -c 'import onnxruntime; print("onnxruntime", onnxruntime.__version__)'
  } > "$out/machine.txt" 2>&1
  cat "$out/machine.txt"
  OMP_NUM_THREADS=1 bin onednn_limits > "$out/limits.txt" 2>&1
  cat "$out/limits.txt"

  local results=$out/results.jsonl
  : > "$results"
  record() {  # case, round, then one JSON line on stdin; nothing recorded for a peer that printed none
    local line
    line=$(tail -n 1)
    [[ $line == \{* ]] || return 0
    echo "{\"case\": \"$1\", \"round\": $2, \"load\": \"$(cut -d' ' -f1 /proc/loadavg)\", ${line#\{}" | tee -a "$results"
  }
  peer() {  # case, round, command...: runs one peer, reports a failure and goes on
    local c=$1 r=$2
    shift 2
    "$@" | record "$c" "$r" || echo "device_bench.sh: failed: $*" >&2
  }

  local c t r m
  for c in $cases; do
    [[ -f $work/models/$c/model.pt ]] || "$py" "$here/make_models.py" "$work/models" "$c" ||
      echo "device_bench.sh: make_models.py $c failed (ONNX export?); ONNX Runtime is left out where model.onnx is missing" >&2
  done
  for t in $threads; do
    for c in $cases; do
      m=$work/models/$c
      [[ -f $m/model.safetensors ]] || continue
      for ((r = 0; r < rounds; ++r)); do
        peer "$c" "$r" bin onednn_bench --model "$m" --impl raw --threads "$t" --repeat "$repeat"
        peer "$c" "$r" bin onednn_bench --model "$m" --impl seqflow --threads "$t" --repeat "$repeat"
        [[ -f $m/model.onnx ]] && peer "$c" "$r" "$py" "$here/ort_bench.py" "$m" "$t" "$repeat"
        peer "$c" "$r" "$py" "$here/torch_bench.py" "$m" "$t" "$repeat"
        peer "$c" "$r" bin onednn_bench --model "$m" --impl seqflow --precision int8 --threads "$t" --repeat "$repeat"
      done
    done
  done
  # The peak for the table's "% of f32 peak": the fastest step product of onednn_limits (weights in L2).
  local peak
  peak=$(awk '/GFLOP\/s/{print $(NF-1)}' "$out/limits.txt" | sort -g | tail -1)
  PEAK_F32_PER_CORE=${peak:-170} "$py" "$here/summarize.py" "$results" | tee "$out/table.md"
}

case ${1:-} in
  pack) pack ;;
  run) run ;;
  *) echo "usage: device_bench.sh pack|run (see the comment at its top)" >&2; exit 2 ;;
esac
