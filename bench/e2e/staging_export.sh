#!/usr/bin/env bash
# Export of lineitem from the bench PostgreSQL into a staging directory (ferry run --dest dir:)
# against `pg_dump -Fd -j 2 -t lineitem`, alternating the two, with wall time, user+sys CPU,
# peak RSS and the size of what each wrote; plus the staging disk's sequential write bandwidth
# (dd, direct I/O) measured in the same run. Needs the bench servers (../shared/bench).
#
# Env: RUNS (3)  OUT (/var/tmp/ferry-staging-bench)  FERRY_BIN (<repo>/build/tools/ferry)
#      PGURL (postgresql://bench@127.0.0.1:5433/bench)  FERRY_ARGS (extra flags for ferry)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
OUT=${OUT:-/var/tmp/ferry-staging-bench}
FERRY_BIN=${FERRY_BIN:-$HERE/../../build/tools/ferry}
PGURL=${PGURL:-postgresql://bench@127.0.0.1:5433/bench}
FERRY_ARGS=${FERRY_ARGS:-}
export PGPASSWORD=${PGPASSWORD:-bench} FERRY_SOURCE_PASSWORD=${FERRY_SOURCE_PASSWORD:-bench}
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
: >"$RESULTS"

# One timed command: label, then the command; appends label, seconds, cpu seconds, max RSS KB.
timed() {
  local label=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" "$@" >"$OUT/$label.log" 2>&1
  read -r wall user sys rss <"$OUT/time.txt"
  printf '%s\t%s\t%s\t%s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" "$rss" >>"$RESULTS"
}

for ((i = 1; i <= RUNS; i++)); do
  rm -rf "$OUT/stage" "$OUT/dump"
  sync
  timed ferry "$FERRY_BIN" run -q --include lineitem --source "$PGURL" --dest "dir:$OUT/stage" $FERRY_ARGS
  printf 'ferry-bytes\t%s\n' "$(du -sb "$OUT/stage" | cut -f1)" >>"$RESULTS"
  sync
  timed pg_dump pg_dump -Fd -j 2 -t lineitem -f "$OUT/dump" "${PGURL/postgresql:\/\/bench@/postgresql://bench@}"
  printf 'pg_dump-bytes\t%s\n' "$(du -sb "$OUT/dump" | cut -f1)" >>"$RESULTS"
done
# The disk's sequential write bandwidth, 1 GiB with direct I/O.
dd if=/dev/zero of="$OUT/dd.bin" bs=8M count=128 oflag=direct 2>"$OUT/dd.log"
rm -f "$OUT/dd.bin"
printf 'dd\t%s\n' "$(tail -1 "$OUT/dd.log")" >>"$RESULTS"
rm -rf "$OUT/stage" "$OUT/dump"

python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
def med(label, col):
    v = [float(r[col]) for r in rows if r[0] == label]
    return statistics.median(v) if v else float("nan")
for tool in ("ferry", "pg_dump"):
    print(f"{tool:8} wall {med(tool,1):7.1f} s  cpu {med(tool,2):7.1f} s  rss {med(tool,3)/1024:6.0f} MiB  "
          f"size {med(tool+'-bytes',1)/1e6:8.1f} MB")
for r in rows:
    if r[0] == "dd": print("dd:", r[1])
PY
