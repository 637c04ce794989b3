#!/usr/bin/env bash
# Starts, stops or reports the end-to-end benchmark's own servers: PostgreSQL 15 source and
# destination instances and one MariaDB 10.11, on loopback, tuned for bulk loads. Root; idempotent.
#
#   servers.sh start | stop | status
#
# PostgreSQL: 127.0.0.1:55433 (source, db `bench`) and :55434 (destination), superuser `bench`,
#             trust on loopback. MariaDB: 127.0.0.1:33306, user bench/bench, databases src, dst.
# Data stays under $BENCH_ROOT (/var/lib/ferry-bench) after `stop`; delete it to start afresh.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/common.sh"

# Sizes for a machine that also runs the peers' clients: the default source tables (~2.5 GB in
# PostgreSQL) fit in memory, so runs after the first read from cache, as every tool does.
PG_SHARED_BUFFERS=${BENCH_PG_SHARED_BUFFERS:-2GB}
MARIADB_BUFFER_POOL=${BENCH_MARIADB_BUFFER_POOL:-4G}

install_packages() {
  # The project's own installer brings the build, the ODBC drivers and both servers; the peers
  # and GNU time are the benchmark's additions.
  bash "$HERE/../../scripts/install-deps.sh" --servers
  local missing=() p
  for p in pgcopydb pgloader mydumper time sqlite3 python3 bc; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    step "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

pg_start() {  # name port
  local name=$1 port=$2 data=$BENCH_ROOT/pg-$1
  install -d -m 755 "$BENCH_ROOT"
  install -d -o postgres -g postgres -m 700 "$data"
  install -d -o postgres -g postgres "$BENCH_RUN/pg-$name"
  if [[ ! -f $data/PG_VERSION ]]; then
    step "PostgreSQL $name: initdb in $data"
    su postgres -s /bin/sh -c "$PG_BIN/initdb -D '$data' -U bench --auth-local=trust \
        --auth-host=trust -E UTF8 --locale=C.UTF-8" >/dev/null
    echo "include_if_exists = 'bench.conf'" >>"$data/postgresql.conf"
  fi
  # Rewritten on every start, so a changed setting takes effect after stop + start.
  # Durability stays on (fsync, full-page writes, synchronous commit): a migration target is a
  # real server, and every tool pays the same. Checkpoints and autovacuum are pushed out of the
  # way so they do not land inside one tool's timing and not another's.
  cat >"$data/bench.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$BENCH_RUN/pg-$name'
max_connections = 50
shared_buffers = $PG_SHARED_BUFFERS
work_mem = 64MB
maintenance_work_mem = 1GB
max_wal_size = 16GB
min_wal_size = 1GB
checkpoint_timeout = 30min
wal_compression = off
autovacuum = off
jit = off
max_wal_senders = 4
max_replication_slots = 4
CONF
  chown postgres:postgres "$data/bench.conf"
  if ! su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$data' status" >/dev/null 2>&1; then
    step "PostgreSQL $name: starting on 127.0.0.1:$port"
    su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$data' -l '$data/server.log' -w -t 120 start" \
      >/dev/null
  fi
  psql -X -q -h 127.0.0.1 -p "$port" -U bench -d postgres -v ON_ERROR_STOP=1 <<'SQL'
SELECT 'CREATE DATABASE bench' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'bench')\gexec
SQL
}

mariadb_start() {
  local data=$BENCH_ROOT/mariadb cnf=$BENCH_ROOT/mariadb.cnf
  install -d -m 755 "$BENCH_ROOT"
  install -d -o mysql -g mysql "$data" "$BENCH_RUN/mariadb"
  # Durable commits (flush at every commit) and no binary log, as a fresh MariaDB target is;
  # a large redo log so bulk loads do not stall on checkpoints; local_infile for LOAD DATA LOCAL.
  cat >"$cnf" <<CONF
[mysqld]
datadir = $data
socket = $MARIADB_SOCKET
port = $BENCH_MARIADB_PORT
bind-address = 127.0.0.1
pid-file = $BENCH_RUN/mariadb/mysqld.pid
log-error = $data/server.log
skip-name-resolve
local-infile = 1
max_allowed_packet = 512M
character-set-server = utf8mb4
innodb_buffer_pool_size = $MARIADB_BUFFER_POOL
innodb_log_file_size = 2G
innodb_log_buffer_size = 64M
innodb_flush_log_at_trx_commit = 1
max_connections = 100
CONF
  if [[ ! -d $data/mysql ]]; then
    step "MariaDB: mariadb-install-db in $data"
    mariadb-install-db --defaults-file="$cnf" --user=mysql --auth-root-authentication-method=socket \
      --skip-test-db >/dev/null
  fi
  if ! mariadb-admin --socket="$MARIADB_SOCKET" ping >/dev/null 2>&1; then
    step "MariaDB: starting on 127.0.0.1:$BENCH_MARIADB_PORT"
    setsid nohup mariadbd --defaults-file="$cnf" --user=mysql >/dev/null 2>&1 </dev/null &
    local _
    for _ in $(seq 1 120); do
      mariadb-admin --socket="$MARIADB_SOCKET" ping >/dev/null 2>&1 && break
      sleep 1
    done
    mariadb-admin --socket="$MARIADB_SOCKET" ping >/dev/null || die "MariaDB did not start: see $data/server.log"
  fi
  mariadb --socket="$MARIADB_SOCKET" <<SQL
CREATE USER IF NOT EXISTS 'bench'@'127.0.0.1' IDENTIFIED BY '$BENCH_PASSWORD';
CREATE USER IF NOT EXISTS 'bench'@'localhost' IDENTIFIED BY '$BENCH_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'bench'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'bench'@'localhost';
CREATE DATABASE IF NOT EXISTS src CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS dst CHARACTER SET utf8mb4;
FLUSH PRIVILEGES;
SQL
}

pg_stop() {  # name
  local data=$BENCH_ROOT/pg-$1
  [[ -f $data/PG_VERSION ]] || return 0
  if su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$data' status" >/dev/null 2>&1; then
    step "PostgreSQL $1: stopping"
    su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$data' -m fast -w stop" >/dev/null
  fi
}

mariadb_stop() {
  if mariadb-admin --socket="$MARIADB_SOCKET" ping >/dev/null 2>&1; then
    step "MariaDB: stopping"
    mariadb-admin --socket="$MARIADB_SOCKET" shutdown
  fi
}

status() {
  local name port
  for name in src dst; do
    port=$BENCH_PG_SRC_PORT; [[ $name == dst ]] && port=$BENCH_PG_DST_PORT
    if pg_isready -q -h 127.0.0.1 -p "$port"; then
      echo "PostgreSQL $name: up on 127.0.0.1:$port"
    else
      echo "PostgreSQL $name: down (127.0.0.1:$port, data $BENCH_ROOT/pg-$name)"
    fi
  done
  if mariadb-admin --socket="$MARIADB_SOCKET" ping >/dev/null 2>&1; then
    echo "MariaDB: up on 127.0.0.1:$BENCH_MARIADB_PORT"
  else
    echo "MariaDB: down (127.0.0.1:$BENCH_MARIADB_PORT, data $BENCH_ROOT/mariadb)"
  fi
}

[[ $(id -u) == 0 ]] || die "run as root: the servers run as the postgres and mysql users"
case "${1:-start}" in
  start)
    install_packages
    pg_start src "$BENCH_PG_SRC_PORT"
    pg_start dst "$BENCH_PG_DST_PORT"
    mariadb_start
    status
    ;;
  stop) pg_stop src; pg_stop dst; mariadb_stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
