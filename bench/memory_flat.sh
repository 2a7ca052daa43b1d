#!/usr/bin/env bash
# Flat memory: the peak RSS of `seqflow run` (io.jsonl_read -> io.jsonl_write) over a 1 GB and a 4 GB
# JSONL file must be about the same, because max_in_flight bounds the records alive, not the input size.
# Each file is generated in $TMPDIR (default /tmp), read once under `/usr/bin/time -v` and deleted with
# its output before the next one is made, so the disk holds at most one input and one output at a time.
#
# Usage: bench/memory_flat.sh [BUILD_DIR] [SIZES_GB...]     (defaults: build-bench next to bench/, 1 4)
# Prints the peak RSS per size and `RESULT rss_<n>gb_kb=...` and `RESULT rss_ratio=<largest/smallest>`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build-bench}
shift || true
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1 4)
seqflow=$build/bin/seqflow
[[ -x $seqflow ]] || { echo "no seqflow CLI at $seqflow: build the 'seqflow' target first" >&2; exit 2; }

if [[ ! -x /usr/bin/time ]]; then
  echo "installing GNU time (Debian package 'time') for peak RSS" >&2
  apt-get install -y time >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/seqflow_memory_flat.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Sizes may be fractional (0.1 for a quick check): compare them with awk, not bash arithmetic.
largest=$(printf "%s\n" "${sizes[@]}" | sort -g | tail -1)
smallest=$(printf "%s\n" "${sizes[@]}" | sort -g | head -1)
# One input and its copy, plus 2 GB of slack for everything else on the machine.
need_kb=$(awk -v l="$largest" 'BEGIN { printf "%d", (2 * l + 2) * 1000000 }')
free_kb=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
if (( free_kb < need_kb )); then
  echo "not enough disk in $work: $(( free_kb / 1000000 )) GB free, need $(( need_kb / 1000000 )) GB" >&2
  exit 2
fi

# JSONL of about `gb` x 10^9 bytes: {"id": "r<n>", "text": "<ACGT..., 100 to 400 letters>"}.
generate() {
  python3 - "$1" "$2" <<'PY'
import random, sys
path, target = sys.argv[1], int(float(sys.argv[2]) * 1e9)
rng = random.Random(42)
texts = ["".join(rng.choice("ACGT") for _ in range(rng.randint(100, 400))) for _ in range(997)]
written, n = 0, 0
with open(path, "w") as out:
    while written < target:
        lines = []
        for _ in range(100000):
            lines.append('{"id": "r%d", "text": "%s"}\n' % (n, texts[n % len(texts)]))
            n += 1
        block = "".join(lines)
        out.write(block)
        written += len(block)
print(n)
PY
}

echo "seqflow memory_flat: io.jsonl_read -> io.jsonl_write, --threads 2, default max_in_flight;" \
     "load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-6s %12s %12s %10s %12s\n" size_gb records peak_rss_kb wall_s MB_per_s
declare -A rss
for s in "${sizes[@]}"; do
  input=$work/in_${s}gb.jsonl
  records=$(generate "$input" "$s")
  bytes=$(stat -c %s "$input")
  cat >"$work/pipeline.toml" <<TOML
[pipeline]
name = "memory_flat"

[[stage]]
name = "read"
plugin = "io.jsonl_read"
paths = ["in_${s}gb.jsonl"]
fields = { text = "string" }

[[stage]]
name = "write"
plugin = "io.jsonl_write"
path = "out.jsonl"
fields = ["id", "text"]
TOML
  /usr/bin/time -v -o "$work/time.txt" "$seqflow" run "$work/pipeline.toml" --threads 2 --no-progress \
    2>"$work/stderr.txt" || { cat "$work/stderr.txt" >&2; exit 1; }
  written=$(wc -l <"$work/out.jsonl")
  if [[ $written != "$records" ]]; then
    echo "size $s GB: wrote $written records of $records" >&2
    exit 1
  fi
  rss[$s]=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
  # "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.03" -> seconds
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
                       n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' \
         "$work/time.txt")
  rate=$(awk -v b="$bytes" -v w="$wall" 'BEGIN { print b / 1e6 / w }')
  printf "%-6s %12s %12s %10s %12.0f\n" "$s" "$records" "${rss[$s]}" "$wall" "$rate"
  echo "RESULT rss_${s}gb_kb=${rss[$s]}"
  rm -f "$input" "$work/out.jsonl"
done

ratio=$(awk -v a="${rss[$largest]}" -v b="${rss[$smallest]}" 'BEGIN { printf "%.3f", a / b }')
echo "RESULT rss_ratio=$ratio"
