#!/usr/bin/env bash
# Runs one libFuzzer target of tests/fuzz for SECONDS seconds (a search for new inputs, not CI's
# regression run). Usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]
#   TARGET: jsonl, tsv, npy, fastx, audio_file, audio_manifest, tokenizer_file, tokenize, arpa,
#           safetensors, pipeline_toml, plugin_descriptor, plugin_elf (tests/fuzz/fuzz_<TARGET>.cpp)
# Builds build-fuzz/ (clang-14, ASan + UBSan, libFuzzer) when needed. The corpus grows in
# build-fuzz/fuzz-work/TARGET/corpus (seeded from tests/fuzz/corpus/TARGET, which it never writes);
# a crash, leak or timeout is saved as build-fuzz/fuzz-work/TARGET/crash-* (or leak-*, timeout-*), and
# the script exits non-zero. Add such an input to tests/fuzz/corpus/TARGET/ once its cause is fixed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 2 ]; then
  echo "usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]" >&2
  exit 2
fi
target="$1"
seconds="$2"
shift 2
if [ ! -f "$root/tests/fuzz/fuzz_$target.cpp" ]; then
  echo "fuzz.sh: no target '$target': see tests/fuzz/fuzz_*.cpp" >&2
  exit 2
fi
build="${SEQFLOW_FUZZ_BUILD:-$root/build-fuzz}"
"$root/scripts/sanitize.sh" --configure-only
cmake --build "$build" -j "${SEQFLOW_JOBS:-$(nproc)}" --target "fuzz_$target"

work="$build/fuzz-work/$target"
mkdir -p "$work/corpus"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$root/tests/fuzz/ubsan.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
cd "$work"
exec "$build/bin/fuzz_$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/" "$@" "$work/corpus" "$root/tests/fuzz/corpus/$target"
