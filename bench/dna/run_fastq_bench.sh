#!/usr/bin/env bash
# dna module throughput, side by side on one FASTQ made from the real Illumina reads of ../shared/data/dna
# (ERR127302_1_subset and ecoli_1K_1/2, repeated with a copy number appended to every read name):
#
#   cat > /dev/null                                  the ceiling (page cache read)
#   seqtk seq -A                                     Debian's seqtk, FASTQ -> FASTA
#   seqflow: dna.fastq_read -> dna.fasta_write       FASTQ -> FASTA, plain (THREADS and 1 thread) and gzip
#   seqflow: dna.fastq_read -> dna.kmer(k=6, stride=1) -> io.discard, --threads 1 and 2
#
# Every command runs REPS times (default 3) under /usr/bin/time -v, peers interleaved round by round; the table shows median wall time,
# MB/s of uncompressed FASTQ (1 MB = 10^6 bytes, also for gzip input), the ratio to seqtk on the same
# input and the peak RSS. Then the FASTQ -> FASTA and k-mer pipelines run once more on a 4x larger file
# to compare peak RSS (it must not grow with the input). Outputs go to files next to the inputs.
#
# Usage: bench/dna/run_fastq_bench.sh [BUILD_DIR]   (default: build next to bench/)
# Environment: SIZE_MB (default 1024), BIG_FACTOR (default 4), REPS (default 3), THREADS (default 2, for
#              the FASTQ -> FASTA runs), BENCH_DIR (default /tmp/seqflow_dna_bench; kept for reruns, delete
#              it when done), KEEP_DATA=0 to delete the generated data at the end.
# Timings are only meaningful on a quiet machine: the load average is printed with every result.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-$repo/build}
seqflow=$build/bin/seqflow
data=$repo/../shared/data/dna
work=${BENCH_DIR:-/tmp/seqflow_dna_bench}
size_mb=${SIZE_MB:-1024}
big_factor=${BIG_FACTOR:-4}
reps=${REPS:-3}
threads=${THREADS:-2}

[[ -x $seqflow ]] || { echo "no seqflow CLI at $seqflow: build the 'seqflow' target first" >&2; exit 2; }
[[ -f $data/ERR127302_1_subset.fastq.gz ]] || { echo "shared data not found at $data (see its PROVENANCE.md)" >&2; exit 2; }
command -v seqtk >/dev/null || { echo "seqtk not found: apt-get install seqtk" >&2; exit 2; }
if [[ ! -x /usr/bin/time ]]; then
  echo "installing GNU time (Debian package 'time') for peak RSS" >&2
  apt-get install -y time >/dev/null
fi
mkdir -p "$work"
if [[ ${KEEP_DATA:-1} == 0 ]]; then trap 'rm -rf "$work"' EXIT; fi

load() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- data ----
generate() {  # generate OUT BYTES
  python3 - "$1" "$2" "$data/ERR127302_1_subset.fastq.gz" "$data/ecoli_1K_1.fq.gz" "$data/ecoli_1K_2.fq.gz" <<'EOF'
import gzip, sys
out, target, sources = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
records = []  # (name, rest of the record)
for path in sources:
    lines = gzip.open(path).read().split(b"\n")
    for i in range(0, len(lines) - 3, 4):
        head = lines[i]
        cut = head.find(b" ")
        name, rest = (head, b"") if cut < 0 else (head[:cut], head[cut:])
        records.append((name, rest + b"\n" + lines[i + 1] + b"\n+\n" + lines[i + 3] + b"\n"))
written, copy = 0, 0
with open(out + ".part", "wb") as f:
    while written < target:
        tag = b".%d" % copy
        block = b"".join(name + tag + body for name, body in records)
        f.write(block)
        written += len(block)
        copy += 1
import os
os.replace(out + ".part", out)
print(f"{out}: {written} bytes, {copy} copies of {len(records)} real reads")
EOF
}
small=$work/reads_${size_mb}MB.fq
big=$work/reads_$((size_mb * big_factor))MB.fq
[[ -f $small ]] || generate "$small" $((size_mb * 1000000))
[[ -f $small.gz ]] || { echo "gzip -6 $small" >&2; gzip -6 -c "$small" > "$small.gz.part" && mv "$small.gz.part" "$small.gz"; }
[[ -f $big ]] || generate "$big" $((size_mb * big_factor * 1000000))
bytes_small=$(stat -c %s "$small")
bytes_big=$(stat -c %s "$big")

