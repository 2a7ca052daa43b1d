#!/usr/bin/env bash
# Writes the small recordings that the quick start, the e2e cases and tests/asr_alnum run on:
# tests/e2e/cases/asr_alnum/data/*.flac, synthetic speech (espeak-ng 1.51 + SoX 14.4.2, Debian 12), 16 kHz
# mono 16-bit FLAC (lossless, so torchaudio and libsndfile decode the same samples). Deterministic.
# The voices are held-out ones (make_data.py's EVAL_VOICES / EVAL_VARIANTS) but for code_abc.
set -euo pipefail
out="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/e2e/cases/asr_alnum/data"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
say() {  # say VOICE WPM PITCH SSML OUT
  espeak-ng -m -v "$1" -s "$2" -p "$3" -w "$tmp/raw.wav" "$4"
  sox -D "$tmp/raw.wav" -r 16000 -c 1 -b 16 "$5"
}
ch() { printf '<say-as interpret-as="characters">%s</say-as>' "$1"; }
sox -D -n -r 16000 -c 1 -b 16 "$tmp/sil.wav" trim 0 0.4
sox -D -n -r 16000 -c 1 -b 16 "$tmp/gap.wav" trim 0 1.5

say en-029+f4 160 50 "four one five, nine two" "$tmp/a.wav"
sox -D "$tmp/sil.wav" "$tmp/a.wav" "$tmp/sil.wav" "$out/phone_41592.flac"

say en-gb-x-gbcwmd+travis 150 40 "$(ch X), seven, $(ch Q)" "$tmp/b.wav"
sox -D "$tmp/sil.wav" "$tmp/b.wav" "$tmp/sil.wav" "$out/code_x7q.flac"

# Two utterances 1.5 s apart: the VAD gives two segments, so two transcript lines.
say en-us 170 55 "$(ch A), $(ch B), $(ch C)" "$tmp/c1.wav"
say en-us 170 55 "eight, eight, zero" "$tmp/c2.wav"
sox -D "$tmp/sil.wav" "$tmp/c1.wav" "$tmp/gap.wav" "$tmp/c2.wav" "$tmp/sil.wav" "$out/code_abc_880.flac"
ls -l "$out"
