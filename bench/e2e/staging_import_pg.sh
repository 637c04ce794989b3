#!/usr/bin/env bash
# PostgreSQL import of lineitem from a staging directory (ferry run --source dir:) against
# `pg_restore -j 2` of a `pg_dump -Fd -j 2 -t lineitem` directory and against a direct
# PostgreSQL -> PostgreSQL ferry copy, in one run on one machine: the files are made once, then
# each run loads lineitem three ways into fresh databases of the destination cluster, the order
# rotating from run to run (A B C, B C A, C A B); with wall time, the tool's user+sys CPU, the
# destination server's CPU over the same seconds (its postmaster's own and reaped children's,
# and its live children's), the whole machine's busy CPU and the tool's peak RSS.
# Needs the bench servers (../shared/bench: PostgreSQL src on 127.0.0.1:5433 with bench.lineitem,
# dst on 127.0.0.1:5434).
#
# Env: RUNS (3)  OUT (/var/tmp/ferry-staging-pg)  FERRY_BIN (<repo>/build/tools/ferry)
#      FERRY_ARGS (extra flags for every ferry run)  KEEP_FILES=1 keeps the export and the dump
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
OUT=${OUT:-/var/tmp/ferry-staging-pg}
FERRY_BIN=$(readlink -f "${FERRY_BIN:-$HERE/../../build/tools/ferry}")
FERRY_ARGS=${FERRY_ARGS:-}
SRC_PORT=${BENCH_PG_SRC_PORT:-5433}
DST_PORT=${BENCH_PG_DST_PORT:-5434}
SRC_URL="postgresql://bench@127.0.0.1:$SRC_PORT/bench"
export PGPASSWORD=${PGPASSWORD:-bench} PGUSER=bench PGHOST=127.0.0.1
export FERRY_SOURCE_PASSWORD=$PGPASSWORD FERRY_DEST_PASSWORD=$PGPASSWORD
# Databases of this script's own on the destination cluster, dropped at the end.
DBS="ferry_stage_pgimp ferry_stage_pgrestore ferry_stage_pgdirect"
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
: >"$RESULTS"
step() { echo "[$(date +%T)] $*" >&2; }
dst_sql() { psql -p "$DST_PORT" -d postgres -qAtc "$1"; }
drop_all() { for db in $DBS; do dst_sql "DROP DATABASE IF EXISTS $db" || true; done; }
trap drop_all EXIT

ROWS=$(psql -p "$SRC_PORT" -d bench -qAtc 'SELECT count(*) FROM lineitem')
POSTMASTER=$(head -1 "$(psql -p "$DST_PORT" -d postgres -qAtc 'SHOW data_directory')/postmaster.pid")
TICKS=$(getconf CLK_TCK)

