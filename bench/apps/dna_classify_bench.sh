#!/usr/bin/env bash
# dna_classify: the seqflow pipeline (pipelines/dna_classify/pipeline.toml) against the Python script a
# user would write (dna_classify_peer.py: pyfastx + NumPy 4-mers + PyTorch, the same weights), on the same
# plain FASTQ, at 1 and 2 threads, REPS alternating rounds; medians and their ratio; at every round the
# summaries are compared byte for byte and the per-read TSVs read by read (ids, labels, windows equal,
# probabilities within 1e-4).
# Input: COPIES copies (ids suffixed) of make_data.py's held-out 150 bp test reads (20,000) and of racon's
# 236 real lambda long reads, unwrapped to 4-line FASTQ: about 10 MB and 31,000 windows per copy.
# Usage: bench/apps/dna_classify_bench.sh [BUILD_DIR] [REPS] [COPIES]
#   (first: pipelines/dna_classify/make_data.py, bench/apps/dna_classify_setup_venv.sh, a build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
reps=${2:-3}
copies=${3:-2}
data=${DNACLASS_DATA:-/work/dnaclass-data}
seqflow=$build/bin/seqflow
py=${DNACLASS_VENV:-/work/venv-dnaclass}/bin/python
[[ -x $seqflow ]] || { echo "no $seqflow: build seqflow and its plugins" >&2; exit 2; }
[[ -x $py ]] || { echo "no $py: run bench/apps/dna_classify_setup_venv.sh" >&2; exit 2; }
work=$build/bench_apps/dna_classify
mkdir -p "$work"
reads=$work/reads_x$copies.fq
if [[ ! -f $reads ]]; then
  /usr/bin/python3 - "$data" "$root/../shared/data/dna/racon_lambda_reads.fastq.gz" "$copies" "$reads" <<'PY'
import gzip, sys
data, racon, copies, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def four_line(lines):  # (name, seq, qual) of 4-line or wrapped FASTQ
    recs, i = [], 0
    while i < len(lines):
        if not lines[i].startswith(b"@"):
            i += 1; continue
        name = lines[i][1:].split()[0]; i += 1; seq = b""
        while not lines[i].startswith(b"+"):
            seq += lines[i].strip(); i += 1
        i += 1; q = b""
        while len(q) < len(seq):
            q += lines[i].strip(); i += 1
        recs.append((name, seq, q))
    return recs
recs = []
for f in ("test_sim150_illumina.fq", "test_sim150_ont.fq"):
    recs += four_line(open(f"{data}/{f}", "rb").read().split(b"\n"))
recs += four_line(gzip.open(racon).read().split(b"\n"))
with open(out, "wb") as o:
    for c in range(copies):
        for n, s, q in recs:
            o.write(b"@%s_c%d\n%s\n+\n%s\n" % (n, c, s, q))
PY
fi
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; input $(du -m "$reads" | cut -f1) MB, $(($(wc -l < "$reads") / 4)) reads"
now() { date +%s.%N; }
declare -A times
for t in 1 2; do
  for r in $(seq "$reps"); do
    echo "round $r, $t thread(s); load $(cut -d' ' -f1-3 /proc/loadavg)"
    a=$(now)
    OMP_WAIT_POLICY=PASSIVE "$seqflow" run "$root/pipelines/dna_classify/pipeline.toml" --no-progress --threads "$t" \
      --set "read.paths=[\"$reads\"]" --set "report.path=$work/sf/reads.tsv" \
      --set "report.summary=$work/sf/summary.tsv" > /dev/null 2>&1
    b=$(now)
    "$py" "$here/dna_classify_peer.py" "$reads" "$work/py" "$t"
    c=$(now)
    # The same reads and labels; probabilities within 1e-4 (4 decimals each: a value within 1e-6 of a
    # rounding boundary prints differently, about 1 line in 1,500).
    /usr/bin/python3 -c '
import sys
a, b = (open(f).read().splitlines() for f in sys.argv[1:3])
assert len(a) == len(b), "line counts differ"
d = [(x, y) for x, y in zip(a, b) if x != y]
for x, y in d:
    x, y = x.split("\t"), y.split("\t")
    assert x[0] == y[0] and x[1] == y[1] and x[3] == y[3] and abs(float(x[2]) - float(y[2])) <= 1.5e-4, (x, y)
print(f"  outputs agree: {len(a) - 1} reads, labels identical, {len(d)} probabilities differ in the 4th decimal")
' "$work/sf/reads.tsv" "$work/py/reads.tsv"
    cmp "$work/sf/summary.tsv" "$work/py/summary.tsv"
    times[sf$t]+="$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f ", b - a }')"
    times[py$t]+="$(awk -v a="$b" -v b="$c" 'BEGIN { printf "%.2f ", b - a }')"
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "| threads | seqflow median (runs) | Python script median (runs) | speedup |"
echo "|---|---|---|---|"
for t in 1 2; do
  s=$(echo "${times[sf$t]}" | median); p=$(echo "${times[py$t]}" | median)
  echo "| $t | $s s (${times[sf$t]% }) | $p s (${times[py$t]% }) | $(awk -v s="$s" -v p="$p" 'BEGIN { printf "%.2fx", p / s }') |"
done
echo "outputs agree at every round (labels and summary identical, probabilities within 1e-4)"
