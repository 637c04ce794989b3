#!/usr/bin/env bash
# Peak resident memory of `ferry run --memory-limit` with huge single values, on every pair.
# Each source gets a table `big` with three rows: a 200 MiB binary value, a 200 MiB text value,
# and a small row; each pair copies it into a fresh destination under GNU time and checks the
# copy by hashing the values at both ends. Prints one line per pair: peak RSS and seconds.
#
# Uses the project's test servers (scripts/test-servers.sh): PostgreSQL on 127.0.0.1:54329,
# MariaDB on 127.0.0.1:33069 (its max_allowed_packet must exceed the value size), user ferry.
# Usage: bench/e2e/large_values.sh [FERRY_BINARY] [MiB per value] [memory limit]
# PAIRS="src:dst ..." picks pairs; KEYLESS=1 gives the source tables no primary key. The engine
# `mdb-odbc` is MariaDB through ferry's plain ODBC endpoint (a connection string with an attribute
# the libmariadb path does not reproduce, READ_TIMEOUT): its block cursor reader and ODBC writer;
# ODBC_EXTRA="KEY=value;" adds attributes to that connection string.
set -euo pipefail

FERRY=${1:-build/tools/ferry}
MIB=${2:-200}
LIMIT=${3:-67108864}
PASSWORD=${FERRY_TEST_PASSWORD:-ferry-test-Secret-9f3b}
PG_PORT=${FERRY_TEST_PG_PORT:-54329}
MDB_PORT=${FERRY_TEST_MARIADB_PORT:-33069}
WORK=${WORK:-$(mktemp -d /tmp/ferry-large-values.XXXXXX)}
PAIRS=${PAIRS:-"pg:pg pg:mariadb pg:sqlite mariadb:pg mariadb:mariadb mariadb:sqlite sqlite:pg sqlite:mariadb sqlite:sqlite"}
KEY=$([ -n "${KEYLESS:-}" ] || echo "PRIMARY KEY")
trap 'rm -rf "$WORK"' EXIT
export PGPASSWORD=$PASSWORD MYSQL_PWD=$PASSWORD FERRY_SOURCE_PASSWORD=$PASSWORD FERRY_DEST_PASSWORD=$PASSWORD

pg() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U ferry "$@"; }
mdb() { mariadb -h 127.0.0.1 -P "$MDB_PORT" -u ferry "$@"; }
db=ferry_large_$$

url() {
  case $1 in
    pg) echo "postgresql://ferry@127.0.0.1:$PG_PORT/${db}_$2" ;;
    mariadb) echo "mysql://ferry@127.0.0.1:$MDB_PORT/${db}_$2" ;;
    sqlite) echo "sqlite:$WORK/$2.sqlite" ;;
    mdb-odbc) echo "Driver={MariaDB Unicode};Server=127.0.0.1;Port=$MDB_PORT;Database=${db}_$2;Uid=ferry;READ_TIMEOUT=600;${ODBC_EXTRA:-}" ;;
  esac
}

# mdb-odbc is the MariaDB server; only the way ferry connects differs.
server() { [ "$1" = mdb-odbc ] && echo mariadb || echo "$1"; }

fresh() {  # engine role
  case $(server "$1") in
    pg) pg -d postgres -q -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS ${db}_$2" -c "CREATE DATABASE ${db}_$2" ;;
    mariadb) mdb -e "DROP DATABASE IF EXISTS ${db}_$2; CREATE DATABASE ${db}_$2 CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" ;;
    sqlite) rm -f "$WORK/$2.sqlite" ;;
  esac
}

drop() {
  case $(server "$1") in
    pg) pg -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS ${db}_$2" ;;
    mariadb) mdb -e "DROP DATABASE IF EXISTS ${db}_$2" ;;
    sqlite) rm -f "$WORK/$2.sqlite" ;;
  esac
}

# Values without patterns the servers' compression would find (a 1 MiB random piece repeated:
# pglz's window is 4 KiB), so they are stored and read at full size.
make_source() {
  fresh "$1" src
  case $(server "$1") in
    pg) pg -d "${db}_src" <<SQL
CREATE TABLE big (id int $KEY, b bytea, t text);
CREATE TEMP TABLE piece AS SELECT string_agg(md5(random()::text), '') AS hex FROM generate_series(1, 65536);
INSERT INTO big SELECT 1, decode(repeat(hex, $MIB), 'hex'), 'small' FROM piece;
INSERT INTO big SELECT 2, '\x0102'::bytea, repeat(hex, $((MIB / 2))) FROM piece;
INSERT INTO big VALUES (3, '\x03', 'three');
SQL
      ;;
    mariadb) mdb "${db}_src" <<SQL
CREATE TABLE big (id int $KEY, b longblob, t longtext) ENGINE=InnoDB;
SET @piece = (SELECT GROUP_CONCAT(RANDOM_BYTES(1024) SEPARATOR '') FROM seq_1_to_1024);
INSERT INTO big VALUES (1, REPEAT(@piece, $MIB), 'small');
INSERT INTO big VALUES (2, x'0102', REPEAT(HEX(SUBSTRING(@piece, 1, 524288)), $MIB));
INSERT INTO big VALUES (3, x'03', 'three');
SQL
      ;;
    sqlite) sqlite3 "$WORK/src.sqlite" <<SQL
CREATE TABLE big (id integer $KEY, b blob, t text);
INSERT INTO big VALUES (1, randomblob($MIB * 1048576), 'small');
INSERT INTO big VALUES (2, x'0102', hex(randomblob($MIB * 524288)));
INSERT INTO big VALUES (3, x'03', 'three');
SQL
      ;;
  esac
}

hashes() {  # engine role: "id md5(b) md5(t)" per row
  case $(server "$1") in
    pg) pg -d "${db}_$2" -At -F ' ' -c "SELECT id, md5(b), md5(t) FROM big ORDER BY id" ;;
    mariadb) mdb -N -B "${db}_$2" -e "SELECT id, MD5(b), MD5(t) FROM big ORDER BY id" | tr '\t' ' ' ;;
    sqlite) python3 - "$WORK/$2.sqlite" <<'PY' ;;
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.text_factory = bytes
for i, b, t in db.execute("SELECT id, b, t FROM big ORDER BY id"):
    h = lambda v: hashlib.md5(v).hexdigest() if v is not None else ""
    print(i, h(b), h(t))
PY
  esac
}

printf '%-18s %12s %9s  %s\n' pair "peak MiB" seconds copy
current=""
for pair in $PAIRS; do
  src=${pair%%:*} dst=${pair##*:}
  if [ "$src" != "$current" ]; then
    [ -n "$current" ] && drop "$current" src
    make_source "$src"
    hashes "$src" src >"$WORK/want"
    current=$src
  fi
  fresh "$dst" dst
  start=$(date +%s.%N)
  if /usr/bin/time -f %M -o "$WORK/rss" "$FERRY" run --source "$(url "$src" src)" \
    --dest "$(url "$dst" dst)" --memory-limit "$LIMIT" >"$WORK/log" 2>&1; then
    seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    hashes "$dst" dst >"$WORK/got"
    if cmp -s "$WORK/want" "$WORK/got"; then verdict=exact; else verdict=DIFFERS; fi
  else
    seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    verdict="FAILED: $(tail -3 "$WORK/log" | tr "\n" " " | cut -c1-200)"
  fi
  printf '%-18s %12s %9s  %s\n' "$src->$dst" "$(($(tail -1 "$WORK/rss") / 1024))" "$seconds" "$verdict"
  drop "$dst" dst
done
[ -n "$current" ] && drop "$current" src
