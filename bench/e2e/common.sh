# Settings and helpers shared by the end-to-end benchmark scripts (sourced, not run): where the
# benchmark servers live, how to reach them, and how to print a step.
# Every value has an environment twin, so a run can be pointed elsewhere without editing files.
# shellcheck shell=bash disable=SC2034  # (sourced: the variables are used by the scripts)

BENCH_ROOT=${BENCH_ROOT:-/var/lib/ferry-bench}
# Ports of their own: the project's test servers use 54329/33069, the workplace's 5433/5434/3306.
BENCH_PG_SRC_PORT=${BENCH_PG_SRC_PORT:-55433}
BENCH_PG_DST_PORT=${BENCH_PG_DST_PORT:-55434}
BENCH_MARIADB_PORT=${BENCH_MARIADB_PORT:-33306}
# The MariaDB user's password: a throwaway for a private loopback instance (PostgreSQL trusts
# loopback, so it needs none). The peers take it on their command lines; ferry from the env.
BENCH_PASSWORD=${BENCH_PASSWORD:-bench}
# Where the SQLite copy of the workload lives.
BENCH_SQLITE=${BENCH_SQLITE:-$BENCH_ROOT/sqlite/bench.sqlite}

PG_BIN=/usr/lib/postgresql/15/bin
BENCH_RUN=$BENCH_ROOT/run
MARIADB_SOCKET=$BENCH_RUN/mariadb/mysqld.sock

# psql on the source's `bench` database, and on the destination (add -d DB).
PSQL_SRC="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $BENCH_PG_SRC_PORT -U bench -d bench"
PSQL_DST="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $BENCH_PG_DST_PORT -U bench"
# The MariaDB client as the benchmark user, over TCP like every tool measured.
MARIADB="mariadb -h 127.0.0.1 -P $BENCH_MARIADB_PORT -u bench -p$BENCH_PASSWORD"

step() { echo "[$(date +%T)] $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }

# For the scripts that time single commands (verify.sh, sync.sh): they set OUT (where the last
# command's output goes), RESULTS (label<TAB>seconds per line) and LOCK (a file taken with flock -x
# around each timed command, or "").
# Runs "$@" and records its wall time as "$label" (measured inside the lock when there is one,
# so waiting for it does not count); fails on an exit other than 0.
timed() {
  local label=$1
  shift
  local lock=()
  [ -n "$LOCK" ] && lock=(flock -x "$LOCK")
  "${lock[@]}" bash -c 'start=$(date +%s.%N); "$@" >"$OUT/last.log" 2>&1; rc=$?
    echo "$start $(date +%s.%N)" >"$OUT/last.time"; exit $rc' timed "$@" ||
    { cat "$OUT/last.log" >&2; die "$label failed"; }
  local seconds
  seconds=$(awk '{ printf "%.2f", $2 - $1 }' "$OUT/last.time")
  printf '%s\t%s\n' "$label" "$seconds" | tee -a "$RESULTS"
}

# The seconds recorded as "$1", smallest first, one per line.
timings() { awk -F'\t' -v l="$1" '$1 == l { print $2 }' "$RESULTS" | sort -n; }

# Every label's min and median, in the order first recorded.
print_timings() {
  local label v
  cut -f1 "$RESULTS" | awk '!seen[$0]++' | while IFS= read -r label; do
    mapfile -t v < <(timings "$label")
    printf '  %-45s %7s / %7s\n' "$label" "${v[0]}" "${v[$(((${#v[@]} - 1) / 2))]}"
  done
}
