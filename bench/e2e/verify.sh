#!/usr/bin/env bash
# Times `ferry verify` against the copy it proves (issue 6: verify of the reference workload takes
# no longer than copying it). Per run: a fresh destination database, `ferry run` timed, then
# `ferry verify` with the same arguments timed: first right after the copy with the servers
# hashing (as a DBA would run it: its reads also set the new rows' hint bits), then with ferry
# hashing, then with the servers hashing again.
# PostgreSQL to PostgreSQL (all four tables), then MariaDB to MariaDB (lineitem).
#
#   bash bench/e2e/verify.sh                       # the servers of bench/e2e/servers.sh
#   BENCH_PG_SRC_PORT=5433 BENCH_PG_DST_PORT=5434 BENCH_MARIADB_PORT=3306 bash bench/e2e/verify.sh
#
# RUNS (default 3), SECTIONS ("pg mariadb"), FERRY_BIN (build/tools/ferry), LOCK (a file taken
# with flock -x around each timed command, for machines shared with builds; default none).
# Prints one line per timed command and a min/median summary; the verify reports go to $OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/e2e/common.sh

RUNS=${RUNS:-3}
SECTIONS=${SECTIONS:-pg mariadb}
FERRY_BIN=${FERRY_BIN:-build/tools/ferry}
export OUT=${OUT:-/var/tmp/ferry-verify-bench}
LOCK=${LOCK:-}
DB=ferry_verify_bench
mkdir -p "$OUT"
[ -x "$FERRY_BIN" ] || die "no ferry at $FERRY_BIN (build it, or set FERRY_BIN)"
export FERRY_SOURCE_PASSWORD=$BENCH_PASSWORD FERRY_DEST_PASSWORD=$BENCH_PASSWORD
RESULTS=$OUT/results.tsv
: >"$RESULTS"

pg_section() {
  local src="postgresql://bench@127.0.0.1:$BENCH_PG_SRC_PORT/bench"
  local dst="postgresql://bench@127.0.0.1:$BENCH_PG_DST_PORT/$DB"
  for run in $(seq "$RUNS"); do
    step "PostgreSQL run $run"
    $PSQL_DST -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
    timed "pg copy" "$FERRY_BIN" run --quiet --source "$src" --dest "$dst"
    for path in server client server-again; do
      timed "pg verify --hash $path" "$FERRY_BIN" verify --json --hash "${path%-again}" \
        --source "$src" --dest "$dst"
      cp "$OUT/last.log" "$OUT/pg-verify-$path-$run.json"
    done
  done
  $PSQL_DST -d postgres -c "DROP DATABASE IF EXISTS $DB"
}

mariadb_section() {
  local src="mysql://bench@127.0.0.1:$BENCH_MARIADB_PORT/src"
  local dst="mysql://bench@127.0.0.1:$BENCH_MARIADB_PORT/$DB"
  for run in $(seq "$RUNS"); do
    step "MariaDB run $run"
    $MARIADB -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
    timed "mariadb copy lineitem" "$FERRY_BIN" run --quiet --include lineitem --source "$src" \
      --dest "$dst"
    for path in server client server-again; do
      timed "mariadb verify lineitem --hash $path" "$FERRY_BIN" verify --json \
        --hash "${path%-again}" --include lineitem --source "$src" --dest "$dst"
      cp "$OUT/last.log" "$OUT/mariadb-verify-$path-$run.json"
    done
  done
  $MARIADB -e "DROP DATABASE IF EXISTS $DB"
}

for section in $SECTIONS; do
  case $section in
    pg) pg_section ;;
    mariadb) mariadb_section ;;
    *) die "unknown section $section (pg, mariadb)" ;;
  esac
done

echo
echo "seconds, min / median of $RUNS:"
print_timings
