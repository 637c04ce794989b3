#!/usr/bin/env bash
# Measures each reference path's physical floor and ferry on the same path, alternating, in one
# run (issue 18): the floor is the fastest pipeline a DBA can build by hand from the servers' own
# tools (one and two streams; text, CSV or binary), plus, timed apart, building the primary key
# on the loaded table. Prints ferry as a share of the floor (summarize.py), next to the peers
# when compare.sh's results are given too.
#
#   bash bench/e2e/floors.sh                     # the servers of servers.sh, the workload of generate.sh
#   BENCH_PG_SRC_PORT=5433 BENCH_PG_DST_PORT=5434 BENCH_MARIADB_PORT=3306 \
#     BENCH_SQLITE=/var/tmp/bench-data/bench.sqlite bash bench/e2e/floors.sh   # ../shared/bench's
#
# Env: RUNS (3)  PATHS ("pg-pg pg-pg-all mariadb-mariadb sqlite-pg mariadb-pg")  OUT (/var/tmp/ferry-floors)
#      FERRY_BIN (<repo>/build/tools/ferry)  FERRY_ARGS (extra flags)  FERRY=0 measures floors only
#      PG_DB (floors: the destination database, made fresh for every run)  MARIADB_SRC (src)
#      MARIADB_DB (floors: the MariaDB destination database)  APPEND=1 keeps old results
# Each of the RUNS rounds measures, path by path, every floor pipeline and then ferry, so a
# machine that slows down or speeds up does so for both; summarize.py takes medians.
#
# The pipelines, per path (the table is lineitem; "2" = two streams over the halves of the key):
#   pg-pg            psql COPY TO STDOUT | psql COPY FROM STDIN, binary-1/2 and text-1/2
#   mariadb-pg       mariadb --batch SELECT | psql COPY FROM STDIN (text), text-1/2
#   sqlite-pg        sqlite3 -csv SELECT | psql COPY (FORMAT csv), csv-1/2; sqlite3 -tabs: tabs-1
#   to PostgreSQL    key-build: ALTER TABLE ... ADD PRIMARY KEY on the loaded table (path to-pg)
#   pg-pg-all        the whole database (all four tables, recorded as path pg-pg, table
#                    all-4-tables): per table a binary COPY pipe, then its ADD PRIMARY KEY, the
#                    tables dealt by size to two lanes that run side by side (binary-keys-2), or
#                    one after the other (binary-keys-1); ferry copies the whole database
#   mariadb-mariadb  SELECT ... INTO OUTFILE, then LOAD DATA INFILE: outfile-infile-1 (into the
#                    keyed table); mariadb --batch SELECT | LOAD DATA LOCAL INFILE '/dev/stdin':
#                    pipe-1/2 into the keyed table, pipe-1-keyless into one without a key, and
#                    key-build: ALTER TABLE ... ADD PRIMARY KEY on that (InnoDB clusters rows by
#                    the key, so loading in key order into the keyed table may well be the floor)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/common.sh"
source "$HERE/measure.sh"

RUNS=${RUNS:-3}
PATHS=${PATHS:-pg-pg pg-pg-all mariadb-mariadb sqlite-pg mariadb-pg}
OUT=${OUT:-/var/tmp/ferry-floors}
FERRY_BIN=${FERRY_BIN:-$HERE/../../build/tools/ferry}
FERRY_ARGS=${FERRY_ARGS:-}
FERRY=${FERRY:-1}
PG_DB=${PG_DB:-floors}
MARIADB_SRC=${MARIADB_SRC:-src}
MARIADB_DB=${MARIADB_DB:-floors}
SCRATCH=$BENCH_ROOT/scratch
RESULTS=$OUT/results.tsv
LOGS=$OUT/logs
CORES=$(nproc)
export PGOPTIONS="-c client_min_messages=warning"

for path in $PATHS; do
  case $path in
    pg-pg | pg-pg-all | mariadb-pg | sqlite-pg | mariadb-mariadb) ;;
    *) die "unknown path '$path' (pg-pg pg-pg-all mariadb-mariadb sqlite-pg mariadb-pg)" ;;
  esac
done
pg_isready -q -h 127.0.0.1 -p "$BENCH_PG_SRC_PORT" || die "PostgreSQL source is down: run servers.sh start"
pg_isready -q -h 127.0.0.1 -p "$BENCH_PG_DST_PORT" || die "PostgreSQL destination is down: run servers.sh start"
$MARIADB -e 'SELECT 1' >/dev/null 2>&1 || die "MariaDB is down: run servers.sh start"
[[ -f $BENCH_SQLITE ]] || die "no $BENCH_SQLITE: run generate.sh"
[[ -x /usr/bin/time ]] || die "GNU time is missing: servers.sh start installs it (package time)"
if ((FERRY)); then
  [[ -x $FERRY_BIN ]] || die "no ferry binary at $FERRY_BIN: build it (cmake --build build) or set FERRY_BIN"
  FERRY_BIN=$(readlink -f "$FERRY_BIN")
