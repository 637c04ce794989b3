#!/usr/bin/env bash
# MariaDB through staging files against mydumper/myloader, in one run on one machine: the export
# of lineitem into a staging directory (ferry run --dest dir:) against `mydumper -c` (compressed,
# 500k-row chunks, 2 threads), and the import of those files into a fresh MariaDB database
# (ferry run --source dir:) against myloader of mydumper's files (2 threads); each pair
# alternating (A B, then B A), with wall time, the tool's user+sys CPU, the MariaDB server's
# CPU over the same seconds, the whole machine's busy CPU, peak RSS and the bytes written; plus
# the staging disk's sequential write bandwidth (dd, direct I/O) measured in the same run.
# Needs the bench servers (../shared/bench: MariaDB on 127.0.0.1:3306 with src.lineitem).
#
# Env: RUNS (3)  OUT (/var/tmp/ferry-staging-mariadb)  FERRY_BIN (<repo>/build/tools/ferry)
#      MY_PORT (3306; 33306 for bench/e2e/servers.sh's MariaDB, src.lineitem from generate.sh)
#      FERRY_ARGS (extra flags for every ferry run)  PERF=1 records a perf profile of ferry's
#      last import (perf record -g) into $OUT/import.perf  IMPORT_ONLY=1 exports once (each
#      tool) and repeats only the imports RUNS times
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
OUT=${OUT:-/var/tmp/ferry-staging-mariadb}
FERRY_BIN=$(readlink -f "${FERRY_BIN:-$HERE/../../build/tools/ferry}")
FERRY_ARGS=${FERRY_ARGS:-}
# MY_PORT 33306: servers.sh's MariaDB (3306: ../shared/bench's).
MY_HOST=127.0.0.1 MY_PORT=${MY_PORT:-3306} MY_USER=bench MY_PASS=bench
MARIADB="mariadb -h $MY_HOST -P $MY_PORT -u $MY_USER -p$MY_PASS"
SRC_URL="mysql://$MY_USER@$MY_HOST:$MY_PORT/src"
# Databases of this script's own, dropped at the end: the shared `dst` is left to others.
FERRY_DB=ferry_stage_imp
MYLOADER_DB=ferry_stage_myl
export FERRY_SOURCE_PASSWORD=$MY_PASS FERRY_DEST_PASSWORD=$MY_PASS
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
: >"$RESULTS"
step() { echo "[$(date +%T)] $*" >&2; }
# Whatever happens, the databases made here are dropped (others benchmark on this server).
trap '$MARIADB -e "DROP DATABASE IF EXISTS $FERRY_DB; DROP DATABASE IF EXISTS $MYLOADER_DB" || true' EXIT

$MARIADB -e 'SELECT 1' >/dev/null || { echo "MariaDB on $MY_HOST:$MY_PORT is down" >&2; exit 1; }
ROWS=$($MARIADB -N -e 'SELECT count(*) FROM src.lineitem')
# The server listening on MY_PORT (another MariaDB may run beside it: the test servers').
SERVER_PID=$(ss -ltnpH "sport = :$MY_PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$SERVER_PID" ] || SERVER_PID=$(pgrep -o -x mariadbd -a | awk '/datadir=\/var\/lib\/mysql/ {print $1}' | head -1)
[ -n "$SERVER_PID" ] || SERVER_PID=$(pgrep -n -x mariadbd)
TICKS=$(getconf CLK_TCK)

# The whole machine's busy and total jiffies; a process's user+sys jiffies.
machine() { awk '/^cpu / {b=$2+$3+$4+$7+$8+$9; print b, b+$5+$6}' /proc/stat; }
proc_cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# timed LABEL COMMAND...: one line per run: label, wall s, tool cpu s, server cpu s, machine busy
# % (of all cores), peak RSS KiB.
timed() {
  local label=$1
  shift
  local m0 m1 s0 s1
  read -r -a m0 < <(machine)
  s0=$(proc_cpu "$SERVER_PID")
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" "$@" >"$OUT/$label.log" 2>&1 ||
    { tail -5 "$OUT/$label.log" >&2; step "$label failed"; exit 1; }
  s1=$(proc_cpu "$SERVER_PID")
  read -r -a m1 < <(machine)
  local wall user sys rss
  read -r wall user sys rss <"$OUT/time.txt"
  local busy=$(((m1[0] - m0[0]) * 100 * $(nproc) / (m1[1] - m0[1] + 1)))
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" \
    "$(echo "scale=2; ($s1 - $s0) / $TICKS" | bc)" "$busy" "$rss" | tee -a "$RESULTS" >&2
}
fresh() { $MARIADB -e "DROP DATABASE IF EXISTS $1; CREATE DATABASE $1 CHARACTER SET utf8mb4"; }
count() { [ "$($MARIADB -N -e "SELECT count(*) FROM $1.lineitem")" = "$ROWS" ] ||
  { step "$1.lineitem does not hold $ROWS rows"; exit 1; }; }

