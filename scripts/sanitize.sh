#!/usr/bin/env bash
# The sanitizer part of CI (.ci/run runs it after scripts/test.sh; tests/fuzz/README.md):
#  1. build-fuzz/: clang-14, ASan + UBSan, libFuzzer. Every fuzz target replays its seed corpus and
#     regression inputs (tests/fuzz/corpus/<target>/, no new search), then the unit tests of the engine
#     (tests/engine, tests/runtime), io and dna run instrumented.
#  2. build-tsan/: GCC, TSan (clang 14's shared TSan runtime crashes at start). The engine tests that
#     run no pipeline through the flow graph pass clean; those that do still get reports inside oneTBB's
#     own code, because Debian's libtbb.so is not instrumented (tests/fuzz/README.md), so CI runs the
#     former and SEQFLOW_TSAN_ALL=1 runs every engine test (tests/engine, tests/runtime).
# Each build compiles only what its tests need (SEQFLOW_MODULES="io;dna"). Prints how long each part
# took. `--configure-only` configures build-fuzz/ and stops (scripts/fuzz.sh uses it).
# SEQFLOW_SANITIZE_PARTS="asan tsan" chooses the parts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${SEQFLOW_JOBS:-$(nproc)}"
parts="${SEQFLOW_SANITIZE_PARTS:-asan tsan}"
cc="${SEQFLOW_SANITIZE_CC:-clang-14}"
cxx="${SEQFLOW_SANITIZE_CXX:-clang++-14}"

launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

# -O1 keeps stack traces readable and asserts stay on (no NDEBUG); line tables come from cmake/sanitize.cmake.
configure() {
  local dir="$1"
  shift
  local generator=()
  if [ ! -f "$dir/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
  CC="$cc" CXX="$cxx" cmake -S "$root" -B "$dir" "${generator[@]}" "${launcher[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1" -DSEQFLOW_MODULES="io;dna" "$@" >/dev/null
}

# byte_budget_test is left out: its peak-memory bounds depend on timing and fail under load even in the
# Release build; instrumented runs are several times slower.
engine_tests=(pipeline_spec_test host_api_test create_error_test provenance_test shard_merge_test
  plugin_loader_test skip_log_test runtime_test interrupt_test stress_test)
unit_tests=("${engine_tests[@]}" io_core_test dna_test)
regex() { local IFS='|'; echo "^($*)\$"; }

export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$root/tests/fuzz/ubsan.supp"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/fuzz/tsan.supp"

if [ "${1:-}" = "--configure-only" ]; then
  configure "${SEQFLOW_FUZZ_BUILD:-$root/build-fuzz}" -DSEQFLOW_FUZZ=ON
  exit 0
fi

# ctest over the given tests, runtime_test apart: one of its cases asserts which failing record a run
# names first, which with several workers is the first to fail in time, not in record order; the slower
# instrumented runs name another (README.md). Its other cases run.
run_tests() {
  local dir="$1"
  shift
  ctest --test-dir "$dir" --output-on-failure -j2 -R "$(regex "$@")" -E '^runtime_test$'
  (cd "$dir" && ./bin/runtime_test "~a non-std exception from a plugin fails the record*")
}

timing=()
stamp() { timing+=("$1: $(($(date +%s) - $2)) s"); }

for part in $parts; do
  case "$part" in
    asan)
      dir="$root/build-fuzz"
      t0=$(date +%s)
      configure "$dir" -DSEQFLOW_FUZZ=ON
      cmake --build "$dir" -j "$jobs" --target seqflow_fuzz "${unit_tests[@]}"
      stamp "asan build (fuzz targets + engine/io/dna tests)" "$t0"
      t0=$(date +%s)
      ctest --test-dir "$dir" --output-on-failure -j2 -R '^fuzz_.*_corpus$'
      stamp "asan: fuzz corpus regression" "$t0"
      t0=$(date +%s)
      run_tests "$dir" "${unit_tests[@]}"
      stamp "asan: engine, io, dna unit tests" "$t0"
      ;;
    tsan)
      dir="$root/build-tsan"
      t0=$(date +%s)
      cc=gcc cxx=g++ configure "$dir" -DSEQFLOW_SANITIZE=thread
      tsan_tests=(pipeline_spec_test host_api_test plugin_loader_test skip_log_test)
      if [ "${SEQFLOW_TSAN_ALL:-0}" = 1 ]; then tsan_tests=("${engine_tests[@]}"); fi
      cmake --build "$dir" -j "$jobs" --target "${tsan_tests[@]}"
      stamp "tsan build (engine tests)" "$t0"
      t0=$(date +%s)
      if [ "${SEQFLOW_TSAN_ALL:-0}" = 1 ]; then
        run_tests "$dir" "${tsan_tests[@]}"
      else
        ctest --test-dir "$dir" --output-on-failure -j2 -R "$(regex "${tsan_tests[@]}")"
      fi
      stamp "tsan: engine tests" "$t0"
      ;;
    *)
      echo "sanitize.sh: unknown part '$part' (asan, tsan)" >&2
      exit 2
      ;;
  esac
done
printf 'sanitize: %s\n' "${timing[@]}"
