#!/usr/bin/env bash
# Times ferry against the peer tools on the reference workload, in one run on one machine, and
# prints the ratios issue 3's targets are stated in. Needs `servers.sh start` and `generate.sh`.
#
# Env: RUNS (3)  SECTIONS ("pipes pgcopydb pgloader mydumper ferry")  OUT (/var/tmp/ferry-bench-results)
#      FERRY_BIN (<repo>/build/tools/ferry)  FERRY_ARGS (extra flags for every ferry run)
#      PGCOPYDB_SPLIT (200MB: pgcopydb's --split-tables-larger-than)  APPEND=1 keeps old results
# Every run has an untimed prepare step (a fresh destination, CHECKPOINT) and an untimed check
# that the destination holds as many rows as the source: a tool that copies nothing fails.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/common.sh"
source "$HERE/measure.sh"

RUNS=${RUNS:-3}
SECTIONS=${SECTIONS:-pipes pgcopydb pgloader mydumper ferry}
OUT=${OUT:-/var/tmp/ferry-bench-results}
FERRY_BIN=${FERRY_BIN:-$HERE/../../build/tools/ferry}
FERRY_ARGS=${FERRY_ARGS:-}
PGCOPYDB_SPLIT=${PGCOPYDB_SPLIT:-200MB}
SCRATCH=$BENCH_ROOT/scratch
RESULTS=$OUT/results.tsv
LOGS=$OUT/logs
CORES=$(nproc)
export PGOPTIONS="-c client_min_messages=warning"

for section in $SECTIONS; do
  case $section in
    pipes | pgcopydb | pgloader | mydumper | ferry) ;;
    *) die "unknown section '$section' (pipes pgcopydb pgloader mydumper ferry)" ;;
  esac
done
wants() { [[ " $SECTIONS " == *" $1 "* ]]; }

# ------------------------------------------------------------------------------- preflight
pg_isready -q -h 127.0.0.1 -p "$BENCH_PG_SRC_PORT" || die "PostgreSQL source is down: run servers.sh start"
pg_isready -q -h 127.0.0.1 -p "$BENCH_PG_DST_PORT" || die "PostgreSQL destination is down: run servers.sh start"
$MARIADB -e 'SELECT 1' >/dev/null 2>&1 || die "MariaDB is down: run servers.sh start"
[[ -f $BENCH_SQLITE ]] || die "no $BENCH_SQLITE: run generate.sh"
[[ -x /usr/bin/time ]] || die "GNU time is missing: servers.sh start installs it (package time)"
if wants ferry; then
  [[ -x $FERRY_BIN ]] || die "no ferry binary at $FERRY_BIN: build it (cmake --build build) or set FERRY_BIN"
  FERRY_BIN=$(readlink -f "$FERRY_BIN")
fi

mkdir -p "$OUT" "$LOGS" "$SCRATCH"
if [[ -f $RESULTS && ${APPEND:-0} != 1 ]]; then
  # A summary compares runs made together; earlier results are kept beside, not mixed in.
  mv "$RESULTS" "$OUT/results-$(date -r "$RESULTS" +%Y%m%d-%H%M%S).tsv"
fi
[[ -f $RESULTS ]] ||
  printf '%s\n' "$RESULTS_HEADER" >"$RESULTS"

# ------------------------------------------------------------------------------- the workload
TABLES="lineitem wide_events order_lines_cpk audit_log_nopk"
PSQL_1M="${PSQL_SRC/-d bench/-d bench_1m}"
declare -A ROWS BYTES
for t in $TABLES; do
  ROWS[$t]=$($PSQL_SRC -Atc "SELECT count(*) FROM $t")
  # Heap and TOAST without indexes: the same volume for every tool, whatever it moves it as.
  BYTES[$t]=$($PSQL_SRC -Atc "SELECT pg_table_size('$t')")
done
ROWS[all-4-tables]=0
BYTES[all-4-tables]=0
for t in $TABLES; do
  ROWS[all-4-tables]=$((ROWS[all-4-tables] + ROWS[$t]))
  BYTES[all-4-tables]=$((BYTES[all-4-tables] + BYTES[$t]))
