#!/usr/bin/env python3
"""Splits one `ferry sync`'s time by what the servers spent on its statements (sync.sh SPLIT=1).

Reads the lines the two PostgreSQL servers logged with log_min_duration_statement=0 after the
given byte offsets, keeps the sessions of the given databases, sorts each statement into a part
of the sync by its text, and prints, per part, the statements and the milliseconds the server
spent on them. What no server statement accounts for (connecting, round trips, ferry's own CPU,
and the time the reader and writer overlap, which makes the parts add up to more than the wall
time) is the wall time less the parts on the critical path, printed as "rest".

Usage: splitsync.py --seconds S --src-log F --src-from N --src-db DB --dst-log F --dst-from N
                    --dst-db DB [--ferry-cpu "U S"] [--statements MS]

With --statements MS (and log_statement_stats, sync.sh CPU=1) it also lists, in time order, every
statement that took at least MS milliseconds of server CPU: when it ended, its session, its CPU
and elapsed milliseconds and the start of its text, which shows each batch's parts (a batch of
updates costs the destination several times what one of inserts does).
"""
import argparse
import re
from collections import OrderedDict

LINE = re.compile(r"^\S+ \S+ \S+ \[\d+\] (?P<user>[^@\s]*)@(?P<db>\S+) LOG:  duration: "
                  r"(?P<ms>[0-9.]+) ms  (?P<what>.*)$")

SOURCE_PARTS = [
    # The purge runs on a thread of its own, after each round of batches has committed.
    ("source: purging the change log", re.compile(r"^(statement|execute[^:]*): DELETE FROM \S*ferry_log_",
                                                  re.I)),
    ("source: reading the change log", re.compile(r"ferry_log_|ferry_track|ferry_consumer", re.I)),
    ("source: reading changed rows", re.compile(r"^(statement|execute[^:]*): COPY \(SELECT|"
                                                r"^(statement|execute[^:]*): SELECT .* WHERE .* (IN|ANY)",
                                                re.I | re.S)),
    ("source: catalog and other", re.compile(r".", re.S)),
]
DEST_PARTS = [
    ("dest: run and sync state", re.compile(r"ferry_state|ferry_runs|ferry_tables|ferry_units|"
                                            r"ferry_sync", re.I)),
    ("dest: deleting", re.compile(r"^(statement|execute[^:]*): DELETE FROM", re.I)),
    ("dest: upserting (temp table, COPY, merge)",
     re.compile(r"ferry_upsert_rows|ON CONFLICT", re.I)),
    ("dest: commit", re.compile(r"^(statement|execute[^:]*): (COMMIT|END)\b", re.I)),
    ("dest: catalog and other", re.compile(r".", re.S)),
]


def statements(path, offset, database):
    """(milliseconds, text) of each statement logged for `database` after byte `offset`."""
    out = []
    with open(path, "rb") as f:
        f.seek(offset)
        current = None
        for raw in f.read().decode("utf-8", "replace").splitlines():
            m = LINE.match(raw)
            if m:
                if current:
                    out.append(current)
                current = None
                if m["db"] == database:
                    current = [float(m["ms"]), m["what"]]
            elif current and raw.startswith(("\t", " ")):
                current[1] += "\n" + raw.strip()
            elif current:
                out.append(current)
                current = None
        if current:
            out.append(current)
    return out


STATS = re.compile(r"^\S+ (?P<time>\S+) \S+ \[(?P<pid>\d+)\] (?P<user>[^@\s]*)@(?P<db>\S+) DETAIL:  ! system "
                   r"usage stats:\n\t!\t(?P<user_s>[0-9.]+) s user, (?P<sys_s>[0-9.]+) s system, "
                   r"(?P<elapsed>[0-9.]+) s elapsed.*?\n\t!\t"
                   r"\[(?P<total_user>[0-9.]+) s user, (?P<total_sys>[0-9.]+) s system total\].*?"
                   r"STATEMENT:  (?P<what>[^\n]*)", re.M | re.S)


