#!/bin/bash
# ferry as a Slurm job array: one worker of the shared run $FERRY_RUN per array task, each
# taking its own share of the units first (--shard INDEX/COUNT), then others' leftovers.
# Submit with the ends and the passwords in the environment (sbatch passes it on):
#   FERRY_SOURCE=postgresql://ferry@src/shop FERRY_DEST=postgresql://ferry@dst/shop \
#   FERRY_SOURCE_PASSWORD=... FERRY_DEST_PASSWORD=... sbatch deploy/slurm/ferry-array.sh
# A task that fails is requeued (--requeue); it joins the run again and takes what is left.
#SBATCH --job-name=ferry-copy
#SBATCH --array=0-3
#SBATCH --cpus-per-task=4
#SBATCH --mem=1G
#SBATCH --requeue
#SBATCH --output=ferry-%A-%a.log
set -euo pipefail
: "${FERRY_SOURCE:?set FERRY_SOURCE to the source URL}"
: "${FERRY_DEST:?set FERRY_DEST to the destination URL}"
index="${SLURM_ARRAY_TASK_ID:?run this as a Slurm array task}"
count="${SLURM_ARRAY_TASK_COUNT:-4}"
# One name per copy: every task of the array joins the same run.
run="${FERRY_RUN:-copy-${SLURM_ARRAY_JOB_ID:-manual}}"
# Three quarters of the task's memory for the batch pool (SLURM_MEM_PER_NODE is in MiB).
memory_mib="${SLURM_MEM_PER_NODE:-1024}"
exec "${FERRY:-ferry}" run --join "$run" --shard "$index/$count" --lease 30s \
  --readers 2 --writers 2 --memory-limit "$((memory_mib * 1048576 * 3 / 4))" "$@"
