#include "copier/run_report_charts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "copier/catalog.hpp"
#include "copier/run_report.hpp"
#include "copier/text.hpp"

namespace ferry::report {

namespace {

// The drawing area, in the SVG's own units (it scales to the page's width).
constexpr double kWidth = 1000;
constexpr double kGutter = 90;  // lane and axis labels
constexpr double kPlotWidth = kWidth - kGutter - 20;

// A colour per table, far apart for neighbours.
std::string TableColour(int table) {
  return fmt::format("hsl({},55%,52%)", (table * 67) % 360);
}

double X(double t, const TimeSpan& span) {
  return kGutter + (t - span.start) / (span.end - span.start) * kPlotWidth;
}

// Tick marks and labels along the bottom at `y`: five steps from the span's start.
std::string TimeAxis(const TimeSpan& span, double y) {
  std::string out = fmt::format(R"(<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>)", kGutter,
                                y, kWidth - 20, y);
  for (int i = 0; i <= 5; ++i) {
    const double t = span.start + (span.end - span.start) * i / 5;
    out += fmt::format(R"(<line class="tick" x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}"/>)"
                       R"(<text class="label" x="{0:.1f}" y="{3}" text-anchor="middle">{4}</text>)",
                       X(t, span), y, y + 4, y + 16, HtmlEscape(ShortSeconds(t - span.start)));
  }
  return out;
}

}  // namespace

std::string ShortSeconds(double seconds) {
  // Short runs are told apart in milliseconds, long ones in minutes.
  if (seconds < 1) return fmt::format("{:.0f} ms", seconds * 1000);
  if (seconds < 10) return fmt::format("{:.2f} s", seconds);
  if (seconds < 60) return fmt::format("{:.1f} s", seconds);
  const int64_t whole = int64_t(std::llround(seconds));
  if (whole < 3600) return fmt::format("{} min {:02} s", whole / 60, whole % 60);
  return fmt::format("{} h {:02} min", whole / 3600, whole / 60 % 60);
}

TimeSpan UnitSpan(const std::vector<UnitRecord>& units) {
  TimeSpan span;
  bool any = false;
  for (const UnitRecord& u : units) {
    if (!u.timing.Recorded()) continue;
    span.start = any ? std::min(span.start, u.timing.started_at) : u.timing.started_at;
    span.end = any ? std::max(span.end, u.timing.finished_at) : u.timing.finished_at;
    any = true;
  }
  // A run of one instant unit still gets a visible span.
  if (any && !(span.end > span.start)) span.end = span.start + 0.001;
  return span;
}

std::string TimelineSvg(const std::vector<UnitRecord>& units, const std::vector<int>& lanes,
                        const std::string& role, const std::vector<TableRecord>& tables,
                        const TimeSpan& span) {
  std::map<int, std::string> names;
  for (const TableRecord& t : tables) names[t.index] = DisplayName(t.source);
  int lane_count = 0;
  for (int l : lanes) lane_count = std::max(lane_count, l + 1);
  constexpr double kLane = 18;
  const double height = lane_count * kLane + 30;
  std::string out =
      fmt::format(R"(<svg class="timeline" data-role="{}" data-lanes="{}" viewBox="0 0 {} {}" )"
                  R"(role="img" aria-label="units per {}">)",
                  HtmlEscape(role), lane_count, kWidth, height, HtmlEscape(role));
  for (int l = 0; l < lane_count; ++l) {
    out += fmt::format(R"(<text class="label" x="4" y="{:.1f}">{} {}</text>)", l * kLane + 13,
                       HtmlEscape(role), l + 1);
  }
  for (size_t i = 0; i < units.size() && i < lanes.size(); ++i) {
    const UnitRecord& u = units[i];
    if (lanes[i] < 0 || !u.timing.Recorded()) continue;
    const double x = X(u.timing.started_at, span);
    const double w = std::max(1.0, X(u.timing.finished_at, span) - x);
    const double seconds = u.timing.finished_at - u.timing.started_at;
    out += fmt::format(
        R"(<rect class="unit" data-table="{}" data-part="{}" data-lane="{}" x="{:.2f}" )"
        R"(y="{:.1f}" width="{:.2f}" height="{}" fill="{}"><title>{} unit {}: {} rows in {}, )"
        R"({} attempt(s)</title></rect>)",
        u.table, u.part, lanes[i], x, lanes[i] * kLane + 2, w, kLane - 4, TableColour(u.table),
        HtmlEscape(names.count(u.table) ? names[u.table] : fmt::format("table {}", u.table + 1)),
        u.part + 1, Grouped(u.rows), HtmlEscape(ShortSeconds(seconds)), u.attempts);
  }
  out += TimeAxis(span, lane_count * kLane + 6);
  out += "</svg>";
  return out;
}