fi
# INTO OUTFILE writes as the server's user into a file that must not exist yet.
SCRATCH_FILE=/var/tmp/ferry-floors-$$.txt
trap 'rm -f "$SCRATCH_FILE"' EXIT

mkdir -p "$OUT" "$LOGS" "$SCRATCH"
if [[ -f $RESULTS && ${APPEND:-0} != 1 ]]; then
  mv "$RESULTS" "$OUT/results-$(date -r "$RESULTS" +%Y%m%d-%H%M%S).tsv"
fi
[[ -f $RESULTS ]] || printf '%s\n' "$RESULTS_HEADER" >"$RESULTS"

declare -A ROWS BYTES
ROWS[lineitem]=$($PSQL_SRC -Atc 'SELECT count(*) FROM lineitem')
BYTES[lineitem]=$($PSQL_SRC -Atc "SELECT pg_table_size('lineitem')")
[[ ${ROWS[lineitem]} == $($MARIADB -N "$MARIADB_SRC" -e 'SELECT count(*) FROM lineitem') ]] ||
  die "MariaDB's lineitem differs from PostgreSQL's: run generate.sh"
[[ ${ROWS[lineitem]} == $(sqlite3 "$BENCH_SQLITE" 'SELECT count(*) FROM lineitem') ]] ||
  die "SQLite's lineitem differs from PostgreSQL's: run generate.sh"
HALF=$($PSQL_SRC -Atc 'SELECT (min(l_id) + max(l_id)) / 2 FROM lineitem')
# The whole database: its four tables, largest first, with their primary keys as the source has
# them ("" for the keyless one).
ALL_TABLES=(lineitem wide_events order_lines_cpk audit_log_nopk)
declare -A KEY_SQL
ROWS[all-4-tables]=0
BYTES[all-4-tables]=0
for t in "${ALL_TABLES[@]}"; do
  ROWS[all-4-tables]=$((ROWS[all-4-tables] + $($PSQL_SRC -Atc "SELECT count(*) FROM $t")))
  BYTES[$t]=$($PSQL_SRC -Atc "SELECT pg_table_size('$t')")
  BYTES[all-4-tables]=$((BYTES[all-4-tables] + BYTES[$t]))
  KEY_SQL[$t]=$($PSQL_SRC -Atc "SELECT 'ALTER TABLE $t ADD ' || pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid = '$t'::regclass AND contype = 'p'")
done
mapfile -t ALL_TABLES < <(for t in "${ALL_TABLES[@]}"; do echo "${BYTES[$t]} $t"; done | sort -rn | cut -d' ' -f2)
{
  echo "date: $(date -Is)"
  echo "host: $(uname -n), $CORES cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "paths: $PATHS; runs: $RUNS; lineitem: ${ROWS[lineitem]} rows, ${BYTES[lineitem]} bytes"
  echo "postgresql: $($PSQL_SRC -Atc 'SHOW server_version'); mariadb: $($MARIADB -N -e 'SELECT version()'); sqlite: $(sqlite3 --version | cut -d' ' -f1)"
  if ((FERRY)); then
    echo "ferry: $FERRY_BIN $FERRY_ARGS ($(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  fi
} >"$OUT/machine-floors.txt"
step "floors and ferry, lineitem ${ROWS[lineitem]} rows, $RUNS rounds; results in $RESULTS"

