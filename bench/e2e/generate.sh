#!/usr/bin/env bash
# Builds the reference workload: generates it in the PostgreSQL source (deterministic, so every
# run makes the same rows), then loads the same rows into MariaDB (`src`) and a SQLite file.
#
# Env: LINEITEM_ROWS (6000000)  WIDE_ROWS (1000000)  SMALL_ROWS (100000: the composite-key and
#      keyless tables)  LINEITEM_1M_ROWS (LINEITEM_ROWS / 6: the smaller lineitem, database
#      bench_1m, that ferry's peak memory is compared on)  ONLY ("pg mariadb sqlite")
# Needs `servers.sh start` first. Default sizes take about 6 minutes on 2 cores.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/common.sh"
SQL=$HERE/sql

LINEITEM_ROWS=${LINEITEM_ROWS:-6000000}
WIDE_ROWS=${WIDE_ROWS:-1000000}
SMALL_ROWS=${SMALL_ROWS:-100000}
LINEITEM_1M_ROWS=${LINEITEM_1M_ROWS:-$((LINEITEM_ROWS / 6))}
ONLY=${ONLY:-pg mariadb sqlite}
TABLES="lineitem wide_events order_lines_cpk audit_log_nopk"
SCRATCH=$BENCH_ROOT/scratch
# psql prints only warnings and errors (no "does not exist, skipping" notices).
export PGOPTIONS="-c client_min_messages=warning"

wants() { [[ " $ONLY " == *" $1 "* ]]; }
started=$(date +%s)

# Two sessions each generate half of a table: generation is CPU-bound in the backend.
generate_halves() {  # sql-file rows
  local half=$(( ($2 + 1) / 2 ))
  $PSQL_SRC -v lo=1 -v hi="$half" -f "$SQL/$1" &
  local first=$!
  $PSQL_SRC -v lo=$((half + 1)) -v hi="$2" -f "$SQL/$1" &
  local second=$!
  wait "$first"
  wait "$second"
}

if wants pg; then
  pg_isready -q -h 127.0.0.1 -p "$BENCH_PG_SRC_PORT" || die "PostgreSQL source is down: run servers.sh start"
  step "PostgreSQL: tables in database bench"
  $PSQL_SRC -f "$SQL/pg-schema.sql" 2>/dev/null
  step "PostgreSQL: lineitem, $LINEITEM_ROWS rows"
  generate_halves pg-generate-lineitem.sql "$LINEITEM_ROWS"
  step "PostgreSQL: wide_events, $WIDE_ROWS rows"
  generate_halves pg-generate-wide.sql "$WIDE_ROWS"
  step "PostgreSQL: order_lines_cpk and audit_log_nopk, $SMALL_ROWS rows each"
  $PSQL_SRC -v rows="$SMALL_ROWS" -f "$SQL/pg-generate-small.sql"
  step "PostgreSQL: primary keys, VACUUM FREEZE ANALYZE"
  $PSQL_SRC -f "$SQL/pg-keys.sql"

  # The same table with fewer rows, in a database of its own so "all tables" stays four:
  # ferry's peak memory must not grow with the table (issue 3: the same ±10 % at 1M and 6M).
  step "PostgreSQL: database bench_1m with the first $LINEITEM_1M_ROWS lineitem rows"
  $PSQL_SRC -d postgres -c 'DROP DATABASE IF EXISTS bench_1m' -c 'CREATE DATABASE bench_1m'
  PSQL_1M="${PSQL_SRC/-d bench/-d bench_1m}"
  $PSQL_1M -f <(sed -n '/^CREATE TABLE lineitem/,/^);/p' "$SQL/pg-schema.sql")
  $PSQL_SRC -c "COPY (SELECT * FROM lineitem WHERE l_id <= $LINEITEM_1M_ROWS ORDER BY l_id) TO STDOUT (FORMAT binary)" |
    $PSQL_1M -c 'COPY lineitem FROM STDIN (FORMAT binary)'
  $PSQL_1M -c 'ALTER TABLE lineitem ADD PRIMARY KEY (l_id)' -c 'VACUUM (FREEZE, ANALYZE) lineitem'
