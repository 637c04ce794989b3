#!/usr/bin/env python3
"""Summarises compare.sh's results.tsv: medians per measurement, then ferry against each peer in
the ratios issue 3's targets are stated in, and ferry's peak memory against its target.

Usage: summarize.py results.tsv [more-results.tsv ...] [--markdown]

Several files (compare.sh's and floors.sh's) are read as one: the floors table then shows the
peers beside the floors. Floors (floors.sh, tool "floor"): a path's floor is its fastest hand-built
pipeline's median plus the median key build on the loaded table (none for a pipeline that loaded
a keyed table, variant without "keyless", on MariaDB); ferry's share of it is floor / ferry, so
">= 0.9" reads "ferry takes at most 1/0.9 of the floor's time".

A ratio is the peer's median seconds over ferry's (how many times faster ferry is), so ">= 1.4"
reads "ferry at least 1.4x faster". MB/s is the source table's heap+TOAST size (PostgreSQL's
pg_table_size, no indexes) over the median: the same volume for every tool. 1 MB = 1e6 bytes.
Only runs whose status is "ok" count; a measurement without one is listed as failed.
"""
import csv
import statistics
import sys
from collections import OrderedDict

MIB = 1024 * 1024
RSS_TARGET_MIB = 256
# Below this many lineitem rows the runs measure start-up more than throughput.
FULL_SIZE_ROWS = 1_000_000

# (what, ferry's measurement, the peer's: tool, path, table, variant prefix, target ratio)
# The peer side takes the best (lowest) median of the variants that match.
TARGETS = [
    ("PG->PG lineitem vs pgcopydb, best variant",
     ("ferry", "pg-pg", "lineitem"), ("pgcopydb", "pg-pg", "lineitem", ""), 1.4),
    ("PG->PG lineitem vs two binary COPY pipes (floor)",
     ("ferry", "pg-pg", "lineitem"), ("psql-pipe", "pg-pg", "lineitem", "binary-2pipes"), 0.9),
    ("PG->PG all 4 tables vs pgcopydb clone, best",
     ("ferry", "pg-pg", "all-4-tables"), ("pgcopydb", "pg-pg", "all-4-tables", "clone"), 1.4),
    ("MariaDB->PG lineitem vs pgloader, best",
     ("ferry", "mariadb-pg", "lineitem"), ("pgloader", "mariadb-pg", "lineitem", ""), 4.0),
    ("SQLite->PG lineitem vs pgloader",
     ("ferry", "sqlite-pg", "lineitem"), ("pgloader", "sqlite-pg", "lineitem", ""), 4.0),
    ("MariaDB->MariaDB lineitem vs mydumper+myloader",
     ("ferry", "mariadb-mariadb", "lineitem"),
     ("mydumper+myloader", "mariadb-mariadb", "lineitem", ""), 2.0),
]


class Measurement:
    def __init__(self, tool, path, table, variant, rows, nbytes):
        self.tool, self.path, self.table, self.variant = tool, path, table, variant
        self.rows, self.bytes = rows, nbytes
        self.seconds, self.cpu, self.rss_kib, self.failures = [], [], [], []
        self.client_cpu = []

    @property
    def ok(self):
        return bool(self.seconds)

    @property
    def median(self):
        return statistics.median(self.seconds)

    def name(self):
        return f"{self.tool} {self.path} {self.table} {self.variant}"


