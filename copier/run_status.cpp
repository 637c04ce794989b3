#include "copier/run_status.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "copier/catalog.hpp"

namespace ferry {

std::optional<double> ParseUtcTimestamp(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return double(timegm(&tm));
}

RunStatusView MakeRunStatus(const RunRecord& run, const std::vector<TableRecord>& tables,
                            const std::vector<UnitRecord>& units, double now) {
  RunStatusView view;
  view.run = run;
  const bool running = run.status == RunStatus::kRunning;
  const bool shared = run.lease_ms > 0;  // ferry run --join
  for (const TableRecord& t : tables) {
    TableStatus s;
    s.record = t;
    s.unit_attempts.assign(size_t(std::max(t.units, 0)), 0);
    int64_t rows = 0, bytes = 0;
    int done = 0;
    bool claimed = false;    // a shared run's worker holds one of its units
    double first_start = 0;  // the earliest start of its committed units (seconds since 1970)
    for (const UnitRecord& u : units) {
      if (u.table != t.index) continue;
      claimed |= !u.worker.empty();
      if (u.timing.Recorded() && (first_start == 0 || u.timing.started_at < first_start)) {
        first_start = u.timing.started_at;
      }
      if (u.part >= 0 && size_t(u.part) < s.unit_attempts.size()) {
        s.unit_attempts[size_t(u.part)] = u.attempts;
      }
      s.retried_units += u.attempts > 1;
      s.most_attempts = std::max(s.most_attempts, u.attempts);
      if (u.state == UnitRecordState::kSpooled) {
        const std::string unit =
            fmt::format("{} {}/{}", DisplayName(t.source), u.part + 1, std::max(t.units, 1));
        if (running) {
          ++view.units_spooled;
          view.spooled_rows += u.rows;
          view.spooled_bytes += u.bytes;
          view.spooled.push_back(unit);
        } else {
          // The spool went with the run's process.
          ++view.units_spool_lost;
          view.spool_lost.push_back(unit);
        }
      }
      if (u.state != UnitRecordState::kDone) continue;
      rows += u.rows;
      bytes += u.bytes;
      ++done;
    }
    // The unit records are the truth while the table is copied (its own record is written when
    // it ends); a finished table's record has what was made without units too (default rows).
    if (t.state == "running" || t.state == "pending") {
      s.record.rows = rows;
      s.record.bytes = bytes;
      s.record.units_done = done;
      // Its seconds are written when it ends: while it runs, the time since its first unit
      // started (while the run itself still runs; an ended run's running table stopped).
      // A shared run's table keeps no start of its own (its units start in several workers,
      // and only the one that builds it writes its record): its first unit's start stands in,
      // and a table whose units are under way is running, as in a run of one process.
      std::optional<double> table_start = ParseUtcTimestamp(t.started_at);
      if (shared && !table_start && first_start > 0) table_start = first_start;
      if (shared && running && t.state == "pending" && (done > 0 || claimed)) {
        s.record.state = "running";
      }
      if (running && table_start) {
        s.record.seconds = std::max(0.0, now - *table_start);
        s.seconds_so_far = true;
      }
    }
    const bool finished = t.state != "running" && t.state != "pending";
    view.rows += s.record.rows;
    view.bytes += s.record.bytes;
    view.units += t.units;
    view.units_done += s.record.units_done;
    if (view.expected_rows >= 0) {
      if (finished) {
        view.expected_rows += s.record.rows;
      } else if (t.estimated_rows >= 0) {
        view.expected_rows += std::max(t.estimated_rows, s.record.rows);
      } else {
        view.expected_rows = -1;
      }
    }
    view.tables.push_back(std::move(s));
  }
  const auto start = ParseUtcTimestamp(run.started_at);
  const auto end = ParseUtcTimestamp(run.finished_at);
  if (start) view.seconds = std::max(0.0, (end && !running ? *end : now) - *start);
  return view;
}

std::string AttemptsText(const TableStatus& table, size_t most) {
  if (table.retried_units == 0) return table.most_attempts > 0 ? "1" : "-";
  std::string out;
  for (size_t i = 0; i < table.unit_attempts.size() && i < most; ++i) {
    out += fmt::format("{}{}", out.empty() ? "" : " ", table.unit_attempts[i]);
  }
  if (table.unit_attempts.size() > most) out += " ...";
  return out;
}

RecordedError SplitAdvice(const std::string& recorded) {
  static const std::string kMarker = "\n  advice: ";
  const size_t at = recorded.find(kMarker);
  if (at == std::string::npos) return {recorded, ""};
  const size_t end = recorded.find('\n', at + kMarker.size());
  RecordedError out;
  out.advice = recorded.substr(at + kMarker.size(),
                               end == std::string::npos ? end : end - at - kMarker.size());
  out.error = recorded.substr(0, at) + (end == std::string::npos ? "" : recorded.substr(end));
  return out;
}

RunPace PaceOf(const RunStatusView& view, const RunLook& previous, double now) {
  RunPace pace;
  if (previous.run == view.run.id && now > previous.at && view.rows >= previous.rows) {
    pace.rows_per_second = double(view.rows - previous.rows) / (now - previous.at);
    pace.measured = true;
  } else if (view.seconds > 0) {
    pace.rows_per_second = double(view.rows) / view.seconds;
  }
  if (view.run.status == RunStatus::kRunning && view.expected_rows >= 0 &&
      pace.rows_per_second > 0) {
    pace.eta_seconds =
        double(std::max<int64_t>(view.expected_rows - view.rows, 0)) / pace.rows_per_second;
  }
  return pace;
}

}  // namespace ferry