done
ROWS[lineitem-1m]=$($PSQL_1M -Atc 'SELECT count(*) FROM lineitem' 2>/dev/null) ||
  die "no database bench_1m on the source: run generate.sh"
BYTES[lineitem-1m]=$($PSQL_1M -Atc "SELECT pg_table_size('lineitem')")
[[ ${ROWS[lineitem]} == $($MARIADB -N src -e 'SELECT count(*) FROM lineitem') ]] ||
  die "MariaDB's lineitem differs from PostgreSQL's: run generate.sh"
[[ ${ROWS[lineitem]} == $(sqlite3 "$BENCH_SQLITE" 'SELECT count(*) FROM lineitem') ]] ||
  die "SQLite's lineitem differs from PostgreSQL's: run generate.sh"
HALF=$($PSQL_SRC -Atc 'SELECT (min(l_id) + max(l_id)) / 2 FROM lineitem')
WIDE_HALF=$($PSQL_SRC -Atc 'SELECT (min(id) + max(id)) / 2 FROM wide_events')

{
  echo "date: $(date -Is)"
  echo "host: $(uname -n), $CORES cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "sections: $SECTIONS; runs: $RUNS"
  for t in $TABLES all-4-tables lineitem-1m; do echo "table $t: ${ROWS[$t]} rows, ${BYTES[$t]} bytes"; done
  echo "postgresql: $($PSQL_SRC -Atc 'SHOW server_version')"
  echo "mariadb: $($MARIADB -N -e 'SELECT version()')"
  echo "pgcopydb: $(dpkg-query -W -f='${Version}' pgcopydb 2>/dev/null)"
  echo "pgloader: $(dpkg-query -W -f='${Version}' pgloader 2>/dev/null)"
  echo "mydumper: $(dpkg-query -W -f='${Version}' mydumper 2>/dev/null)"
  echo "bench scripts: $(git -C "$HERE" describe --always --dirty 2>/dev/null || echo unknown)"
  if wants ferry; then
    echo "ferry: $FERRY_BIN $FERRY_ARGS"
    echo "ferry version: $("$FERRY_BIN" --version 2>&1 | head -n 1)," \
      "built $(date -r "$FERRY_BIN" -Is), sha256 $(sha256sum "$FERRY_BIN" | cut -c 1-16)"
  fi
} >"$OUT/machine.txt"
step "workload: lineitem ${ROWS[lineitem]} rows, all 4 tables ${ROWS[all-4-tables]} rows; results in $OUT"

FRESH_MARIADB_DST="$MARIADB -e 'DROP DATABASE IF EXISTS dst; CREATE DATABASE dst CHARACTER SET utf8mb4'"
COUNT_MARIADB_DST="$MARIADB -N -e 'SELECT count(*) FROM dst.lineitem'"
SRC_URI=postgresql://bench@127.0.0.1:$BENCH_PG_SRC_PORT/bench
DST_HOST=127.0.0.1:$BENCH_PG_DST_PORT

# ------------------------------------------------------------------------------- psql COPY pipes
# The floor any PostgreSQL copier is held to: the servers' own binary COPY, piped by psql.
if wants pipes; then
  step "psql binary COPY pipes, PostgreSQL -> PostgreSQL"
  pipe() {  # table [where]
    echo "$PSQL_SRC -c 'COPY (SELECT * FROM $1 ${2:-}) TO STDOUT (FORMAT binary)' |
          $PSQL_DST -d pipes -c 'COPY $1 FROM STDIN (FORMAT binary)'"
  }
  two_pipes() {  # table key half
    echo "{ $(pipe "$1" "WHERE $2 <= $3"); } & first=\$!
          { $(pipe "$1" "WHERE $2 > $3"); } & second=\$!
          wait \$first && wait \$second"
  }
  measure psql-pipe pg-pg lineitem binary-1pipe "$(fresh_pg pipes with-tables)" \
    "$(pipe lineitem)" "$(count_pg pipes lineitem)"
  measure psql-pipe pg-pg lineitem binary-2pipes "$(fresh_pg pipes with-tables)" \
    "$(two_pipes lineitem l_id "$HALF")" "$(count_pg pipes lineitem)"
  measure psql-pipe pg-pg wide_events binary-1pipe "$(fresh_pg pipes with-tables)" \
    "$(pipe wide_events)" "$(count_pg pipes wide_events)"
  measure psql-pipe pg-pg wide_events binary-2pipes "$(fresh_pg pipes with-tables)" \
    "$(two_pipes wide_events id "$WIDE_HALF")" "$(count_pg pipes wide_events)"
