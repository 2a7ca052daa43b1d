#!/usr/bin/env bash
# From a fresh checkout to a pipeline run: installs the build dependencies (scripts/setup.sh),
# builds seqflow (Release) into build/, runs the minimal example pipeline pipelines/hello/, then the
# speech recognizer pipelines/asr_alnum/ (Silero VAD + a CTC model trained here) on three shipped
# recordings of spoken codes, and prints their transcripts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"
jobs="${SEQFLOW_JOBS:-$(nproc)}"

"$root/scripts/setup.sh"

generator=()
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$jobs"

out="$build/quickstart/hello.jsonl"
mkdir -p "$(dirname "$out")"
"$build/bin/seqflow" run "$root/pipelines/hello/pipeline.toml" --set "write.path=$out"
echo
echo "quickstart: wrote $out:"
cat "$out"
asr="$build/quickstart/transcripts.jsonl"
"$build/bin/seqflow" run "$root/pipelines/asr_alnum/pipeline.toml" --no-progress --set "write.path=$asr"
echo
echo "quickstart: pipelines/asr_alnum on tests/e2e/cases/asr_alnum/data/*.flac (spoken digits and letters), $asr:"
cat "$asr"
echo "quickstart: next, see README.md (pipeline files, the CLI) and scripts/test.sh (the test suite)"
