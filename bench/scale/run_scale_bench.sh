#!/usr/bin/env bash
# Shards on one machine: 1 process vs 2 shard processes, --shard-by record vs --shard-by bytes, over a
# large plain FASTQ made by repeating the shared reads. Reports wall time (median of REPS) and the bytes
# each shard read (the engine's bytes_read, /proc/self/io rchar, from --stats), and the merge time.
#   bench/scale/run_scale_bench.sh [BUILD_DIR]      SIZE_GB=4 REPS=5 to change the input and repeats
# Needs the shared data (../shared/data/dna) and SIZE_GB x 3 of free space in $TMPDIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$root/build}"
seqflow="$build/bin/seqflow"
size_gb="${SIZE_GB:-1}"
reps="${REPS:-3}"
data="$root/../shared/data/dna/ERR127302_1_subset.fastq.gz"
work="$(mktemp -d "${TMPDIR:-/tmp}/seqflow_scale.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
zcat "$data" > "$work/unit.fq"
unit=$(stat -c %s "$work/unit.fq")
copies=$(( (size_gb * 1024 * 1024 * 1024 + unit - 1) / unit ))
for ((i = 0; i < copies; i++)); do cat "$work/unit.fq"; done > "$work/big.fq"
bytes=$(stat -c %s "$work/big.fq")
echo "input: $bytes bytes of FASTQ ($copies copies of the shared subset)"

cat > "$work/p.toml" <<TOML
[pipeline]
name = "scale"
[[stage]]
name = "read"
plugin = "dna.fastq_read"
paths = ["big.fq"]
[[stage]]
name = "rc"
plugin = "dna.revcomp"
[[stage]]
name = "write"
plugin = "dna.fastq_write"
path = "out/rc.fq"
TOML

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

run_single() {
  rm -rf "$work/out"
  local t0 t1
  t0=$(date +%s.%N)
  (cd "$work" && "$seqflow" run p.toml --threads 1 --no-progress --stats s.json 2>/dev/null)
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
run_two() {  # $1 = record|bytes: two shard processes at once, one thread each
  rm -rf "$work/out"
  local t0 t1
  t0=$(date +%s.%N)
  (cd "$work" && "$seqflow" run p.toml --threads 1 --no-progress --shard 0/2 --shard-by "$1" --stats s0.json 2>/dev/null) &
  (cd "$work" && "$seqflow" run p.toml --threads 1 --no-progress --shard 1/2 --shard-by "$1" --stats s1.json 2>/dev/null) &
  wait
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}

declare -A wall
for ((r = 0; r < reps; r++)); do
  wall[single]+="$(run_single)"$'\n'
  single_read=$(field "$work/s.json" bytes_read)
  for by in record bytes; do
    wall[$by]+="$(run_two "$by")"$'\n'
    eval "${by}_read0=$(field "$work/s0.json" bytes_read) ${by}_read1=$(field "$work/s1.json" bytes_read)"
  done
done
t0=$(date +%s.%N)
(cd "$work" && "$seqflow" merge out/rc.fq >/dev/null)
merge_s=$(echo "$(date +%s.%N) - $t0" | bc)

s=$(printf '%s' "${wall[single]}" | median)
rec=$(printf '%s' "${wall[record]}" | median)
byt=$(printf '%s' "${wall[bytes]}" | median)
printf '\n| run (1 thread per process) | wall s (median of %d) | vs 1 process | bytes read per process |\n' "$reps"
printf '|---|---|---|---|\n'
printf '| 1 process | %.2f | 1.00 | %s |\n' "$s" "$single_read"
printf '| 2 shards, --shard-by record | %.2f | %.2f | %s, %s |\n' "$rec" "$(echo "$s / $rec" | bc -l)" "$record_read0" "$record_read1"
printf '| 2 shards, --shard-by bytes | %.2f | %.2f | %s, %s |\n' "$byt" "$(echo "$s / $byt" | bc -l)" "$bytes_read0" "$bytes_read1"
printf '\nseqflow merge of the 2 byte shards: %.2f s\n' "$merge_s"