std::string StageSvg(const std::vector<UnitRecord>& units) {
  struct Stage {
    const char* name;
    const char* what;
    double seconds = 0;
  };
  Stage stages[] = {{"read", "reading from the source"},
                    {"convert", "converting and encoding"},
                    {"wait_for_slot", "readers waiting for a free batch: writers are behind"},
                    {"wait_for_data", "writers waiting for batches: reading is behind"},
                    {"write", "writing to the destination"}};
  for (const UnitRecord& u : units) {
    if (!u.timing.Recorded()) continue;
    stages[0].seconds += u.timing.read;
    stages[1].seconds += u.timing.convert;
    stages[2].seconds += u.timing.wait_slot;
    stages[3].seconds += u.timing.wait_data;
    stages[4].seconds += u.timing.write;
  }
  double most = 0;
  for (const Stage& s : stages) most = std::max(most, s.seconds);
  constexpr double kRow = 26;
  std::string out = fmt::format(
      R"(<svg class="stages" viewBox="0 0 {} {}" role="img" aria-label="time per stage">)", kWidth,
      std::size(stages) * kRow + 4);
  for (size_t i = 0; i < std::size(stages); ++i) {
    const Stage& s = stages[i];
    const double w = most > 0 ? s.seconds / most * (kPlotWidth - 120) : 0;
    const double y = double(i) * kRow;
    out += fmt::format(
        R"(<g class="stage" data-stage="{0}" data-seconds="{1:.3f}"><title>{2}</title>)"
        R"(<text class="label" x="4" y="{3:.1f}">{0}</text>)"
        R"(<rect class="bar stage-{0}" x="{4}" y="{5:.1f}" width="{6:.2f}" height="{7}"/>)"
        R"(<text class="label" x="{8:.2f}" y="{3:.1f}">{9}</text></g>)",
        s.name, s.seconds, s.what, y + 17, kGutter + 30, y + 4, w, kRow - 8, kGutter + 36 + w,
        HtmlEscape(ShortSeconds(s.seconds)));
  }
  out += "</svg>";
  return out;
}

std::string ThroughputSvg(const std::vector<UnitRecord>& units, const TimeSpan& span) {
  constexpr int kBuckets = 60;
  constexpr double kHeight = 160;
  const double bucket = (span.end - span.start) / kBuckets;
  std::vector<double> rows(kBuckets, 0);
  for (const UnitRecord& u : units) {
    if (!u.timing.Recorded() || u.rows <= 0) continue;
    const double a = u.timing.started_at, b = u.timing.finished_at;
    const double per_second = b > a ? double(u.rows) / (b - a) : 0;
    for (int i = 0; i < kBuckets; ++i) {
      const double lo = span.start + i * bucket, hi = lo + bucket;
      const double overlap = std::min(b, hi) - std::max(a, lo);
      if (b > a && overlap > 0) rows[size_t(i)] += per_second * overlap;
      // A unit of no measurable length counts where it ended.
      if (!(b > a) && b >= lo && (b < hi || i == kBuckets - 1)) rows[size_t(i)] += double(u.rows);
    }
  }
  double peak = 0;
  for (double& r : rows) {
    r /= bucket;
    peak = std::max(peak, r);
  }
  std::string points = fmt::format("{:.1f},{:.1f}", kGutter, kHeight);
  for (int i = 0; i < kBuckets; ++i) {
    const double y = peak > 0 ? kHeight - rows[size_t(i)] / peak * (kHeight - 10) : kHeight;
    points += fmt::format(" {:.1f},{:.1f} {:.1f},{:.1f}", X(span.start + i * bucket, span), y,
                          X(span.start + (i + 1) * bucket, span), y);
  }
  points += fmt::format(" {:.1f},{:.1f}", kWidth - 20, kHeight);
  std::string out = fmt::format(
      R"(<svg class="throughput" data-peak="{:.0f}" viewBox="0 0 {} {}" role="img" )"
      R"(aria-label="rows per second over time">)"
      R"(<polygon class="area" points="{}"/>)"
      R"(<text class="label" x="4" y="14">{} rows/s</text><text class="label" x="4" y="{}">0</text>)",
      peak, kWidth, kHeight + 22, points, Grouped(int64_t(peak)), kHeight);
  out += TimeAxis(span, kHeight);
  out += "</svg>";
  return out;
}

}  // namespace ferry::report
