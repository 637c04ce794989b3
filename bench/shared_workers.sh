#!/usr/bin/env bash
# 1 against 2 workers of one shared run (ferry run --join) on the reference workload: PG -> PG
# lineitem from the bench servers (../shared/bench: source 5433, destination 5434), alternating
# A (1 worker) and B (2 workers), RUNS times each, each run into a fresh destination database
# dropped afterwards. Prints wall seconds and the workers' CPU seconds (user + sys, summed), and
# the medians. Every worker runs with the same settings (what adding a host adds).
#   RUNS=3 TABLE=lineitem WORKER_ARGS="--readers 2 --writers 2" bash bench/shared_workers.sh
set -euo pipefail
FERRY="${FERRY_BIN:-$(dirname "$0")/../build/tools/ferry}"
RUNS="${RUNS:-3}"
TABLE="${TABLE:-lineitem}"
WORKER_ARGS="${WORKER_ARGS:---readers 2 --writers 2}"
SRC="postgresql://bench@127.0.0.1:5433/bench"
export FERRY_SOURCE_PASSWORD=bench FERRY_DEST_PASSWORD=bench PGPASSWORD=bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

one() {  # one measurement: $1 workers; prints "workers wall cpu"
  local n=$1 db="shared_bench_$$_$RANDOM"
  psql -h 127.0.0.1 -p 5434 -U bench -d postgres -qc "CREATE DATABASE $db"
  local start end pids=() cpu=0
  start=$(date +%s.%N)
  for ((i = 0; i < n; i++)); do
    /usr/bin/time -f "%U %S" -o "$tmp/time.$i" "$FERRY" run --source "$SRC" \
      --dest "postgresql://bench@127.0.0.1:5434/$db" --include "$TABLE" --join bench \
      --shard "$i/$n" $WORKER_ARGS -q > "$tmp/out.$i" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || { cat "$tmp"/out.*; exit 1; }; done
  end=$(date +%s.%N)
  for ((i = 0; i < n; i++)); do cpu=$(awk -v c="$cpu" '{print c + $1 + $2}' "$tmp/time.$i"); done
  psql -h 127.0.0.1 -p 5434 -U bench -d postgres -qc "DROP DATABASE $db"
  echo "$n $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b - a}') $cpu"
}

median() { sort -n | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

: > "$tmp/results"
for ((r = 1; r <= RUNS; r++)); do
  one 1 | tee -a "$tmp/results"
  one 2 | tee -a "$tmp/results"
done
for n in 1 2; do
  wall=$(awk -v n=$n '$1 == n {print $2}' "$tmp/results" | median)
  cpu=$(awk -v n=$n '$1 == n {print $3}' "$tmp/results" | median)
  echo "median, $n worker(s): ${wall} s wall, ${cpu} s CPU (ferry processes)"
done
