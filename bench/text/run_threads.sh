#!/usr/bin/env bash
# seqflow's CLI on the benchmark corpus (corpus.jsonl, many documents): io.jsonl_read -> text.tokenize
# (qwen3) -> io.discard, with --threads 1 and --threads 2, median wall time of REPS runs each.
#   bench/text/run_threads.sh [REPS]      (after scripts/test.sh or a build of seqflow and its plugins)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
reps="${1:-3}"
corpus="$here/.cache/corpus.jsonl"
[ -f "$corpus" ] || python3 "$here/make_corpus.py"
pipe="$here/.cache/threads.toml"
cat > "$pipe" <<TOML
[pipeline]
name = "text-threads"
[resources.tok]
plugin = "text.tokenizer"
path = "$root/../shared/data/tokenizers/qwen3/tokenizer.json"
[[stage]]
name = "read"
plugin = "io.jsonl_read"
paths = ["corpus.jsonl"]
fields = { text = "string" }
[[stage]]
name = "tok"
plugin = "text.tokenize"
tokenizer = "tok"
[[stage]]
name = "sink"
plugin = "io.discard"
TOML
for t in 1 2; do
  times=()
  for r in $(seq "$reps"); do
    s=$(date +%s.%N)
    "$root/build/bin/seqflow" run "$pipe" --threads "$t" --no-progress >/dev/null 2>&1
    times+=("$(echo "$(date +%s.%N) - $s" | bc)")
  done
  med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (reps + 1) / 2 ))p")
  echo "threads=$t median_wall_s=$med runs=${times[*]}"
done
