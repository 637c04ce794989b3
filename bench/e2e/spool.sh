#!/usr/bin/env bash
# PostgreSQL -> MariaDB lineitem with and without `ferry run --spool`, alternating the two: wall
# time, user+sys CPU, peak RSS, and when the source's snapshot was let go, measured two ways:
#   - poll: the last moment (0.25 s polls of the source's pg_stat_activity) at which any session
#     of the ferry process (application_name 'ferry <pid>@host') held a snapshot (backend_xmin
#     set), in seconds from the start of the process;
#   - note: ferry's own line "every unit is read after N s" (with --spool), counted from the
#     start of the copy, not of the process (planning comes before).
# Needs the bench servers (../shared/bench). Each run copies into a fresh MariaDB database,
# dropped at the end.
#
# Env: RUNS (3)  OUT (/var/tmp/ferry-spool-bench)  FERRY_BIN (<repo>/build/tools/ferry)
#      PGURL (postgresql://bench@127.0.0.1:5433/bench)  MYDB (spoolbench)  SPOOL ($OUT/spool)
#      FERRY_ARGS (extra flags for both)  TABLE (lineitem)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
OUT=${OUT:-/var/tmp/ferry-spool-bench}
FERRY_BIN=${FERRY_BIN:-$HERE/../../build/tools/ferry}
PGURL=${PGURL:-postgresql://bench@127.0.0.1:5433/bench}
MYDB=${MYDB:-spoolbench}
SPOOL=${SPOOL:-$OUT/spool}
TABLE=${TABLE:-lineitem}
FERRY_ARGS=${FERRY_ARGS:-}
export PGPASSWORD=${PGPASSWORD:-bench} FERRY_SOURCE_PASSWORD=${FERRY_SOURCE_PASSWORD:-bench}
export FERRY_DEST_PASSWORD=${FERRY_DEST_PASSWORD:-bench}
MYSQL=(mysql -h 127.0.0.1 -P 3306 -u bench -pbench)
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
: >"$RESULTS"

# One run: label, then ferry's extra flags. Appends label, wall, cpu, rss KB, snapshot-held
# seconds (poll), the note's seconds.
one() {
  local label=$1
  shift
  "${MYSQL[@]}" -e "DROP DATABASE IF EXISTS $MYDB; CREATE DATABASE $MYDB"
  sync
  local start
  start=$(date +%s.%N)
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" "$FERRY_BIN" run --include "$TABLE" \
    --source "$PGURL" --dest "mysql://bench@127.0.0.1:3306/$MYDB" $FERRY_ARGS "$@" \
    >"$OUT/$label.log" 2>&1 &
  local timer=$! pid="" held=0
  while kill -0 "$timer" 2>/dev/null; do
    [ -n "$pid" ] || pid=$(pgrep -P "$timer" || true)
    if [ -n "$pid" ]; then
      local n
      n=$(psql -At "$PGURL" -c "SELECT count(*) FROM pg_stat_activity WHERE application_name \
        LIKE 'ferry $pid@%' AND backend_xmin IS NOT NULL" 2>/dev/null || echo 0)
      [ "${n:-0}" -gt 0 ] && held=$(echo "$(date +%s.%N) - $start" | bc)
    fi
    sleep 0.25
  done
  wait "$timer"
  read -r wall user sys rss <"$OUT/time.txt"
  local note
  note=$(grep -o 'every unit is read after [0-9.]* s' "$OUT/$label.log" | grep -o '[0-9.]*' || echo -)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" "$rss" \
    "$held" "$note" >>"$RESULTS"
  tail -n 3 "$OUT/$label.log" | sed "s/^/  $label: /"
}

for ((i = 1; i <= RUNS; i++)); do
  one direct
  rm -rf "$SPOOL"
  one spool --spool "$SPOOL"
done
"${MYSQL[@]}" -e "DROP DATABASE IF EXISTS $MYDB"
rm -rf "$SPOOL"

python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
def med(label, col):
    v = [float(r[col]) for r in rows if r[0] == label and r[col] not in ("-", "")]
    return statistics.median(v) if v else float("nan")
for label in ("direct", "spool"):
    print(f"{label:7} wall {med(label,1):7.1f} s  cpu {med(label,2):6.1f} s  "
          f"rss {med(label,3)/1024:5.0f} MiB  snapshot held until {med(label,4):7.1f} s  "
          f"(note: read after {med(label,5):.1f} s)")
d, s = med("direct", 4), med("spool", 4)
print(f"snapshot let go {100 * (1 - s / d):.0f} % earlier; total time {100 * (med('spool',1) / med('direct',1) - 1):+.0f} %")
PY
