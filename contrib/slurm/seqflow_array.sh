#!/usr/bin/env bash
# A seqflow run over N shards as a Slurm array job, then one merge job, without Snakemake:
#   contrib/slurm/seqflow_array.sh PIPELINE.toml N OUTPUT [OUTPUT...]
# Each array task runs shard $SLURM_ARRAY_TASK_ID of N split by bytes; the merge job waits for all of them
# (afterok) and writes each OUTPUT as one run would have. Pass sbatch options through SBATCH_ARGS
# (e.g. SBATCH_ARGS="--partition=main --mem=4G --time=4:00:00"); threads per shard: THREADS (default 4).
set -euo pipefail
pipeline="$1"
n="$2"
shift 2
threads="${THREADS:-4}"
seqflow="${SEQFLOW:-seqflow}"
read -r -a extra <<< "${SBATCH_ARGS:-}"
array=$(sbatch --parsable "${extra[@]}" --array="0-$((n - 1))" --cpus-per-task="$threads" \
  --job-name=seqflow-shard --output="seqflow-shard-%a.log" \
  --wrap="$seqflow run '$pipeline' --shard \$SLURM_ARRAY_TASK_ID/$n --shard-by bytes --threads $threads --no-progress")
merges=""
for output in "$@"; do merges+="$seqflow merge '$output' && "; done
sbatch "${extra[@]}" --dependency="afterok:$array" --job-name=seqflow-merge --output=seqflow-merge.log \
  --wrap="${merges}true"
