#!/usr/bin/env bash
# VAD: the seqflow pipeline pipelines/vad/vad.toml (Silero VAD v5 on oneDNN) against the silero-vad
# package on ONNX Runtime (vad_silero_peer.py), on about an hour of 16 kHz speech (vad_make_audio.sh), at one
# and two threads, REPS alternating rounds each; the medians, their ratio, and the segments of every run
# checked equal to the package's. Then the peak RSS of both over 10, 30 and 60 minutes.
# Usage: bench/apps/vad_bench.sh [BUILD_DIR] [REPS]   (build/ by default; bench/apps/vad_setup_venv.sh first)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
reps=${2:-3}
seqflow=$build/bin/seqflow
py=$here/.venv/bin/python
[[ -x $seqflow ]] || { echo "no $seqflow: build the seqflow, seqflow_audio, seqflow_onednn, seqflow_vad and seqflow_io targets" >&2; exit 2; }
[[ -x $py ]] || { echo "no $py: run bench/apps/vad_setup_venv.sh" >&2; exit 2; }
work=$build/bench_apps
[[ -f $work/speech_51x.wav ]] || "$here/vad_make_audio.sh" "$work" > /dev/null
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"

sf() {  # file threads out -> seconds
  local t0 t1
  t0=$(date +%s.%N)
  OMP_WAIT_POLICY=PASSIVE "$seqflow" run "$root/pipelines/vad/vad.toml" --no-progress --threads "$2" \
    --set "model.threads=$2" --set "read.paths=[\"$1\"]" --set "write.path=$3" > /dev/null 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
peer() {
  local t0 t1
  t0=$(date +%s.%N)
  "$py" "$here/vad_silero_peer.py" "$1" "$3" "$2" > /dev/null 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
median() { printf "%s\n" "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

audio=$work/speech_51x.wav
secs=$(soxi -D "$audio")
for threads in 1 2; do
  s=() p=()
  for ((r = 0; r < reps; r++)); do
    s+=("$(sf "$audio" "$threads" "$work/sf.jsonl")")
    p+=("$(peer "$audio" "$threads" "$work/peer.jsonl")")
    cmp -s "$work/sf.jsonl" "$work/peer.jsonl" || { echo "segments differ (threads $threads)"; diff <(head -c 300 "$work/sf.jsonl") <(head -c 300 "$work/peer.jsonl"); exit 1; }
  done
  ms=$(median "${s[@]}")
  mp=$(median "${p[@]}")
  echo "threads $threads: seqflow ${s[*]} s (median $ms), silero-vad ${p[*]} s (median $mp), $secs s of audio, segments equal"
  awk -v a="$ms" -v b="$mp" -v t="$threads" -v d="$secs" 'BEGIN { printf "RESULT threads=%d seqflow_s=%.2f silero_s=%.2f speedup=%.2f seqflow_x_realtime=%.0f\n", t, a, b, b / a, d / a }'
done

for f in speech_9x speech_26x speech_51x; do
  a=$work/$f.wav
  rs=$(/usr/bin/time -f %M "$seqflow" run "$root/pipelines/vad/vad.toml" --no-progress --threads 1 \
        --set "read.paths=[\"$a\"]" --set "write.path=$work/m.jsonl" 2>&1 > /dev/null | tail -1)
  rp=$(/usr/bin/time -f %M "$py" "$here/vad_silero_peer.py" "$a" "$work/mp.jsonl" 1 2>&1 > /dev/null | tail -1)
  echo "RESULT audio_s=$(soxi -D "$a") seqflow_peak_rss_mb=$((rs / 1024)) silero_peak_rss_mb=$((rp / 1024))"
done
