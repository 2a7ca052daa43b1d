#!/usr/bin/env bash
# Configures and builds seqflow (Release) into build/, then runs the whole test suite.
# Extra arguments go to ctest, e.g. `scripts/test.sh -R sdk`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"
jobs="${SEQFLOW_JOBS:-$(nproc)}"

generator=()
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$jobs"
cd "$build"
ctest --output-on-failure -j2 "$@"
