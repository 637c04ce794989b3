#!/usr/bin/env bash
# Progress, metrics and ETA on the reference workload (issue 16), PostgreSQL to PostgreSQL:
#  1. overhead: BASE_BIN (a ferry without them) and FERRY_BIN (with --metrics-file and
#     --progress-interval 1) copy TABLE alternately, RUNS times each; wall seconds and user+sys
#     CPU seconds per run, medians at the end;
#  2. ETA accuracy: one run with --log-format json; the ETA printed when 25 % of the rows were
#     copied against the time the copy really took from there.
# Env: SRC (postgresql://bench@127.0.0.1:5433/bench)  DST_HOST_PORT (127.0.0.1:5434)
#      TABLE (lineitem)  RUNS (3)  BASE_BIN (required for 1)  FERRY_BIN (<repo>/build/tools/ferry)
#      OUT (/var/tmp/ferry-progress-bench)  PGPASSWORD (bench)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${SRC:-postgresql://bench@127.0.0.1:5433/bench}
DST_HOST_PORT=${DST_HOST_PORT:-127.0.0.1:5434}
TABLE=${TABLE:-lineitem}
RUNS=${RUNS:-3}
FERRY_BIN=${FERRY_BIN:-$HERE/../../build/tools/ferry}
OUT=${OUT:-/var/tmp/ferry-progress-bench}
export FERRY_SOURCE_PASSWORD=${PGPASSWORD:-bench} FERRY_DEST_PASSWORD=${PGPASSWORD:-bench}
DB=ferry_progress_bench
PSQL="psql -X -q -h ${DST_HOST_PORT%:*} -p ${DST_HOST_PORT#*:} -U bench -d postgres"
mkdir -p "$OUT"

fresh() { $PSQL -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null; }
trap '$PSQL -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT

# One timed copy: prints "label wall cpu".
copy() {
  local label=$1 bin=$2
  shift 2
  fresh
  /usr/bin/time -f "%e %U %S" -o "$OUT/time" "$bin" run -q --source "$SRC" \
    --dest "postgresql://bench@$DST_HOST_PORT/$DB" --include "$TABLE" "$@" >"$OUT/$label.log" 2>&1
  read -r wall user sys <"$OUT/time"
  echo "$label $wall $(echo "$user + $sys" | bc)"
}

if [ -n "${BASE_BIN:-}" ]; then
  : >"$OUT/overhead.txt"
  for ((i = 1; i <= RUNS; i++)); do
    copy before "$BASE_BIN" | tee -a "$OUT/overhead.txt"
    copy after "$FERRY_BIN" --metrics-file "$OUT/ferry.prom" --progress-interval 1 |
      tee -a "$OUT/overhead.txt"
  done
  python3 - "$OUT/overhead.txt" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, wall, cpu = line.split()
    runs.setdefault(label, []).append((float(wall), float(cpu)))
for label, xs in runs.items():
    print(f"{label}: median wall {statistics.median(w for w, _ in xs):.2f} s, "
          f"median user+sys {statistics.median(c for _, c in xs):.2f} s over {len(xs)} runs")
PY
fi

# ETA accuracy.
fresh
"$FERRY_BIN" run --source "$SRC" --dest "postgresql://bench@$DST_HOST_PORT/$DB" --include "$TABLE" \
  --log-format json --progress-interval 1 2>"$OUT/eta.jsonl" >/dev/null
python3 - "$OUT/eta.jsonl" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
progress = [e for e in events if e["event"] == "progress"]
# The first progress event at or past a quarter of the rows, with an ETA.
at = next(e for e in progress if e["expected_rows"] > 0 and e["rows"] >= 0.25 * e["expected_rows"]
          and e["eta_seconds"] >= 0)
# When every row was in, on the progress events' clock (seconds since the copy started).
finish = next((e["seconds"] for e in progress if e["rows"] >= e["expected_rows"]), progress[-1]["seconds"])
remaining = finish - at["seconds"]
err = (at["eta_seconds"] - remaining) / remaining * 100
print(f"ETA at {at['rows'] / at['expected_rows'] * 100:.1f}% of rows ({at['seconds']:.1f} s in): "
      f"{at['eta_seconds']:.1f} s; the rows really took {remaining:.1f} s more; error {err:+.1f}%")
PY
