#!/usr/bin/env bash
# The README's first command: installs what ferry needs, builds it, generates a sample SQLite
# database of about a million rows and copies it with ferry, so a new user sees a whole run.
# Safe to run again: it rebuilds incrementally and regenerates the sample from scratch.
#   bash scripts/quickstart.sh            (as root, or a user with sudo; Debian 12)
#   FERRY_SAMPLE_DIR=/data/x bash scripts/quickstart.sh   puts the sample elsewhere
set -euo pipefail

started=$SECONDS
cd "$(dirname "${BASH_SOURCE[0]}")/.."

sample_dir=${FERRY_SAMPLE_DIR:-sample}
source_db="$sample_dir/source.sqlite"
copy_db="$sample_dir/copy.sqlite"
ferry=build/tools/ferry

step() { printf '\n==> [%s/5] %s\n' "$1" "$2"; }
elapsed() { printf '%dm%02ds' $(((SECONDS - $1) / 60)) $(((SECONDS - $1) % 60)); }
# SQLite leaves these beside a database; a stale one would be applied to the new file.
remove_db() { rm -f "$1" "$1-journal" "$1-wal" "$1-shm" "$1.ferry_lock"; }

step 1 "Installing build tools, SQLite and the ODBC libraries (Debian packages)"
t=$SECONDS
if [[ $EUID -eq 0 ]]; then
  bash scripts/install-deps.sh
elif command -v sudo >/dev/null; then
  sudo bash scripts/install-deps.sh
else
  echo "quickstart: installing packages needs root; run as root or install sudo" >&2
  exit 1
fi
echo "dependencies ready ($(elapsed "$t"))"

step 2 "Building ferry into ./build (RelWithDebInfo)"
t=$SECONDS
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFERRY_BENCHMARKS=OFF --log-level=WARNING
make --no-print-directory -C build -j"$(nproc)" ferry
echo "built $ferry ($(elapsed "$t"))"

step 3 "Generating the sample source database $source_db"
t=$SECONDS
mkdir -p "$sample_dir"
remove_db "$source_db"
# The SQL prints the journal mode it set; only errors are worth showing.
sqlite3 -bail "$source_db" <scripts/sample/make-sample.sql >/dev/null
sqlite3 -separator ' ' "$source_db" "
  SELECT printf('  %-16s %9d rows', name, n) FROM (
    SELECT 'customers' AS name, count(*) AS n FROM customers
    UNION ALL SELECT 'orders', count(*) FROM orders
    UNION ALL SELECT 'stock_levels', count(*) FROM stock_levels
    UNION ALL SELECT 'event_log', count(*) FROM event_log
    UNION ALL SELECT 'type_edge_cases', count(*) FROM type_edge_cases);"
echo "generated $(du -h "$source_db" | cut -f1) ($(elapsed "$t"))"

step 4 "Copying it with ferry into $copy_db"
remove_db "$copy_db"
echo "\$ $ferry run --source sqlite:$source_db --dest sqlite:$copy_db"
"$ferry" run --source "sqlite:$source_db" --dest "sqlite:$copy_db" && status=0 || status=$?

step 5 "Done in $(elapsed "$started")"
if ((status == 0)); then
  echo "ferry created every table of $source_db in $copy_db and copied its rows (per-table figures above)."
else
  echo "ferry exited with status $status: some tables did not copy (the summary above says which and why)."
fi
echo "Run it yourself: $ferry run --source sqlite:$source_db --dest sqlite:/tmp/mine.sqlite"
echo "  (--truncate to copy again into tables that hold rows; $ferry run --help for the rest)"
exit "$status"
