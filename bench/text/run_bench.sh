#!/usr/bin/env bash
# The text benchmark: seqflow's encoder and its peers on the same ~100 MB corpus, one thread, median
# of REPS runs, ids checked equal (CRC-32 of all ids) in the same run. Writes bench/text/results.md.
#   bench/text/setup_venv.sh && tests/text/fetch_tiktoken.sh && bench/text/run_bench.sh [REPS]
# Environment: HF_REPS (default REPS) runs of Hugging Face tokenizers, which takes minutes per run on
# the long documents; SKIP=N skips the first N cases and APPEND=1 keeps results.jsonl, to resume.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
reps="${1:-3}"
py="$here/.venv/bin/python"
shared="$root/../shared/data/tokenizers"
tik="$root/tests/text/.cache/tiktoken"
corpus="$here/.cache/corpus.txt"
[ -f "$corpus" ] || python3 "$here/make_corpus.py"
cmake -S "$here" -B "$here/build" -G Ninja >/dev/null && cmake --build "$here/build" >/dev/null
bench="$here/build/bench_text"
out="$here/results.jsonl"
[ "${APPEND:-0}" = 1 ] || : > "$out"
skip="${SKIP:-0}"
run() {  # label tokenizer encoding extra-args peers...
  local label="$1" tok="$2" enc="$3" extra="$4"; shift 4
  if [ "$skip" -gt 0 ]; then skip=$((skip - 1)); return; fi
  local e=()
  [ -n "$enc" ] && e=(--encoding "$enc")
  echo "{\"case\": \"$label\", $( "$bench" "$tok" "$corpus" "${e[@]}" --reps "$reps" $extra | sed 's/^{//')" >> "$out"
  for p in "$@"; do
    local n="$reps"
    [ "$p" = tokenizers ] && n="${HF_REPS:-$reps}"
    if r=$("$py" "$here/peers.py" "$p" "$tok" "$corpus" "${e[@]}" --reps "$n" $extra 2>"$here/.cache/$p.err"); then
      echo "{\"case\": \"$label\", ${r#\{}" >> "$out"
    else
      echo "{\"case\": \"$label\", \"impl\": \"$p\", \"error\": $(tail -1 "$here/.cache/$p.err" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))')}" >> "$out"
    fi
  done
}
run "qwen3 byte-level BPE (tokenizer.json)" "$shared/qwen3/tokenizer.json" "" "" tokenizers gigatoken
run "cl100k_base (tiktoken)" "$tik/cl100k_base.tiktoken" cl100k_base "" tiktoken tokendagger gigatoken
run "o200k_base (tiktoken)" "$tik/o200k_base.tiktoken" o200k_base "" tiktoken tokendagger gigatoken
run "r50k_base / GPT-2 (tiktoken)" "$tik/r50k_base.tiktoken" r50k_base "" tiktoken tokendagger gigatoken
run "bert-base-uncased WordPiece (tokenizer.json)" "$shared/bert-base-uncased/tokenizer.json" "" "" tokenizers gigatoken
run "albert-base-v2 Unigram (.model)" "$shared/albert-base-v2/spiece.model" "" "" sentencepiece gigatoken
run "1 MB of one character (qwen3)" "$shared/qwen3/tokenizer.json" "" "--single-char 1000000" tokenizers gigatoken
run "1 MB of one character (cl100k_base)" "$tik/cl100k_base.tiktoken" cl100k_base "--single-char 1000000" tiktoken gigatoken
echo "{\"case\": \"qwen3, 2 threads\", $( "$bench" "$shared/qwen3/tokenizer.json" "$corpus" --reps "$reps" --threads 2 | sed 's/^{//')" >> "$out"
python3 "$here/summarize_text.py" "$out" > "$here/results.md"
cat "$here/results.md"