machine() { awk '/^cpu / {b=$2+$3+$4+$7+$8+$9; print b, b+$5+$6}' /proc/stat; }
# The destination server's jiffies: the postmaster's own and its reaped children's, and those of
# its children alive now (the backends of a finished load are reaped, and so counted, by then).
server_cpu() {
  local total
  total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$POSTMASTER/stat")
  for p in $(pgrep -P "$POSTMASTER"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# timed LABEL COMMAND...: label, wall s, tool cpu s, server cpu s, machine busy %, peak RSS KiB.
timed() {
  local label=$1
  shift
  local m0 m1 s0 s1
  read -r -a m0 < <(machine)
  s0=$(server_cpu)
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" "$@" >"$OUT/$label.log" 2>&1 ||
    { tail -5 "$OUT/$label.log" >&2; step "$label failed"; exit 1; }
  sleep 1 # the postmaster reaps the load's backends
  s1=$(server_cpu)
  read -r -a m1 < <(machine)
  local wall user sys rss
  read -r wall user sys rss <"$OUT/time.txt"
  local busy=$(((m1[0] - m0[0]) * 100 * $(nproc) / (m1[1] - m0[1] + 1)))
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" \
    "$(echo "scale=2; ($s1 - $s0) / $TICKS" | bc)" "$busy" "$rss" | tee -a "$RESULTS" >&2
}
fresh() { dst_sql "DROP DATABASE IF EXISTS $1" && dst_sql "CREATE DATABASE $1"; }
count() {
  [ "$(psql -p "$DST_PORT" -d "$1" -qAtc 'SELECT count(*) FROM lineitem')" = "$ROWS" ] ||
    { step "$1.lineitem does not hold $ROWS rows"; exit 1; }
  dst_sql "DROP DATABASE $1"
}

import_ferry() {
  fresh ferry_stage_pgimp
  timed ferry-import "$FERRY_BIN" run -q --source "dir:$OUT/stage" \
    --dest "postgresql://bench@127.0.0.1:$DST_PORT/ferry_stage_pgimp" $FERRY_ARGS
  count ferry_stage_pgimp
}
restore_pg() {
  fresh ferry_stage_pgrestore
  timed pg_restore pg_restore -j 2 -O -x -p "$DST_PORT" -d ferry_stage_pgrestore "$OUT/dump"
  count ferry_stage_pgrestore
}
direct_ferry() {
  fresh ferry_stage_pgdirect
  timed ferry-direct "$FERRY_BIN" run -q --include lineitem --source "$SRC_URL" \
    --dest "postgresql://bench@127.0.0.1:$DST_PORT/ferry_stage_pgdirect" $FERRY_ARGS
  count ferry_stage_pgdirect
}

step "lineitem: $ROWS rows; destination postmaster $POSTMASTER; load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -f "$OUT/stage/manifest.json" ]; then
  rm -rf "$OUT/stage"
  timed ferry-export "$FERRY_BIN" run -q --include lineitem --source "$SRC_URL" \
    --dest "dir:$OUT/stage" $FERRY_ARGS
fi
if [ ! -f "$OUT/dump/toc.dat" ]; then
  rm -rf "$OUT/dump"
  timed pg_dump pg_dump -Fd -j 2 -t lineitem -p "$SRC_PORT" -d bench -f "$OUT/dump"
fi
printf 'ferry-bytes\t%s\npg_dump-bytes\t%s\n' "$(du -sb "$OUT/stage" | cut -f1)" \
  "$(du -sb "$OUT/dump" | cut -f1)" >>"$RESULTS"
loads=(import_ferry restore_pg direct_ferry)
for ((i = 0; i < RUNS; i++)); do
  step "run $((i + 1)) of $RUNS"
  for ((k = 0; k < 3; k++)); do "${loads[$(((i + k) % 3))]}"; done
done
[ "${KEEP_FILES:-0}" = 1 ] || rm -rf "$OUT/stage" "$OUT/dump"

python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
def med(label, col):
    v = [float(r[col]) for r in rows if r[0] == label]
    return statistics.median(v) if v else float("nan")
def runs(label):
    return " ".join(r[1] for r in rows if r[0] == label)
print(f"{'':13} {'wall s':>7} {'tool cpu':>8} {'server cpu':>10} {'machine %':>9} {'rss MiB':>7}  runs")
for label in ("ferry-import", "pg_restore", "ferry-direct"):
    print(f"{label:13} {med(label,1):7.1f} {med(label,2):8.1f} {med(label,3):10.1f} "
          f"{med(label,4):9.0f} {med(label,5)/1024:7.0f}  {runs(label)}")
print(f"files: ferry {med('ferry-bytes',1)/1e6:.1f} MB, pg_dump {med('pg_dump-bytes',1)/1e6:.1f} MB")
imp, rest, direct = med("ferry-import", 1), med("pg_restore", 1), med("ferry-direct", 1)
print(f"pg_restore / ferry import = {rest/imp:.2f}x; ferry import / direct = {imp/direct:.3f} "
      f"({100*(imp/direct-1):+.1f} %)")
PY
