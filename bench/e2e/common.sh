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
