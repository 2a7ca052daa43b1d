#!/usr/bin/env bash
# From a fresh checkout to a pipeline run: installs the build dependencies (scripts/setup.sh),
# builds seqflow (Release) into build/, and runs the example pipeline pipelines/hello/.
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
echo "quickstart: next, see README.md (pipeline files, the CLI) and scripts/test.sh (the test suite)"
