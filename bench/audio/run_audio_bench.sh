#!/usr/bin/env bash
# Runs bench/audio/audio_bench.py (see its docstring) with the peers of bench/audio/.venv.
# Usage: bench/audio/run_audio_bench.sh [BUILD_DIR]   (default: build next to bench/)
# Environment: REPS (default 3), BENCH_DIR (default /tmp/seqflow_audio_bench: the generated 1 h, 2 h and
# 10 min recordings, kept for reruns; delete it when done). Needs sox (Debian) and /usr/bin/time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-$repo/build}
[[ -x $build/bin/seqflow ]] || { echo "no seqflow CLI at $build/bin/seqflow: build seqflow and seqflow_plugins" >&2; exit 2; }
[[ -x $here/.venv/bin/python ]] || "$here/setup_venv.sh"
command -v sox >/dev/null || { echo "sox not found: apt-get install sox" >&2; exit 2; }
exec "$here/.venv/bin/python" "$here/audio_bench.py" "$build/bin/seqflow" "${BENCH_DIR:-/tmp/seqflow_audio_bench}" \
  "$repo/../shared/data/audio"