fi

# ------------------------------------------------------------------------------- pgcopydb
if wants pgcopydb; then
  step "pgcopydb, PostgreSQL -> PostgreSQL"
  work=$SCRATCH/pgcopydb
  filter=$SCRATCH/pgcopydb-lineitem.filter
  printf '[include-only-table]\npublic.lineitem\n' >"$filter"
  target=postgresql://bench@$DST_HOST/pgc
  common="--source $SRC_URI --target $target --dir $work"
  clone="pgcopydb clone $common --table-jobs 2 --index-jobs 2 --no-owner --no-acl"
  # Data only, into tables made beforehand: pgcopydb's plain COPY path.
  measure pgcopydb pg-pg lineitem copy-table-data "rm -rf $work && $(fresh_pg pgc with-tables)" \
    "pgcopydb copy table-data $common --table-jobs 2 --filters $filter" "$(count_pg pgc lineitem)"
  # Schema, data split into parts, primary key, VACUUM ANALYZE: what a migration with it does.
  measure pgcopydb pg-pg lineitem "clone-split-$PGCOPYDB_SPLIT" "rm -rf $work && $(fresh_pg pgc)" \
    "$clone --split-tables-larger-than $PGCOPYDB_SPLIT --filters $filter" "$(count_pg pgc lineitem)"
  measure pgcopydb pg-pg all-4-tables clone "rm -rf $work && $(fresh_pg pgc)" \
    "$clone" "$(count_pg pgc all-4-tables)"
  measure pgcopydb pg-pg all-4-tables "clone-split-$PGCOPYDB_SPLIT" "rm -rf $work && $(fresh_pg pgc)" \
    "$clone --split-tables-larger-than $PGCOPYDB_SPLIT" "$(count_pg pgc all-4-tables)"
fi

# ------------------------------------------------------------------------------- pgloader
if wants pgloader; then
  step "pgloader, MariaDB and SQLite -> PostgreSQL"
  dir=$SCRATCH/pgloader
  mkdir -p "$dir"
  # The MariaDB database's tables land in schema public, where ferry puts them too.
  cat >"$dir/mariadb.load" <<END_OF_LOAD
LOAD DATABASE
  FROM mysql://bench:$BENCH_PASSWORD@127.0.0.1:$BENCH_MARIADB_PORT/src
  INTO postgresql://bench@$DST_HOST/pgl
  WITH include drop, create tables, create indexes, reset sequences, workers = 2, concurrency = 1
  INCLUDING ONLY TABLE NAMES MATCHING 'lineitem'
  ALTER SCHEMA 'src' RENAME TO 'public';
END_OF_LOAD
  # pgloader's parallel reading of one table: ranges of the key, two readers.
  cat >"$dir/mariadb-2readers.load" <<END_OF_LOAD
LOAD DATABASE
  FROM mysql://bench:$BENCH_PASSWORD@127.0.0.1:$BENCH_MARIADB_PORT/src
  INTO postgresql://bench@$DST_HOST/pgl
  WITH include drop, create tables, create indexes, reset sequences, workers = 4, concurrency = 2,
       multiple readers per thread, rows per range = 500000
  INCLUDING ONLY TABLE NAMES MATCHING 'lineitem'
  ALTER SCHEMA 'src' RENAME TO 'public';
END_OF_LOAD
  cat >"$dir/sqlite.load" <<END_OF_LOAD
LOAD DATABASE
  FROM sqlite://$BENCH_SQLITE
  INTO postgresql://bench@$DST_HOST/pgl
  WITH include drop, create tables, create indexes, reset sequences, workers = 2, concurrency = 1
  INCLUDING ONLY TABLE NAMES LIKE 'lineitem';
