#!/usr/bin/env bash
# Language identification: pipelines/text_langid/pipeline.toml against the Python script a user writes
# (langid_peer.py: sentencepiece + PyTorch, the same model), on MB megabytes of catalog text (the lines of
# make_data.py's train.tsv and eval.tsv, repeated), at one and two threads, REPS alternating rounds each:
# medians and their ratio; every round's labels checked identical and scores within 1e-4.
# Usage: bench/apps/langid_bench.sh [BUILD_DIR] [REPS] [MB]  (defaults build/ 3 100; first
#        bench/apps/langid_make_venv.sh and pipelines/text_langid/make_data.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
reps=${2:-3}
mb=${3:-100}
data=${DATA:-/work/langid-data}
seqflow=$build/bin/seqflow
py=${VENV:-/work/venv-langid}/bin/python
[[ -x $seqflow ]] || { echo "no $seqflow: build seqflow and its plugins first" >&2; exit 2; }
[[ -x $py ]] || { echo "no $py: run bench/apps/langid_make_venv.sh" >&2; exit 2; }
[[ -f $data/train.tsv ]] || { echo "no $data/train.tsv: run pipelines/text_langid/make_data.sh" >&2; exit 2; }
work=$build/bench_apps
mkdir -p "$work"
corpus=$work/langid_${mb}mb.jsonl
if [[ ! -f $corpus ]]; then
  /usr/bin/python3 - "$data" "$corpus" "$mb" <<'PY'
import json, sys
data, out, mb = sys.argv[1], sys.argv[2], float(sys.argv[3])
texts = [l.rstrip("\n").split("\t")[2] for f in ("train.tsv", "eval.tsv") for l in open(f"{data}/{f}", encoding="utf-8")]
limit, n, size = mb * 1e6, 0, 0
with open(out, "w", encoding="utf-8") as f:
    while size < limit:
        for t in texts:
            line = json.dumps({"id": f"r{n}", "text": t}, ensure_ascii=False) + "\n"
            f.write(line)
            n += 1
            size += len(line.encode())
            if size >= limit:
                break
PY
fi
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "input: $corpus, $(du -m "$corpus" | cut -f1) MB, $(wc -l < "$corpus") lines"

seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
sf() {  # threads out -> seconds
  local t0
  t0=$(date +%s.%N)
  OMP_WAIT_POLICY=PASSIVE "$seqflow" run "$root/pipelines/text_langid/pipeline.toml" --no-progress --threads "$1" \
    --set "read.paths=[\"$corpus\"]" --set "write.path=$2" --set "pipeline.error_log=$work/langid_errors.jsonl" \
    > /dev/null 2>&1
  seconds "$t0" "$(date +%s.%N)"
}
peer() {
  local t0
  t0=$(date +%s.%N)
  "$py" "$here/langid_peer.py" "$corpus" "$2" "$1" > /dev/null 2>&1
  seconds "$t0" "$(date +%s.%N)"
}
same() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
b = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(a) == len(b), f"{len(a)} vs {len(b)} lines"
bad = sum(x["id"] != y["id"] or x["label"] != y["label"] or abs(x["score"] - y["score"]) > 1e-4 for x, y in zip(a, b))
assert bad == 0, f"{bad} of {len(a)} lines differ"
print(f"{len(a)} lines, labels identical, scores within 1e-4")
PY
}
median() { printf "%s\n" "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for threads in 1 2; do
  s=() p=()
  for ((r = 0; r < reps; r++)); do
    s+=("$(sf "$threads" "$work/langid_sf.jsonl")")
    p+=("$(peer "$threads" "$work/langid_peer.jsonl")")
    same "$work/langid_sf.jsonl" "$work/langid_peer.jsonl" > /dev/null || { echo "outputs differ (threads $threads)"; exit 1; }
  done
  ms=$(median "${s[@]}")
  mp=$(median "${p[@]}")
  echo "threads $threads: seqflow ${s[*]} s (median $ms), python ${p[*]} s (median $mp); $(same "$work/langid_sf.jsonl" "$work/langid_peer.jsonl")"
  awk -v a="$ms" -v b="$mp" -v t="$threads" -v m="$mb" 'BEGIN { printf "RESULT threads=%d seqflow_s=%.2f python_s=%.2f speedup=%.2f seqflow_MB_per_s=%.2f\n", t, a, b, b / a, m / a }'
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
