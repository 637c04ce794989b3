#include "scheduler/trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "scheduler/profile.hpp"

namespace ferry {

namespace {

// Whole microseconds: a span and the span nested in it round their shared ends alike, so the
// nested one never pokes out of its parent.
int64_t Micros(double seconds) {
  return int64_t(std::llround(seconds * 1e6));
}

// "writer 12" -> ("writer", 12).
std::pair<std::string, long> ThreadOrder(const std::string& name) {
  const size_t space = name.rfind(' ');
  if (space == std::string::npos) return {name, -1};
  return {name.substr(0, space), std::strtol(name.c_str() + space + 1, nullptr, 10)};
}

// A unit's read on its reader's track and its write, with the commit nested, on its writer's.
void AddUnitSpans(const std::string& table, int units, const UnitResult& u,
                  std::vector<TraceSpan>& spans) {
  const std::string name = fmt::format("{} {}/{}", table, u.part + 1, std::max(units, u.part + 1));
  const nlohmann::json common = {
      {"table", table},         {"part", u.part}, {"units", units},  {"state", UnitStateName(u)},
      {"attempts", u.attempts}, {"rows", u.rows}, {"bytes", u.bytes}};
  if (u.reader >= 0 && u.read_finished_at >= u.started_at) {
    nlohmann::json args = common;
    args["read_s"] = u.times.read;
    args["convert_s"] = u.times.convert;
    args["wait_for_slot_s"] = u.times.wait_slot;
    spans.push_back({fmt::format("reader {}", u.reader), name, "read", u.started_at,
                     u.read_finished_at, args.dump()});
  }
  // ferry run --spool: the unit's batches into a spool file, on its spooler's track.
  const bool spooled = u.spooler >= 0 && u.spool_finished_at >= u.spool_started_at;
  if (spooled) {
    nlohmann::json args = common;
    args["spool_bytes"] = u.spool_bytes;
    args["handed_on"] = u.handed_on;
    spans.push_back({fmt::format("spooler {}", u.spooler), name, "spool write", u.spool_started_at,
                     u.spool_finished_at, args.dump()});
  }
  if (u.writer < 0 || u.write_started_at < 0 || u.finished_at < u.write_started_at) return;
  nlohmann::json args = common;
  args["write_s"] = u.times.write;
  args["wait_for_data_s"] = u.times.wait_data;
  args["commit_s"] = u.times.commit;
  const std::string writer = fmt::format("writer {}", u.writer);
  // A spooled unit's write takes it back from the spool (its first batches only, when it was
  // handed on).
  spans.push_back({writer, name, spooled ? "spool drain" : "write", u.write_started_at,
                   u.finished_at, args.dump()});
  if (u.commit_started_at >= u.write_started_at) {
    spans.push_back({writer, "commit", "commit", u.commit_started_at, u.finished_at,
                     nlohmann::json{{"table", table}, {"part", u.part}}.dump()});
  }
}

}  // namespace

std::vector<TraceSpan> CopySpans(const CopyReport& report) {
  std::vector<TraceSpan> spans;
  for (const TableOutcome& t : report.tables) {
    for (const UnitResult& u : t.unit_results) {
      AddUnitSpans(DisplayName(t.source), t.units, u, spans);
    }
  }
  return spans;
}

std::vector<TraceSpan> VerifySpans(const VerifyReport& report) {
  std::vector<TraceSpan> spans;
  for (const TableVerification& t : report.tables) {
    for (const TableVerification::RangeTiming& r : t.timings) {
      spans.push_back(
          {fmt::format("worker {}", r.worker), DisplayName(t.source),
           r.top ? "compare" : "compare sub-range", r.started_at, r.finished_at,
           nlohmann::json{{"table", DisplayName(t.source)}, {"range", r.range}}.dump()});
    }
  }
  for (const UnitResult& u : report.repair_units) {
    if (u.table < report.tables.size()) {
      AddUnitSpans(DisplayName(report.tables[u.table].source), 0, u, spans);
    }
  }
  return spans;
}

std::vector<TraceSpan> SyncSpans(const SyncReport& report) {
  std::vector<TraceSpan> spans;
  for (const TableSync& t : report.tables) {
    if (t.started_at < 0) continue;
    spans.push_back({"sync 0", DisplayName(t.source), t.mode, t.started_at,
                     t.started_at + t.seconds,
                     nlohmann::json{{"table", DisplayName(t.source)},
                                    {"mode", t.mode},
                                    {"inserted", t.inserted},
                                    {"updated", t.updated},
                                    {"deleted", t.deleted},
                                    {"upserted", t.upserted},
                                    {"log_entries", t.log_entries},
                                    {"batches", t.batches},
                                    {"failed", t.failed}}
                         .dump()});
  }
  return spans;
}

std::string TraceJson(const std::string& title, const std::vector<TraceSpan>& spans,
                      const ProfileContext& context) {
  constexpr int kPid = 1;
  nlohmann::json events = nlohmann::json::array();
  events.push_back({{"ph", "M"},
                    {"pid", kPid},
                    {"tid", 0},
                    {"name", "process_name"},
                    {"args", {{"name", title}}}});
  // Tracks in the order of their kind and number: "reader 2" before "reader 10", readers before
  // writers; each named, and sorted so, by metadata events.
  std::vector<std::string> threads;
  for (const TraceSpan& s : spans) threads.push_back(s.thread);
  std::sort(threads.begin(), threads.end(), [](const std::string& a, const std::string& b) {
    return ThreadOrder(a) < ThreadOrder(b);
  });
  threads.erase(std::unique(threads.begin(), threads.end()), threads.end());
  std::map<std::string, int> tids;
  for (const std::string& thread : threads) {
    const int tid = int(tids.size()) + 1;
    tids[thread] = tid;
    events.push_back({{"ph", "M"},
                      {"pid", kPid},
                      {"tid", tid},
                      {"name", "thread_name"},
                      {"args", {{"name", thread}}}});
    events.push_back({{"ph", "M"},
                      {"pid", kPid},
                      {"tid", tid},
                      {"name", "thread_sort_index"},
                      {"args", {{"sort_index", tid}}}});
  }
  for (const TraceSpan& s : spans) {
    const int64_t start = Micros(s.start);
    events.push_back({{"ph", "X"},
                      {"pid", kPid},
                      {"tid", tids.at(s.thread)},
                      {"name", s.name},
                      {"cat", s.category},
                      {"ts", start},
                      {"dur", std::max<int64_t>(Micros(s.end) - start, 0)},
                      {"args", nlohmann::json::parse(s.args)}});
  }
  nlohmann::json settings = nlohmann::json::object();
  for (const auto& [key, value] : context.settings) settings[key] = value;
  nlohmann::json doc = {{"traceEvents", events},
                        {"displayTimeUnit", "ms"},
                        {"otherData",
                         {{"run_id", context.run_id},
                          {"ferry_version", context.version},
                          {"build_type", context.build_type},
                          {"source", context.source},
                          {"destination", context.destination},
                          {"settings", settings}}}};
  return doc.dump(1) + "\n";
}

void WriteTrace(const std::string& path, const std::string& title,
                const std::vector<TraceSpan>& spans, const ProfileContext& context) {
  WriteWholeFile(path, TraceJson(title, spans, context), "trace");
}

}  // namespace ferry