# ---- pipelines ----
fq2fa() {  # fq2fa INPUT OUTPUT
  cat <<EOF
[pipeline]
name = "bench-fastq-to-fasta"
[[stage]]
name = "read"
plugin = "dna.fastq_read"
paths = ["$1"]
[[stage]]
name = "write"
plugin = "dna.fasta_write"
path = "$2"
EOF
}
kmer() {  # kmer INPUT
  cat <<EOF
[pipeline]
name = "bench-fastq-kmer"
[[stage]]
name = "read"
plugin = "dna.fastq_read"
paths = ["$1"]
[[stage]]
name = "tokens"
plugin = "dna.kmer"
k = 6
stride = 1
[[stage]]
name = "sink"
plugin = "io.discard"
EOF
}
fq2fa "$small" "$work/out_seqflow.fa" > "$work/fq2fa.toml"
fq2fa "$small.gz" "$work/out_seqflow_gz.fa" > "$work/fq2fa_gz.toml"
fq2fa "$big" "$work/out_big.fa" > "$work/fq2fa_big.toml"
kmer "$small" > "$work/kmer.toml"
kmer "$big" > "$work/kmer_big.toml"

# ---- measurement ----
# measure LABEL BYTES COMMAND [LABEL BYTES COMMAND ...]: REPS rounds, each round runs every command of the
# group once, in turn, so that a noisy neighbour slows the peers alike; appends per command "LABEL BYTES
# median_wall_s peak_rss_kb load median_cpu_s wall_s_of_each_round" (tab-separated) to the results. CPU = user + system time of
# the command and its children.
results=$work/results.tsv
: > "$results"
measure() {
  local labels=() sizes=() commands=()
  while (($# >= 3)); do
    labels+=("$1")
    sizes+=("$2")
    commands+=("$3")
    shift 3
  done
  local -a times cpus rss
  local r i
  for ((r = 0; r < reps; r++)); do
    for i in "${!commands[@]}"; do
      rm -f "$work"/out_*.fa
      sync
      /usr/bin/time -v -o "$work/time.txt" bash -c "${commands[i]}" > /dev/null 2> "$work/stderr.txt" ||
        { echo "FAILED: ${labels[i]}" >&2; cat "$work/stderr.txt" >&2; exit 1; }
      local wall kb cpu
      wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$work/time.txt")
      kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
      cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$work/time.txt")
      times[i]+="$wall "
      cpus[i]+="$cpu "
      if ((kb > ${rss[i]:-0})); then rss[i]=$kb; fi
    done
  done
  median() { printf "%s\n" $1 | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
  for i in "${!commands[@]}"; do
    printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "${labels[i]}" "${sizes[i]}" "$(median "${times[i]}")" "${rss[i]}" \
      "$(load)" "$(median "${cpus[i]}")" "${times[i]% }" | tee -a "$results" >&2
  done
}

cat "$small" > /dev/null  # warm the page cache for everyone
echo "== ${reps} rounds on $small ($bytes_small bytes), load $(load)" >&2
measure "cat > /dev/null" "$bytes_small" "cat '$small' > /dev/null" \
  "seqtk seq -A" "$bytes_small" "seqtk seq -A '$small' > '$work/out_seqtk.fa'" \
  "seqflow fastq_read -> fasta_write" "$bytes_small" \
  "'$seqflow' run '$work/fq2fa.toml' --threads $threads --no-progress" \
  "seqflow fastq_read -> fasta_write, 1 thread" "$bytes_small" \
  "'$seqflow' run '$work/fq2fa.toml' --threads 1 --no-progress"
measure "seqtk seq -A (gzip input)" "$bytes_small" "seqtk seq -A '$small.gz' > '$work/out_seqtk_gz.fa'" \
  "seqflow fastq_read -> fasta_write (gzip input)" "$bytes_small" \
  "'$seqflow' run '$work/fq2fa_gz.toml' --threads $threads --no-progress"
measure "seqflow fastq_read -> kmer(6) -> discard, 1 thread" "$bytes_small" \
  "'$seqflow' run '$work/kmer.toml' --threads 1 --no-progress" \
  "seqflow fastq_read -> kmer(6) -> discard, 2 threads" "$bytes_small" \
  "'$seqflow' run '$work/kmer.toml' --threads 2 --no-progress"

# The outputs must agree with seqtk's before any number counts.
"$seqflow" run "$work/fq2fa.toml" --threads "$threads" --no-progress 2> /dev/null
seqtk seq -A "$small" > "$work/out_seqtk.fa"
cmp "$work/out_seqtk.fa" "$work/out_seqflow.fa" || { echo "seqflow's FASTA differs from seqtk's" >&2; exit 1; }
rm -f "$work"/out_*.fa

saved_reps=$reps
reps=1
echo "== peak memory: $bytes_small vs $bytes_big bytes" >&2
measure "RSS fastq_read -> fasta_write, ${size_mb} MB" "$bytes_small" \
  "'$seqflow' run '$work/fq2fa.toml' --threads $threads --no-progress"
measure "RSS fastq_read -> fasta_write, $((size_mb * big_factor)) MB" "$bytes_big" \
  "'$seqflow' run '$work/fq2fa_big.toml' --threads $threads --no-progress"
measure "RSS fastq_read -> kmer(6) -> discard, ${size_mb} MB" "$bytes_small" \
  "'$seqflow' run '$work/kmer.toml' --threads 2 --no-progress"
measure "RSS fastq_read -> kmer(6) -> discard, $((size_mb * big_factor)) MB" "$bytes_big" \
  "'$seqflow' run '$work/kmer_big.toml' --threads 2 --no-progress"
reps=$saved_reps
rm -f "$work"/out_*.fa

# ---- table ----
python3 - "$results" "$reps" "$(nproc)" <<'EOF'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
reps, cores = sys.argv[2], sys.argv[3]
rounds = {label: [float(x) for x in per.split()] for label, *_, per in rows}
seqtk = {"gzip" in label: label for label, *_ in rows if label.startswith("seqtk")}
print(f"| command ({reps} rounds, median; {cores} cores) | wall s | MB/s | vs seqtk | CPU s | peak RSS MB | load avg |")
print("|---|---:|---:|---:|---:|---:|---|")
for label, nbytes, wall, rss, load, cpu, _ in rows:
    wall_s, mb = float(wall), int(nbytes) / 1e6
    ratio = ""
    base = seqtk.get("gzip" in label)
    if not label.startswith(("RSS", "cat")) and "kmer" not in label and base:
        # Median over rounds of seqtk's time / this command's time in the same round.
        ratio = f"{statistics.median(b / w for b, w in zip(rounds[base], rounds[label]) if w > 0):.2f}x"
    mbps = f"{mb / wall_s:.0f}" if wall_s > 0 else "-"
    print(f"| {label} | {wall_s:.2f} | {mbps} | {ratio} | {float(cpu):.2f} | {int(rss) / 1024:.0f} | {load} |")
rss = {label: int(r) for label, _, _, r, *_ in rows if label.startswith("RSS")}
for kind in ("fasta_write", "kmer"):
    pair = [v for k, v in rss.items() if kind in k]
    if len(pair) == 2 and pair[0] > 0:
        print(f"\npeak RSS, larger / smaller input ({kind}): {pair[1] / pair[0]:.2f}")
EOF
