#!/usr/bin/env bash
# A staging export and import of many small units, timed through the CLI: how ferry's own work
# grows with the number of units (issue 15: an import's start was O(units^2)). A SQLite source of
# TABLES tables of ROWS rows each is exported with --partitions PARTS into a directory under
# /dev/shm, then imported into a fresh SQLite file; no server is involved. Prints the units and
# the wall and CPU seconds (user + sys) of the export, of the import, and of the import's start
# (`ferry check`, which plans and asks the directory for every unit, as a run does before it
# writes). Compare UNITS=2000 with UNITS=20000: per unit, the times should not grow.
#   TABLES=10 PARTS=200 bash bench/staging_units.sh        # 2,000 units
#   TABLES=100 PARTS=200 bash bench/staging_units.sh       # 20,000 units
#   TABLES=2000 PARTS=1 ROWS=10 bash bench/staging_units.sh   # 2,000 tables of one unit
set -euo pipefail
FERRY="${FERRY_BIN:-$(dirname "$0")/../build/tools/ferry}"
TABLES="${TABLES:-10}"
PARTS="${PARTS:-200}"
ROWS="${ROWS:-1000}"
PERF="${PERF:-}"  # a command to run the import under ("perf record -g -o /tmp/import.data")
base=/dev/shm
[[ -d $base ]] || base=${TMPDIR:-/tmp}
tmp=$(mktemp -d "$base/ferry-staging-units.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

{
  echo "BEGIN;"
  for ((t = 0; t < TABLES; t++)); do
    echo "CREATE TABLE t$t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);"
    echo "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $ROWS)"
    echo "  INSERT INTO t$t SELECT i, 'row ' || i FROM n;"
  done
  echo "COMMIT;"
} | sqlite3 "$tmp/source.db"

timed() {  # $1: what; the rest: the command. Prints "what wall cpu".
  local what=$1
  shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$tmp/time" "$@" > "$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
  end=$(date +%s.%N)
  awk -v w="$what" -v a="$start" -v b="$end" '{printf "%-8s wall %7.2f s  cpu %7.2f s\n", w, b - a, $1 + $2}' \
    "$tmp/time"
}

timed export "$FERRY" run --source "sqlite:$tmp/source.db" --dest "dir:$tmp/stage" \
  --partitions "$PARTS" -q
units=$(jq '[.tables[].units | length] | add' "$tmp/stage/manifest.json")
echo "units    $units ($TABLES tables, --partitions $PARTS, $ROWS rows each)"
timed check "$FERRY" check --source "dir:$tmp/stage" --dest "sqlite:$tmp/dest.db"
# shellcheck disable=SC2086
timed import $PERF "$FERRY" run --source "dir:$tmp/stage" --dest "sqlite:$tmp/dest.db" -q
