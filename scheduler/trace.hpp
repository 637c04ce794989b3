// A run's timeline in the Chrome trace-event format (the JSON object form, "traceEvents"), which
// Perfetto (ui.perfetto.dev) and chrome://tracing open: one process, one track per reader and
// writer thread, and on them one complete event ("ph": "X") per unit as its reader read it and as
// a writer wrote it, the writer's holding its commit as a nested event. Times are microseconds
// since the copy started. Only the last attempt of a retried unit is on the timeline (its
// attempts are in the event's args).
#pragma once

#include <string>
#include <vector>

#include "scheduler/profile.hpp"

namespace ferry {

// One span on a thread's track: a unit's reading, writing or commit, a verify range's
// comparison. Seconds since the run started; `args` is a JSON object's text ("{}" for none).
struct TraceSpan {
  std::string thread;  // "reader 0", "writer 1", "worker 2": the track
  std::string name;
  std::string category;
  double start = 0;
  double end = 0;
  std::string args = "{}";
};

// The trace document: thread tracks in the order they first appear, named by metadata events;
// spans on a track must nest or follow each other (a thread does one thing at a time).
// `title` names the process ("ferry run 20261206T...").
std::string TraceJson(const std::string& title, const std::vector<TraceSpan>& spans,
                      const ProfileContext& context);

// A copy run's spans: per unit its read on its reader's track, its write (with the commit
// nested) on its writer's; with --spool, a spooled unit's spool write on its spooler's track
// ("spooler N") and its write as "spool drain".
std::vector<TraceSpan> CopySpans(const CopyReport& report);

// A verification's spans: each range comparison on its worker's track ("worker N"), and the
// repair's units on reader and writer tracks as a copy's.
std::vector<TraceSpan> VerifySpans(const VerifyReport& report);

// A sync's spans: each table's sync, one after the other on one track (diff mode, which
// compares tables in parallel, measures no table's start: none).
std::vector<TraceSpan> SyncSpans(const SyncReport& report);

// Writes TraceJson to `path` through a temporary file and a rename (WriteWholeFile).
void WriteTrace(const std::string& path, const std::string& title,
                const std::vector<TraceSpan>& spans, const ProfileContext& context);

}  // namespace ferry