export_ferry() {
  rm -rf "$OUT/stage"
  sync
  timed ferry-export "$FERRY_BIN" run -q --include lineitem --source "$SRC_URL" \
    --dest "dir:$OUT/stage" $FERRY_ARGS
  printf 'ferry-bytes\t%s\n' "$(du -sb "$OUT/stage" | cut -f1)" >>"$RESULTS"
}
export_mydumper() {
  rm -rf "$OUT/dump"
  sync
  # mydumper 0.10 with `-B src -T src.lineitem` dumps nothing and exits 0; --regex selects.
  timed mydumper-export mydumper -h $MY_HOST -P $MY_PORT -u $MY_USER -p $MY_PASS -B src \
    --regex '^src\.lineitem$' -c --rows 500000 -t 2 -o "$OUT/dump"
  printf 'mydumper-bytes\t%s\n' "$(du -sb "$OUT/dump" | cut -f1)" >>"$RESULTS"
}
import_ferry() {
  fresh $FERRY_DB
  local perf=()
  [ "${PERF:-0}" = 1 ] && perf=(perf record -g -o "$OUT/import.perf" --)
  timed ferry-import "${perf[@]}" "$FERRY_BIN" run -q --source "dir:$OUT/stage" \
    --dest "mysql://$MY_USER@$MY_HOST:$MY_PORT/$FERRY_DB" $FERRY_ARGS
  count $FERRY_DB
}
import_myloader() {
  fresh $MYLOADER_DB
  # -q 10: ten ~1 MB INSERTs per transaction. myloader's default (1000) makes each 500k-row
  # file one transaction, and on a loaded machine its two threads then fail with InnoDB's lock
  # wait timeout (50 s) on the table's shared key range (seen 2026-12-06).
  timed myloader-import myloader -h $MY_HOST -P $MY_PORT -u $MY_USER -p $MY_PASS -d "$OUT/dump" \
    -B $MYLOADER_DB -t 2 -o -q 10
  count $MYLOADER_DB
}

step "lineitem: $ROWS rows; MariaDB server pid $SERVER_PID; load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${IMPORT_ONLY:-0}" = 1 ]; then
  # The imports alone, RUNS times each: the files are made once (a run's exports take long).
  export_ferry
  export_mydumper
fi
for ((i = 1; i <= RUNS; i++)); do
  step "run $i of $RUNS"
  if [ "${IMPORT_ONLY:-0}" != 1 ]; then
    if ((i % 2)); then export_ferry; export_mydumper; else export_mydumper; export_ferry; fi
  fi
  if ((i % 2)); then import_ferry; import_myloader; else import_myloader; import_ferry; fi
done
# The staging disk's sequential write bandwidth, 1 GiB with direct I/O, in the same run.
dd if=/dev/zero of="$OUT/dd.bin" bs=8M count=128 oflag=direct 2>"$OUT/dd.log"
rm -f "$OUT/dd.bin"
printf 'dd\t%s\n' "$(tail -1 "$OUT/dd.log")" >>"$RESULTS"
$MARIADB -e "DROP DATABASE IF EXISTS $FERRY_DB; DROP DATABASE IF EXISTS $MYLOADER_DB"
rm -rf "$OUT/dump"
[ "${KEEP_STAGE:-0}" = 1 ] || rm -rf "$OUT/stage"

python3 - "$RESULTS" "$ROWS" <<'PY'
import re, statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
def med(label, col):
    v = [float(r[col]) for r in rows if r[0] == label]
    return statistics.median(v) if v else float("nan")
print(f"{'':16} {'wall s':>7} {'tool cpu':>8} {'server cpu':>10} {'machine %':>9} {'rss MiB':>7} {'MB':>8}")
for label, size in (("ferry-export", "ferry-bytes"), ("mydumper-export", "mydumper-bytes"),
                    ("ferry-import", "ferry-bytes"), ("myloader-import", "mydumper-bytes")):
    print(f"{label:16} {med(label,1):7.1f} {med(label,2):8.1f} {med(label,3):10.1f} "
          f"{med(label,4):9.0f} {med(label,5)/1024:7.0f} {med(size,1)/1e6:8.1f}")
print(f"export: mydumper / ferry = {med('mydumper-export',1)/med('ferry-export',1):.2f}x; "
      f"import: myloader / ferry = {med('myloader-import',1)/med('ferry-import',1):.2f}x")
for r in rows:
    if r[0] == "dd":
        print("dd:", r[1])
        m = re.search(r"([\d.]+) ([MG])B/s", r[1])
        if m:
            bw = float(m.group(1)) * (1000 if m.group(2) == "G" else 1)
            rate = med("ferry-bytes", 1) / 1e6 / med("ferry-export", 1)
            print(f"ferry's export wrote {rate:.1f} MB/s: {100*rate/bw:.1f} % of the disk's {bw:.0f} MB/s")
PY
