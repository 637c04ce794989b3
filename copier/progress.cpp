#include "copier/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "copier/text.hpp"

namespace ferry {

namespace {

std::string Rate(int64_t rows, double seconds) {
  if (seconds <= 0) return "- rows/s";
  return Grouped(int64_t(double(rows) / seconds)) + " rows/s";
}

std::string RowsOf(int64_t rows, int64_t expected) {
  if (expected <= 0) return Grouped(rows) + " rows";
  return fmt::format("{} of ~{} rows ({:.1f}%)", Grouped(rows), Grouped(expected),
                     std::min(100.0, 100.0 * double(rows) / double(expected)));
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A rate for JSON: whole rows per second.
int64_t PerSecond(int64_t count, double seconds) {
  return seconds > 0 ? int64_t(double(count) / seconds) : 0;
}

}  // namespace

void RateMeter::Add(double seconds, int64_t rows, int64_t bytes) {
  samples_.push_back({seconds, rows, bytes});
  // Keep one sample older than the window, so the window is measured whole.
  while (samples_.size() > 2 && samples_[1].seconds <= seconds - window_) samples_.pop_front();
}

double RateMeter::rows_per_second() const {
  if (samples_.size() < 2) return 0;
  const double span = samples_.back().seconds - samples_.front().seconds;
  return span > 0 ? double(samples_.back().rows - samples_.front().rows) / span : 0;
}

double RateMeter::bytes_per_second() const {
  if (samples_.size() < 2) return 0;
  const double span = samples_.back().seconds - samples_.front().seconds;
  return span > 0 ? double(samples_.back().bytes - samples_.front().bytes) / span : 0;
}

OverallProgress Summarize(const RunProgress& run, const RateMeter& rate) {
  OverallProgress o;
  o.seconds = run.seconds;
  o.tables = int(run.tables.size());
  bool estimated = true;
  for (const TableProgress& t : run.tables) {
    o.rows += t.rows;
    o.bytes += t.bytes;
    o.units += t.units;
    o.units_done += t.units_done;
    o.tables_done += t.finished || t.failed;
    if (t.finished || t.failed) {
      o.expected_rows += t.rows;
    } else if (t.estimated_rows >= 0) {
      o.expected_rows += std::max(t.estimated_rows, t.rows);
    } else {
      estimated = false;
    }
  }
  double active_rows = 0, active_bytes = 0;
  for (const TableProgress& t : run.tables) {
    if (t.finished || t.failed) continue;
    active_rows += t.rows_per_second;
    active_bytes += t.bytes_per_second;
  }
  o.rows_per_second = active_rows > 0 ? active_rows : rate.rows_per_second();
  o.bytes_per_second = active_rows > 0 ? active_bytes : rate.bytes_per_second();
  if (!estimated) {
    o.expected_rows = -1;
    return o;
  }
  o.percent = o.expected_rows > 0 ? 100.0 * double(o.rows) / double(o.expected_rows) : 100.0;
  const int64_t left = o.expected_rows - o.rows;
  if (left <= 0) {
    o.eta_seconds = 0;
  } else if (o.rows_per_second > 0) {
    o.eta_seconds = double(left) / o.rows_per_second;
  }
  return o;
}

std::string FormatDuration(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return "-";
  const int64_t s = int64_t(std::llround(seconds));
  return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

std::string FormatBytes(int64_t bytes) {
  const double b = double(bytes);
  if (b >= 1e9) return fmt::format("{:.1f} GB", b / 1e9);
  if (b >= 1e6) return fmt::format("{:.1f} MB", b / 1e6);
  if (b >= 1e3) return fmt::format("{:.1f} kB", b / 1e3);
  return fmt::format("{} B", bytes);
}

std::string TableProgressLine(const TableProgress& t, size_t name_width) {
  const int64_t expected = t.finished ? -1 : t.estimated_rows;
  return fmt::format("{:<{}}  {}  {}  {}  {}/{} units", t.name, name_width,
                     RowsOf(t.rows, expected), FormatBytes(t.bytes), Rate(t.rows, t.seconds),
                     t.units_done, t.units);
}

std::string OverallProgressLine(const OverallProgress& o) {
  std::string line = fmt::format("{}/{} tables  {}  {}  {} rows/s  {:.1f} MB/s", o.tables_done,
                                 o.tables, RowsOf(o.rows, o.expected_rows), FormatBytes(o.bytes),
                                 Grouped(int64_t(o.rows_per_second)), o.bytes_per_second / 1e6);
  if (o.expected_rows >= 0) line += "  ETA " + FormatDuration(o.eta_seconds);
  return line;
}

std::string ProgressJson(const std::string& time, const RunProgress& run,
                         const OverallProgress& o) {
  nlohmann::json tables = nlohmann::json::array();
  for (const TableProgress& t : run.tables) {
    if (!t.started || t.finished || t.failed) continue;
    tables.push_back({{"table", t.name},
                      {"rows", t.rows},
                      {"estimated_rows", t.estimated_rows},
                      {"bytes", t.bytes},
                      {"units", t.units},
                      {"units_done", t.units_done},
                      {"seconds", t.seconds},
                      {"rows_per_second", PerSecond(t.rows, t.seconds)}});
  }
  nlohmann::json out = {{"time", time},
                        {"event", "progress"},
                        {"seconds", o.seconds},
                        {"rows", o.rows},
                        {"expected_rows", o.expected_rows},
                        {"bytes", o.bytes},
                        {"tables", o.tables},
                        {"tables_done", o.tables_done},
                        {"units", o.units},
                        {"units_done", o.units_done},
                        {"percent", o.percent},
                        {"rows_per_second", int64_t(o.rows_per_second)},
                        {"bytes_per_second", int64_t(o.bytes_per_second)},
                        {"eta_seconds", o.eta_seconds},
                        {"active", tables}};
  return Dump(out);
}

std::string TableDoneJson(const std::string& time, const TableProgress& t) {
  nlohmann::json out = {{"time", time},         {"event", t.failed ? "table_failed" : "table_done"},
                        {"table", t.name},      {"rows", t.rows},
                        {"bytes", t.bytes},     {"units", t.units},
                        {"seconds", t.seconds}, {"rows_per_second", PerSecond(t.rows, t.seconds)}};
  return Dump(out);
}

std::string EventJson(const std::string& time, const std::string& event, const std::string& text) {
  return Dump({{"time", time}, {"event", event}, {"message", text}});
}

}  // namespace ferry