def load(path, groups):
    with open(path, newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            key = (r["tool"], r["path"], r["table"], r["variant"])
            m = groups.get(key)
            if m is None:
                m = groups[key] = Measurement(*key, int(r["rows"]), int(r["bytes"]))
            if r["status"] != "ok":
                m.failures.append(r["status"])
                continue
            m.seconds.append(float(r["seconds"]))
            m.cpu.append(int(r["cpu_pct"]))
            if r["peak_rss_kib"]:
                m.rss_kib.append(int(r["peak_rss_kib"]))
            if r.get("client_cpu_s"):
                m.client_cpu.append(float(r["client_cpu_s"]))
    return groups


def table(header, rows, markdown):
    lines = []
    if markdown:
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
        for r in [header] + rows:
            lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def best(measurements, tool, path, tbl, variant_prefix):
    found = [m for m in measurements if (m.tool, m.path, m.table) == (tool, path, tbl)
             and m.variant.startswith(variant_prefix) and m.ok]
    return min(found, key=lambda m: m.median) if found else None


# Per path and table: where its key build is measured (None: the pipelines build the keys
# themselves, as the whole database's do), the peers to show beside it (tool, variant prefix),
# and the target for ferry as a share of the floor.
FLOOR_PATHS = [
    ("pg-pg", "lineitem", "to-pg", [("pgcopydb", "")], 0.9),
    ("pg-pg", "all-4-tables", None, [("pgcopydb", "clone")], 0.9),
    ("mariadb-pg", "lineitem", "to-pg", [("pgloader", "")], 0.9),
    ("sqlite-pg", "lineitem", "to-pg", [("pgloader", "")], 0.9),
    ("mariadb-mariadb", "lineitem", "mariadb-mariadb", [("mydumper+myloader", "")], 0.9),
]


def floor_table(measurements, markdown):
    """Each path's floor (fastest pipeline + key build), ferry's share of it, and the peers."""
    rows = []
    for path, tbl, key_path, peers, target in FLOOR_PATHS:
        pipes = [m for m in measurements if (m.tool, m.path, m.table) == ("floor", path, tbl)
                 and m.variant != "key-build" and m.ok]
        if not pipes:
            continue
        key = best(measurements, "floor", key_path, tbl, "key-build") if key_path else None
        key_s = key.median if key else None

        def cost(m):
            needs_key = key_path is not None and (path != "mariadb-mariadb" or "keyless" in m.variant)
            return m.median + ((key_s or 0.0) if needs_key else 0.0), needs_key

        fastest = min(pipes, key=lambda m: cost(m)[0])
        floor, needs_key = cost(fastest)
        all_pipes = ", ".join(f"{m.variant} {m.median:.2f}" for m in pipes)
        ferry = best(measurements, "ferry", path, tbl, "")
        peer_cells = []
        for tool, prefix in peers:
            p = best(measurements, tool, path, tbl, prefix)
            if p and ferry:
                peer_cells.append(f"{tool} {p.variant} {p.median:.2f} ({p.median / ferry.median:.2f}x)")
        share = floor / ferry.median if ferry else None
        cpu = (f"{1e6 * statistics.median(ferry.client_cpu) / ferry.rows:.2f}"
               if ferry and ferry.client_cpu else "")
        rows.append([path if tbl == "lineitem" else f"{path} {tbl}", all_pipes, f"{fastest.variant} {fastest.median:.2f}",
                     f"{key_s:.2f}" if needs_key and key_s is not None else
                     ("n/a" if needs_key else "in load" if key_path else "in pipelines"),
                     f"{floor:.2f}" + ("" if key_s is not None or not needs_key else " (no key build)"),
                     f"{ferry.median:.2f}" if ferry else "n/a",
                     f"{share:.2f}x" if share else "n/a", cpu, "; ".join(peer_cells),
                     f">= {target}", ("PASS" if share >= target else "FAIL") if share else ""])
    if not rows:
        return ""
    return ("Floors (floors.sh; lineitem unless named; medians, seconds): floor = fastest pipeline + key build; "
            "share = floor / ferry; ferry CPU = ferry's own user+sys per row\n" +
            table(["path", "pipelines", "fastest", "key build", "floor", "ferry", "share of floor",
                   "ferry CPU us/row", "peers (peer s / ferry s)", "target", "result"],
                  rows, markdown))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    markdown = "--markdown" in sys.argv[2:]
    groups = OrderedDict()
    for path in (a for a in sys.argv[1:] if a != "--markdown"):
        load(path, groups)
    measurements = list(groups.values())
    out = []

    rows = []
    for m in measurements:
        runs = f"{len(m.seconds)}" + (f" ({len(m.failures)} failed)" if m.failures else "")
        if not m.ok:
            rows.append([m.tool, m.path, m.table, m.variant, f"{m.rows}", runs, "FAILED: " +
                         m.failures[0], "", "", "", "", ""])
            continue
        med = m.median
        rss = f"{max(m.rss_kib) / 1024:.0f}" if m.rss_kib else ""
        rows.append([m.tool, m.path, m.table, m.variant, f"{m.rows}", runs, f"{min(m.seconds):.2f}",
                     f"{med:.2f}", f"{m.rows / med:,.0f}", f"{m.bytes / 1e6 / med:.1f}",
                     f"{statistics.median(m.cpu)}", rss])
    out.append("Measurements (medians of the runs; cpu% of the whole machine; peak RSS of the "
               "largest client process)")
    out.append(table(["tool", "path", "table", "variant", "rows", "runs", "min s", "median s",
                      "rows/s", "MB/s", "cpu%", "peak MiB"], rows, markdown))

    floors = floor_table(measurements, markdown)
    if floors:
        out += ["", floors]

    rows = []
    for what, (tool, path, tbl), (ptool, ppath, ptbl, pvar), target in TARGETS:
        mine = best(measurements, tool, path, tbl, "")
        peer = best(measurements, ptool, ppath, ptbl, pvar)
        if mine is None or peer is None:
            missing = "ferry" if mine is None else ptool
            rows.append([what, "", "", "", f">= {target}", f"n/a ({missing} not measured or failed)"])
            continue
        ratio = peer.median / mine.median
        rows.append([what, f"{mine.median:.2f}", f"{peer.median:.2f} ({peer.variant})",
                     f"{ratio:.2f}x", f">= {target}", "PASS" if ratio >= target else "FAIL"])
    out.append("")
    out.append("Targets (issue 3): ratio = peer's median seconds / ferry's")
    out.append(table(["comparison", "ferry s", "peer s (variant)", "ratio", "target", "result"],
                     rows, markdown))

    rows = []
    ferry = [m for m in measurements if m.tool == "ferry" and m.ok and m.rss_kib]
    for m in ferry:
        peak = max(m.rss_kib) / 1024
        rows.append([f"{m.path} {m.table}", f"{m.rows}", f"{peak:.0f}", f"<= {RSS_TARGET_MIB}",
                     "PASS" if peak <= RSS_TARGET_MIB else "FAIL"])
    big = best(measurements, "ferry", "pg-pg", "lineitem", "")
    small = best(measurements, "ferry", "pg-pg", "lineitem-1m", "")
    if big and small and big.rss_kib and small.rss_kib:
        ratio = max(big.rss_kib) / max(small.rss_kib)
        rows.append([f"pg-pg lineitem {big.rows} rows / {small.rows} rows", "",
                     f"{ratio:.2f}x", "0.90-1.10x", "PASS" if 0.9 <= ratio <= 1.1 else "FAIL"])
    out.append("")
    out.append("ferry's peak resident memory (default settings unless FERRY_ARGS said otherwise)")
    out.append(table(["ferry run", "rows", "peak MiB", "target", "result"], rows, markdown)
               if rows else "(no ferry runs)")

    lineitem = [m.rows for m in measurements if m.table == "lineitem"]
    if lineitem and max(lineitem) < FULL_SIZE_ROWS:
        out.append("")
        out.append(f"NOTE: lineitem has {max(lineitem):,} rows: at this size the times are mostly "
                   "start-up, so the ratios say nothing about the targets (defaults: 6M rows).")
    print("\n".join(out))


if __name__ == "__main__":
    main()
