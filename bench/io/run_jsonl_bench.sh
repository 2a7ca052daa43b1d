#!/usr/bin/env bash
# io.jsonl_read throughput on number-heavy JSON Lines: one generated file of SIZE_MB (10^6 bytes) whose
# lines look like {"id": "r0000001", "text": "<12 words>", "x": [<32 floats, 7 significant digits>]},
# read as fields { text = "string", x = "tensor:f32" } into io.discard.
#
# Every build given runs REPS times on the same file, the builds taking turns so that a change in the
# machine's load hits them alike; the table shows the median wall time, the median busy time of the read
# stage, MB/s and lines/s (from the median wall time), with the 1-minute load average before each run.
#
# Usage: bench/io/run_jsonl_bench.sh [BUILD_DIR ...]   (default: build next to bench/; a BUILD_DIR is any
#        folder with bin/seqflow and its plugins, e.g. a build of an older commit to compare with)
# Environment: SIZE_MB (default 200), REPS (default 3), THREADS (default 2), BENCH_DIR (default
#              /tmp/seqflow_io_bench; the data is kept there for reruns, delete it when done).
# Timings are only meaningful on a quiet machine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
builds=("$@")
[[ ${#builds[@]} -gt 0 ]] || builds=("$repo/build")
size_mb=${SIZE_MB:-200}
reps=${REPS:-3}
threads=${THREADS:-2}
work=${BENCH_DIR:-/tmp/seqflow_io_bench}
data=$work/numbers_${size_mb}mb.jsonl

for b in "${builds[@]}"; do
  [[ -x $b/bin/seqflow ]] || { echo "no seqflow at $b/bin/seqflow: build it first" >&2; exit 1; }
done
mkdir -p "$work"

if [[ ! -s $data ]]; then
  echo "== generating $data"
  python3 - "$data" "$size_mb" <<'EOF'
import random, sys
path, size_mb = sys.argv[1], int(sys.argv[2])
random.seed(7)
words = "the of and to in is was for on that with as by at from his her an which you this are be".split()
target, size, i = size_mb * 10**6, 0, 0
with open(path + ".tmp", "w") as f:
    while size < target:
        text = " ".join(random.choice(words) for _ in range(12))
        xs = ",".join("%.7g" % random.gauss(0, 10) for _ in range(32))
        line = '{"id": "r%07d", "text": "%s", "x": [%s]}\n' % (i, text, xs)
        f.write(line)
        size += len(line)
        i += 1
EOF
  mv "$data.tmp" "$data"
fi
lines=$(wc -l < "$data")
bytes=$(stat -c %s "$data")

cat > "$work/jsonl_read.toml" <<EOF
[pipeline]
name = "jsonl-read-bench"

[[stage]]
name = "read"
plugin = "io.jsonl_read"
paths = ["$(basename "$data")"]
fields = { text = "string", x = "tensor:f32" }

[[stage]]
name = "sink"
plugin = "io.discard"
EOF

declare -A walls busys loads
for ((r = 1; r <= reps; r++)); do
  for b in "${builds[@]}"; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    summary=$("$b/bin/seqflow" run "$work/jsonl_read.toml" --threads "$threads" --no-progress 2>&1)
    wall=$(awk '/ s wall,/ { print $1 }' <<<"$summary")
    busy=$(awk '$1 == "read" { print $7 }' <<<"$summary")
    echo "run $r  $b: wall ${wall} s, read busy ${busy} s, load ${load}"
    walls[$b]+="$wall "
    busys[$b]+="$busy "
    loads[$b]+="$load "
  done
done

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo
echo "$lines lines, $bytes bytes, --threads $threads, $reps runs each, $(nproc) cores"
printf '%-40s %10s %10s %8s %12s  %s\n' build "wall s" "busy s" "MB/s" "lines/s" "load per run"
for b in "${builds[@]}"; do
  wall=$(median <<<"${walls[$b]}")
  busy=$(median <<<"${busys[$b]}")
  printf '%-40s %10s %10s %8.0f %12.0f  %s\n' "$b" "$wall" "$busy" \
    "$(awk -v b="$bytes" -v w="$wall" 'BEGIN { print b / 1e6 / w }')" \
    "$(awk -v n="$lines" -v w="$wall" 'BEGIN { print n / w }')" "${loads[$b]}"
done