fi

# What MariaDB and SQLite load, read from the PostgreSQL source: timestamptz as its UTC wall
# clock and booleans as 0/1, which both take as they are.
declare -A EXPORT=(
  [lineitem]="SELECT * FROM lineitem ORDER BY l_id"
  [wide_events]="SELECT id, event_uuid, created_at AT TIME ZONE 'UTC', user_id, kind, payload, attrs, score, note, flag::int FROM wide_events ORDER BY id"
  [order_lines_cpk]="SELECT * FROM order_lines_cpk ORDER BY tenant_id, order_id, line_no"
  [audit_log_nopk]="SELECT ts AT TIME ZONE 'UTC', host, level, msg, value FROM audit_log_nopk"
)
mkdir -p "$SCRATCH"

if wants mariadb; then
  mariadb-admin --socket="$MARIADB_SOCKET" ping >/dev/null 2>&1 || die "MariaDB is down: run servers.sh start"
  step "MariaDB: tables in database src"
  $MARIADB src <"$SQL/mariadb-schema.sql"
  for t in $TABLES; do
    f=$SCRATCH/$t.txt
    $PSQL_SRC -c "\\copy (${EXPORT[$t]}) TO '$f'"
    step "MariaDB: LOAD DATA LOCAL $t ($(du -h "$f" | cut -f1))"
    # PostgreSQL's text COPY format is LOAD DATA's default: tabs, backslash escapes, \N for NULL.
    # A warning means a value was changed on the way in, so it fails the load.
    warnings=$($MARIADB --local-infile=1 -N src -e "SET unique_checks = 0;
      LOAD DATA LOCAL INFILE '$f' INTO TABLE $t CHARACTER SET utf8mb4; SELECT @@warning_count;")
    rm -f "$f"
    [[ $warnings == 0 ]] || die "MariaDB changed $warnings values of $t while loading it"
  done
  $MARIADB src -e "ANALYZE TABLE lineitem, wide_events, order_lines_cpk, audit_log_nopk" >/dev/null
fi

if wants sqlite; then
  mkdir -p "$(dirname "$BENCH_SQLITE")"
  step "SQLite: $BENCH_SQLITE"
  rm -f "$BENCH_SQLITE"
  sqlite3 "$BENCH_SQLITE" <"$SQL/sqlite-schema.sql"
  for t in $TABLES; do
    f=$SCRATCH/$t.csv
    $PSQL_SRC -c "\\copy (${EXPORT[$t]}) TO '$f' WITH (FORMAT csv)"
    step "SQLite: import $t ($(du -h "$f" | cut -f1))"
    sqlite3 "$BENCH_SQLITE" >/dev/null <<SQLITE
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
.import --csv $f $t
SQLITE
    rm -f "$f"
  done
  # CSV has no NULL: the import wrote '' where PostgreSQL had NULL (no non-NULL value is '').
  sqlite3 "$BENCH_SQLITE" <<'SQLITE'
UPDATE wide_events SET user_id = NULLIF(user_id, ''), attrs = NULLIF(attrs, ''),
  score = NULLIF(score, ''), note = NULLIF(note, ''), flag = NULLIF(flag, '');
UPDATE audit_log_nopk SET value = NULLIF(value, '');
ANALYZE;
SQLITE
  chmod 644 "$BENCH_SQLITE"
fi

step "Row counts"
for t in $TABLES; do
  line="  $t: postgresql $($PSQL_SRC -Atc "SELECT count(*) FROM $t")"
  wants mariadb && line+=", mariadb $($MARIADB -N src -e "SELECT count(*) FROM $t")"
  wants sqlite && line+=", sqlite $(sqlite3 "$BENCH_SQLITE" "SELECT count(*) FROM $t")"
  echo "$line"
done
step "workload ready in $(( $(date +%s) - started )) s"