# ------------------------------------------------------------------------------- the pipelines
COLUMNS_OF_LINEITEM=$($PSQL_SRC -Atc "SELECT string_agg(attname, ', ' ORDER BY attnum) FROM pg_attribute
  WHERE attrelid = 'lineitem'::regclass AND attnum > 0 AND NOT attisdropped")
PG_TO="$PSQL_DST -d $PG_DB"
COUNT_PG=$(count_pg "$PG_DB" lineitem)
FRESH_PG=$(fresh_pg "$PG_DB" with-tables)
MDB="$MARIADB $MARIADB_DB"
COUNT_MARIADB="$MARIADB -N -e 'SELECT count(*) FROM $MARIADB_DB.lineitem'"
# The destination as a copy makes it: keyed (CREATE TABLE LIKE the source) or without the key.
fresh_mariadb() {  # keyed|keyless
  local cmd="$MARIADB -e 'DROP DATABASE IF EXISTS $MARIADB_DB; CREATE DATABASE $MARIADB_DB CHARACTER SET utf8mb4;
    CREATE TABLE $MARIADB_DB.lineitem LIKE $MARIADB_SRC.lineitem"
  [[ $1 == keyless ]] && cmd+="; ALTER TABLE $MARIADB_DB.lineitem DROP PRIMARY KEY"
  echo "$cmd'"
}
# WHERE clauses of the halves, and of the whole table, by stream count.
where_of() {  # 1|2 half(1|2)
  if (($1 == 1)); then echo ""; elif (($2 == 1)); then echo "WHERE l_id <= $HALF"; else echo "WHERE l_id > $HALF"; fi
}
# Runs the pipe built by "$1 WHERE-CLAUSE" once (1) or twice in parallel over the halves (2).
streams() {  # count builder
  if (($1 == 1)); then
    "$2" ""
  else
    echo "{ $("$2" "$(where_of 2 1)"); } & first=\$!; { $("$2" "$(where_of 2 2)"); } & second=\$!
          wait \$first && wait \$second"
  fi
}
pg_binary() { echo "$PSQL_SRC -c 'COPY (SELECT * FROM lineitem $1) TO STDOUT (FORMAT binary)' | $PG_TO -c 'COPY lineitem FROM STDIN (FORMAT binary)'"; }
pg_text() { echo "$PSQL_SRC -c 'COPY (SELECT * FROM lineitem $1) TO STDOUT' | $PG_TO -c 'COPY lineitem FROM STDIN'"; }
# --batch output escapes tab, newline and backslash as COPY text reads them back; lineitem has no
# NULLs (which --batch prints as NULL).
mariadb_to_pg() { echo "$MARIADB -N --batch --quick $MARIADB_SRC -e 'SELECT $COLUMNS_OF_LINEITEM FROM lineitem $1' | $PG_TO -c 'COPY lineitem FROM STDIN'"; }
sqlite_csv() { echo "sqlite3 -csv $BENCH_SQLITE 'SELECT $COLUMNS_OF_LINEITEM FROM lineitem $1' | $PG_TO -c 'COPY lineitem FROM STDIN (FORMAT csv)'"; }
# -tabs does not escape; lineitem's values hold no tab, newline or backslash.
sqlite_tabs() { echo "sqlite3 -tabs $BENCH_SQLITE 'SELECT $COLUMNS_OF_LINEITEM FROM lineitem $1' | $PG_TO -c 'COPY lineitem FROM STDIN'"; }
mariadb_pipe() { echo "$MARIADB -N --batch --quick $MARIADB_SRC -e 'SELECT * FROM lineitem $1' | $MDB --local-infile=1 -e \"LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE lineitem\""; }
OUTFILE_INFILE="$MARIADB $MARIADB_SRC -e \"SELECT * FROM lineitem INTO OUTFILE '$SCRATCH_FILE'\" &&
  $MDB -e \"LOAD DATA INFILE '$SCRATCH_FILE' INTO TABLE lineitem\"; rc=\$?; rm -f $SCRATCH_FILE; exit \$rc"

# The whole database by hand: each table's binary pipe and then its key, the tables dealt by
# size to N lanes (each to the lane with the fewest bytes so far) that run side by side.
pg_table_with_key() {
  local cmd="$PSQL_SRC -c 'COPY $1 TO STDOUT (FORMAT binary)' | $PG_TO -c 'COPY $1 FROM STDIN (FORMAT binary)'"
  [[ -n ${KEY_SQL[$1]} ]] && cmd+=" && $PG_TO -c '${KEY_SQL[$1]}'"
  echo "$cmd"
}
pg_all_lanes() {  # lanes
  local -a lane_cmd lane_bytes
  local i t best
  for ((i = 0; i < $1; i++)); do lane_cmd[i]=true; lane_bytes[i]=0; done
  for t in "${ALL_TABLES[@]}"; do
    best=0
    for ((i = 1; i < $1; i++)); do ((lane_bytes[i] < lane_bytes[best])) && best=$i; done
    lane_cmd[best]+=" && $(pg_table_with_key "$t")"
    lane_bytes[best]=$((lane_bytes[best] + BYTES[$t]))
  done
  local cmd="" waits=""
  for ((i = 0; i < $1; i++)); do
    cmd+="{ ${lane_cmd[i]}; } & lane$i=\$!; "
    waits+="${waits:+ && }wait \$lane$i"
  done
  echo "$cmd$waits"
}
COUNT_PG_ALL=$(count_pg "$PG_DB" all-4-tables)

ferry_run() {  # run path dest-url prepare check
  ((FERRY)) || return 0
  local table=${6:-lineitem} scope="--include lineitem"
  [[ $table == all-4-tables ]] && scope=""
  measure_run "$1" ferry "$2" "$table" default "$4" \
    "FERRY_SOURCE_PASSWORD=$BENCH_PASSWORD FERRY_DEST_PASSWORD=$BENCH_PASSWORD $FERRY_BIN run \
      --source '$SOURCE_URL' --dest '$3' $scope $FERRY_ARGS" "$5"
}
PG_DEST_URL=postgresql://bench@127.0.0.1:$BENCH_PG_DST_PORT/$PG_DB
MARIADB_SRC_URL=mysql://bench@127.0.0.1:$BENCH_MARIADB_PORT/$MARIADB_SRC
MARIADB_DEST_URL=mysql://bench@127.0.0.1:$BENCH_MARIADB_PORT/$MARIADB_DB
FRESH_PG_EMPTY=$(fresh_pg "$PG_DB")

for run in $(seq "$RUNS"); do
  for path in $PATHS; do
    case $path in
      pg-pg)
        for n in 1 2; do
          measure_run "$run" floor pg-pg lineitem "binary-$n" "$FRESH_PG" "$(streams $n pg_binary)" "$COUNT_PG"
          measure_run "$run" floor pg-pg lineitem "text-$n" "$FRESH_PG" "$(streams $n pg_text)" "$COUNT_PG"
        done
        # The key build, on rows just loaded (their hint bits unset, as after any bulk load).
        measure_run "$run" floor to-pg lineitem key-build "$FRESH_PG && $(pg_binary "")" \
          "$PG_TO -c 'ALTER TABLE lineitem ADD PRIMARY KEY (l_id)'" ""
        SOURCE_URL=postgresql://bench@127.0.0.1:$BENCH_PG_SRC_PORT/bench
        ferry_run "$run" pg-pg "$PG_DEST_URL" "$FRESH_PG_EMPTY" "$COUNT_PG"
        ;;
      pg-pg-all)
        for n in 1 2; do
          measure_run "$run" floor pg-pg all-4-tables "binary-keys-$n" "$FRESH_PG" "$(pg_all_lanes $n)" "$COUNT_PG_ALL"
        done
        SOURCE_URL=postgresql://bench@127.0.0.1:$BENCH_PG_SRC_PORT/bench
        ferry_run "$run" pg-pg "$PG_DEST_URL" "$FRESH_PG_EMPTY" "$COUNT_PG_ALL" all-4-tables
        ;;
      mariadb-pg)
        for n in 1 2; do
          measure_run "$run" floor mariadb-pg lineitem "text-$n" "$FRESH_PG" "$(streams $n mariadb_to_pg)" "$COUNT_PG"
        done
        SOURCE_URL=$MARIADB_SRC_URL
        ferry_run "$run" mariadb-pg "$PG_DEST_URL" "$FRESH_PG_EMPTY" "$COUNT_PG"
        ;;
      sqlite-pg)
        for n in 1 2; do
          measure_run "$run" floor sqlite-pg lineitem "csv-$n" "$FRESH_PG" "$(streams $n sqlite_csv)" "$COUNT_PG"
        done
        measure_run "$run" floor sqlite-pg lineitem tabs-1 "$FRESH_PG" "$(sqlite_tabs "")" "$COUNT_PG"
        SOURCE_URL=sqlite:$BENCH_SQLITE
        ferry_run "$run" sqlite-pg "$PG_DEST_URL" "$FRESH_PG_EMPTY" "$COUNT_PG"
        ;;
      mariadb-mariadb)
        measure_run "$run" floor mariadb-mariadb lineitem outfile-infile-1 "$(fresh_mariadb keyed)" \
          "$OUTFILE_INFILE" "$COUNT_MARIADB"
        for n in 1 2; do
          measure_run "$run" floor mariadb-mariadb lineitem "pipe-$n" "$(fresh_mariadb keyed)" \
            "$(streams $n mariadb_pipe)" "$COUNT_MARIADB"
        done
        measure_run "$run" floor mariadb-mariadb lineitem pipe-1-keyless "$(fresh_mariadb keyless)" \
          "$(mariadb_pipe "")" "$COUNT_MARIADB"
        measure_run "$run" floor mariadb-mariadb lineitem key-build \
          "$(fresh_mariadb keyless) && $(mariadb_pipe "")" \
          "$MDB -e 'ALTER TABLE lineitem ADD PRIMARY KEY (l_id)'" ""
        SOURCE_URL=$MARIADB_SRC_URL
        ferry_run "$run" mariadb-mariadb "$MARIADB_DEST_URL" \
          "$MARIADB -e 'DROP DATABASE IF EXISTS $MARIADB_DB; CREATE DATABASE $MARIADB_DB CHARACTER SET utf8mb4'" \
          "$COUNT_MARIADB"
        ;;
    esac
  done
done

# The destinations are left empty for whoever benchmarks next.
$PSQL_DST -d postgres -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
$MARIADB -e "DROP DATABASE IF EXISTS $MARIADB_DB"
python3 "$HERE/summarize.py" "$RESULTS" | tee "$OUT/summary.txt"
