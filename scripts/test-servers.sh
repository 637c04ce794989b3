#!/usr/bin/env bash
# Starts (or stops) ferry's own PostgreSQL 15 and MariaDB 10.11 instances for the tests,
# on loopback ports that do not clash with system or benchmark servers. Idempotent; root.
#
#   test-servers.sh start | stop | env
#
# PostgreSQL: 127.0.0.1:${FERRY_TEST_PG_PORT:-54329}, superuser "ferry", scram password.
# MariaDB:    127.0.0.1:${FERRY_TEST_MARIADB_PORT:-33069}, user "ferry" with all privileges.
# The password is a throwaway for these private instances; tests read it from
# FERRY_TEST_PASSWORD and check that it never shows up in ferry's output.
set -euo pipefail

root=${FERRY_TEST_ROOT:-/var/lib/ferry-test}
pg_port=${FERRY_TEST_PG_PORT:-54329}
my_port=${FERRY_TEST_MARIADB_PORT:-33069}
password=${FERRY_TEST_PASSWORD:-ferry-test-Secret-9f3b}
pg_bin=/usr/lib/postgresql/15/bin
pg_data=$root/pg
my_data=$root/mariadb
run_dir=$root/run

start_pg() {
  # PostgreSQL refuses a data directory that others can read, and `install -d`
  # resets the mode of one that exists, so it gets its own 0700 line.
  install -d -o postgres -g postgres "$root" "$run_dir/pg"
  install -d -m 0700 -o postgres -g postgres "$pg_data"
  if [[ ! -f $pg_data/PG_VERSION ]]; then
    local pwfile; pwfile=$(mktemp); chown postgres "$pwfile"
    printf '%s\n' "$password" >"$pwfile"
    su postgres -s /bin/sh -c "$pg_bin/initdb -D '$pg_data' -U ferry --pwfile='$pwfile' \
        --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8" >/dev/null
    rm -f "$pwfile"
    cat >>"$pg_data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$run_dir/pg'
max_connections = 100
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  fi
  if ! su postgres -s /bin/sh -c "$pg_bin/pg_ctl -D '$pg_data' status" >/dev/null 2>&1; then
    # After a reboot or a restored snapshot the old pid file may name a live process
    # that is not PostgreSQL; the postmaster would then refuse to start.
    local pid_file=$pg_data/postmaster.pid
    if [[ -f $pid_file ]]; then
      local old_pid; old_pid=$(head -n1 "$pid_file")
      if [[ ! -r /proc/$old_pid/comm ]] || [[ $(cat "/proc/$old_pid/comm") != postgres ]]; then
        rm -f "$pid_file"
      fi
    fi
    su postgres -s /bin/sh -c "$pg_bin/pg_ctl -D '$pg_data' -l '$root/pg.log' -w -t 60 start" >/dev/null
  fi
}

start_mariadb() {
  install -d -o mysql -g mysql "$root" "$my_data" "$run_dir/mariadb"
  local sock=$run_dir/mariadb/mysqld.sock
  local cnf=$root/mariadb.cnf
  cat >"$cnf" <<CONF
[mysqld]
datadir = $my_data
socket = $sock
port = $my_port
bind-address = 127.0.0.1
pid-file = $run_dir/mariadb/mysqld.pid
log-error = $root/mariadb.log
skip-name-resolve
local-infile = 1
max_allowed_packet = 256M
innodb_buffer_pool_size = 256M
innodb_flush_log_at_trx_commit = 2
character-set-server = utf8mb4
collation-server = utf8mb4_bin
sql_mode = STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION
CONF
  if [[ ! -d $my_data/mysql ]]; then
    mariadb-install-db --defaults-file="$cnf" --user=mysql --auth-root-authentication-method=socket \
      --skip-test-db >/dev/null
  fi
  if ! mariadb-admin --socket="$sock" ping >/dev/null 2>&1; then
    setsid nohup mariadbd --defaults-file="$cnf" --user=mysql >/dev/null 2>&1 </dev/null &
    for _ in $(seq 1 60); do mariadb-admin --socket="$sock" ping >/dev/null 2>&1 && break; sleep 1; done
    mariadb-admin --socket="$sock" ping >/dev/null
  fi
  mariadb --socket="$sock" <<SQL
CREATE USER IF NOT EXISTS 'ferry'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS 'ferry'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO 'ferry'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'ferry'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
}

stop_all() {
  if [[ -f $pg_data/PG_VERSION ]]; then
    su postgres -s /bin/sh -c "$pg_bin/pg_ctl -D '$pg_data' -m fast -w stop" >/dev/null 2>&1 || true
  fi
  mariadb-admin --socket="$run_dir/mariadb/mysqld.sock" shutdown >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start) start_pg; start_mariadb
         echo "ferry test servers: PostgreSQL 127.0.0.1:$pg_port, MariaDB 127.0.0.1:$my_port" ;;
  stop) stop_all ;;
  env) echo "FERRY_TEST_PG_PORT=$pg_port FERRY_TEST_MARIADB_PORT=$my_port" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