END_OF_LOAD
  loader="pgloader --root-dir $dir/root"
  measure pgloader mariadb-pg lineitem w2-c1 "$(fresh_pg pgl)" \
    "$loader $dir/mariadb.load" "$(count_pg pgl lineitem)"
  measure pgloader mariadb-pg lineitem w4-c2-2readers "$(fresh_pg pgl)" \
    "$loader $dir/mariadb-2readers.load" "$(count_pg pgl lineitem)"
  measure pgloader sqlite-pg lineitem w2-c1 "$(fresh_pg pgl)" \
    "$loader $dir/sqlite.load" "$(count_pg pgl lineitem)"
fi

# ------------------------------------------------------------------------------- mydumper
if wants mydumper; then
  step "mydumper + myloader, MariaDB -> MariaDB"
  dump=$SCRATCH/mydumper
  login="-h 127.0.0.1 -P $BENCH_MARIADB_PORT -u bench -p $BENCH_PASSWORD"
  # mydumper 0.10.1 with `-B src -T src.lineitem` dumps nothing and exits 0; --regex selects.
  measure mydumper+myloader mariadb-mariadb lineitem r500k-t2 "rm -rf $dump && $FRESH_MARIADB_DST" \
    "mydumper $login -B src --regex '^src\\.lineitem\$' --rows 500000 -t 2 -o $dump &&
     myloader $login -d $dump -B dst -t 2 -o" \
    "$COUNT_MARIADB_DST"
fi

# ------------------------------------------------------------------------------- ferry
if wants ferry; then
  step "ferry ($FERRY_BIN $FERRY_ARGS)"
  MARIADB_SRC_URL=mysql://bench@127.0.0.1:$BENCH_MARIADB_PORT/src
  ferry_run() {  # source dest [include]
    echo "FERRY_SOURCE_PASSWORD=$BENCH_PASSWORD FERRY_DEST_PASSWORD=$BENCH_PASSWORD \
      $FERRY_BIN run --source '$1' --dest '$2' ${3:+--include $3} $FERRY_ARGS"
  }
  to_pg=postgresql://bench@$DST_HOST/ferry
  measure ferry pg-pg lineitem default "$(fresh_pg ferry)" \
    "$(ferry_run "$SRC_URI" "$to_pg" lineitem)" "$(count_pg ferry lineitem)"
  measure ferry pg-pg all-4-tables default "$(fresh_pg ferry)" \
    "$(ferry_run "$SRC_URI" "$to_pg")" "$(count_pg ferry all-4-tables)"
  measure ferry pg-pg wide_events default "$(fresh_pg ferry)" \
    "$(ferry_run "$SRC_URI" "$to_pg" wide_events)" "$(count_pg ferry wide_events)"
  measure ferry pg-pg lineitem-1m default "$(fresh_pg ferry)" \
    "$(ferry_run "${SRC_URI%/bench}/bench_1m" "$to_pg" lineitem)" "$(count_pg ferry lineitem)"
  measure ferry mariadb-pg lineitem default "$(fresh_pg ferry)" \
    "$(ferry_run "$MARIADB_SRC_URL" "$to_pg" lineitem)" "$(count_pg ferry lineitem)"
  measure ferry sqlite-pg lineitem default "$(fresh_pg ferry)" \
    "$(ferry_run "sqlite:$BENCH_SQLITE" "$to_pg" lineitem)" "$(count_pg ferry lineitem)"
  measure ferry mariadb-mariadb lineitem default "$FRESH_MARIADB_DST" \
    "$(ferry_run "$MARIADB_SRC_URL" "mysql://bench@127.0.0.1:$BENCH_MARIADB_PORT/dst" lineitem)" \
    "$COUNT_MARIADB_DST"
fi

# ------------------------------------------------------------------------------- summary
python3 "$HERE/summarize.py" "$RESULTS" | tee "$OUT/summary.txt"
# Targets missed are results; runs that failed are not, so only they make the exit status.
failed=$(awk -F '\t' 'NR > 1 && $11 != "ok"' "$RESULTS" | wc -l)
if ((failed > 0)); then
  step "$failed run(s) failed: see the status column of $RESULTS and the logs in $LOGS"
  exit 1
fi