def cpu(path, offset, database, parts):
    """With log_statement_stats=on: the server CPU ms of each part's statements (a statement of
    the extended protocol is counted at parse, bind and execute), and of the backends whole
    (their start included)."""
    with open(path, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    totals = OrderedDict((name, 0.0) for name, _ in parts)
    backends = {}
    for m in STATS.finditer(text):
        if m["db"] != database:
            continue
        backends[m["pid"]] = 1000 * (float(m["total_user"]) + float(m["total_sys"]))
        what = "statement: " + m["what"]
        for name, pattern in parts:
            if pattern.search(what):
                totals[name] += 1000 * (float(m["user_s"]) + float(m["sys_s"]))
                break
    return totals, backends


def costly(path, offset, database, side, least_ms):
    """(end time, side, session, CPU ms, elapsed ms, text) of each statement of `database` that
    took at least `least_ms` of server CPU (log_statement_stats)."""
    with open(path, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    out = []
    for m in STATS.finditer(text):
        if m["db"] != database:
            continue
        ms = 1000 * (float(m["user_s"]) + float(m["sys_s"]))
        if ms >= least_ms:
            out.append((m["time"], side, m["pid"], ms, 1000 * float(m["elapsed"]), m["what"]))
    return out


def split(found, parts):
    totals = OrderedDict((name, [0, 0.0]) for name, _ in parts)
    for ms, text in found:
        for name, pattern in parts:
            if pattern.search(text):
                totals[name][0] += 1
                totals[name][1] += ms
                break
    return totals


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, required=True)
    for side in ("src", "dst"):
        p.add_argument(f"--{side}-log", required=True)
        p.add_argument(f"--{side}-from", type=int, required=True)
        p.add_argument(f"--{side}-db", required=True)
    p.add_argument("--ferry-cpu", help="ferry's user and system seconds, \"U S\" (CPU=1)")
    p.add_argument("--statements", type=float, metavar="MS",
                   help="list the statements that took at least MS ms of server CPU (CPU=1)")
    a = p.parse_args()
    src = split(statements(a.src_log, a.src_from, a.src_db), SOURCE_PARTS)
    dst = split(statements(a.dst_log, a.dst_from, a.dst_db), DEST_PARTS)
    wall = a.seconds * 1000
    print(f"  sync wall time {wall:.0f} ms; server time per part (statements, ms, share of wall):")
    server = 0.0
    for name, (n, ms) in list(src.items()) + list(dst.items()):
        server += ms
        print(f"    {name:<44} {n:>6} {ms:>9.0f} ms {100 * ms / wall:>5.1f} %")
    print(f"    {'all server statements (reader and writer overlap)':<44} {'':>6} {server:>9.0f} ms "
          f"{100 * server / wall:>5.1f} %")
    rest = wall - server
    print(f"    {'rest: connecting, round trips, ferry CPU':<44} {'':>6} {rest:>9.0f} ms "
          f"{100 * rest / wall:>5.1f} %  (negative: overlap)")
    src_cpu, src_backends = cpu(a.src_log, a.src_from, a.src_db, SOURCE_PARTS)
    dst_cpu, dst_backends = cpu(a.dst_log, a.dst_from, a.dst_db, DEST_PARTS)
    if not src_backends and not dst_backends:
        return
    print("  server CPU per part (log_statement_stats), ms:")
    for name, ms in list(src_cpu.items()) + list(dst_cpu.items()):
        print(f"    {name:<44} {ms:>9.0f} ms")
    backends = sum(src_backends.values()) + sum(dst_backends.values())
    print(f"    {'backends whole (their start included)':<44} {backends:>9.0f} ms "
          f"({len(src_backends)} source, {len(dst_backends)} destination)")
    if a.ferry_cpu:
        ferry = 1000 * sum(float(x) for x in a.ferry_cpu.split())
        print(f"    {'ferry (user + system)':<44} {ferry:>9.0f} ms; server + ferry "
              f"{backends + ferry:.0f} ms")
    if a.statements is not None:
        print(f"  statements with at least {a.statements:g} ms of server CPU (ended at, server, "
              "session, CPU ms, elapsed ms):")
        found = costly(a.src_log, a.src_from, a.src_db, "source", a.statements) + costly(
            a.dst_log, a.dst_from, a.dst_db, "dest", a.statements)
        for time, side, pid, ms, elapsed, what in sorted(found):
            print(f"    {time} {side:<6} {pid:>7} {ms:>7.1f} {elapsed:>8.1f}  {what[:72]}")


if __name__ == "__main__":
    main()
