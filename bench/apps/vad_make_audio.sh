#!/usr/bin/env bash
# About an hour of 16 kHz speech for bench/apps/vad_bench.sh, by repeating the shared recordings:
# silero_vad_test.wav (60 s) and jfk.flac (11 s, to 16 kHz mono) alternately, 51 times each (3621 s),
# and shorter files of the same pattern (10 and 30 minutes) for the memory check. SoX, deterministic.
# Usage: bench/apps/vad_make_audio.sh OUT_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: vad_make_audio.sh OUT_DIR}
data=$here/../../../shared/data/audio
[[ -f $data/silero_vad_test.wav ]] || data=/work/shared/data/audio
mkdir -p "$out"
sox "$data/jfk.flac" -r 16000 -c 1 -b 16 "$out/jfk16.wav"
pair=("$data/silero_vad_test.wav" "$out/jfk16.wav")
for n in 9 26 51; do
  args=()
  for ((i = 0; i < n; i++)); do args+=("${pair[@]}"); done
  sox "${args[@]}" "$out/speech_${n}x.wav"
done
rm "$out/jfk16.wav"
soxi -D "$out"/speech_*.wav
