# How compare.sh and floors.sh time one command (sourced, not run): the results file's columns,
# the machine's CPU ticks, one measured run, and the fresh destinations each run starts from.
# Needs common.sh, and from the caller: RESULTS, LOGS, SCRATCH, CORES, ROWS and BYTES (arrays by
# table), HERE.
# shellcheck shell=bash disable=SC2034  # (sourced: the variables are used by the scripts)

# client_cpu_s: user + system seconds of the timed command's own processes (the client tools,
# ferry; never the servers): the figure a busy shared machine moves least.
RESULTS_HEADER=$'tool\tpath\ttable\tvariant\trows\tbytes\trun\tseconds\tcpu_pct\tpeak_rss_kib\tstatus\tclient_cpu_s'

cpu_ticks() {  # busy and total jiffies of the whole machine
  local _cpu user nice system idle iowait irq softirq steal _rest
  read -r _cpu user nice system idle iowait irq softirq steal _rest </proc/stat
  echo "$((user + nice + system + irq + softirq + steal)) $((user + nice + system + idle + iowait + irq + softirq + steal))"
}

# measure_run RUN TOOL PATH TABLE VARIANT PREPARE COMMAND CHECK
#   PREPARE readies a fresh destination (untimed). COMMAND is timed, under GNU time for the peak
#   resident memory of its largest process (the client tool's; servers are not its children) and
#   its processes' CPU seconds. CHECK prints the rows that arrived (untimed); a count other than
#   the source's fails the run (CHECK "" skips it: a step that moves no rows, like a key build).
# A failed run is recorded with its status and the benchmark goes on with the next one.
measure_run() {
  local run=$1 tool=$2 path=$3 table=$4 variant=$5 prepare=$6 command=$7 check=$8
  local rows=${ROWS[$table]} bytes=${BYTES[$table]}
  local name=$tool.$path.$table.$variant
  name=${name//[^A-Za-z0-9_.+-]/_}
  local log=$LOGS/$name.run$run.log time_file=$SCRATCH/time status=ok rc=0 seconds=0 cpu=0 rss=
  local client=
  if ! bash -o pipefail -c "$prepare" >"$log" 2>&1; then
    status="prepare-failed"
  else
    local c0 c1 t0 t1 usage
    read -r -a c0 <<<"$(cpu_ticks)"
    t0=$(date +%s.%N)
    /usr/bin/time -q -f '%M %U %S' -o "$time_file" bash -o pipefail -c "$command" >>"$log" 2>&1 || rc=$?
    t1=$(date +%s.%N)
    read -r -a c1 <<<"$(cpu_ticks)"
    seconds=$(awk -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.3f", t1 - t0 }')
    cpu=$((100 * CORES * (c1[0] - c0[0]) / (c1[1] - c0[1] + 1)))
    read -r -a usage <<<"$(tail -n 1 "$time_file" 2>/dev/null || true)"
    rss=${usage[0]:-}
    [[ -n ${usage[2]:-} ]] && client=$(awk -v u="${usage[1]}" -v s="${usage[2]}" 'BEGIN { printf "%.2f", u + s }')
    if ((rc != 0)); then
      status=exit-$rc
    elif [[ -n $check ]]; then
      local got
      got=$(bash -o pipefail -c "$check" 2>>"$log" | tr -d '[:space:]') || got=error
      [[ $got == "$rows" ]] || status=rows-$got-of-$rows
    fi
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$path" "$table" "$variant" \
    "$rows" "$bytes" "$run" "$seconds" "$cpu" "$rss" "$status" "$client" >>"$RESULTS"
  if [[ $status == ok ]]; then
    step "$tool $path $table $variant, run $run: ${seconds} s, cpu ${cpu}%, client cpu ${client} s, peak rss ${rss} KiB"
  else
    step "FAILED ($status) $tool $path $table $variant, run $run: see $log"
    tail -n 5 "$log" | sed 's/^/    /' >&2
  fi
}

# measure TOOL PATH TABLE VARIANT PREPARE COMMAND CHECK: measure_run RUNS times in a row.
measure() {
  local run
  for run in $(seq 1 "$RUNS"); do measure_run "$run" "$@"; done
}

# Fresh PostgreSQL destination database DB, optionally with the workload's tables (no keys).
fresh_pg() {  # db [with-tables]
  local cmd="$PSQL_DST -d postgres -c 'DROP DATABASE IF EXISTS $1 WITH (FORCE)' -c 'CREATE DATABASE $1'"
  [[ ${2:-} == with-tables ]] && cmd+=" && $PSQL_DST -d $1 -f $HERE/sql/pg-schema.sql"
  echo "$cmd && $PSQL_DST -d postgres -c CHECKPOINT"
}
# Rows in TABLE (or the four tables, for all-4-tables) of PostgreSQL destination database DB.
count_pg() {  # db table
  if [[ $2 == all-4-tables ]]; then
    echo "$PSQL_DST -d $1 -Atc 'SELECT (SELECT count(*) FROM lineitem) + (SELECT count(*) FROM wide_events)
      + (SELECT count(*) FROM order_lines_cpk) + (SELECT count(*) FROM audit_log_nopk)'"
  else
    echo "$PSQL_DST -d $1 -Atc 'SELECT count(*) FROM $2'"
  fi
}
