#include "copier/run_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <regex>

#include "copier/catalog.hpp"
#include "copier/progress.hpp"
#include "copier/run_report_charts.hpp"
#include "copier/run_status.hpp"
#include "copier/secrets.hpp"
#include "copier/text.hpp"

namespace ferry {

namespace {

using report::ShortSeconds;

// Text from the run state, for the page: without secrets, escaped.
std::string E(const std::string& text) {
  return HtmlEscape(WithoutPasswords(Redact(text)));
}

std::string TableTitle(const TableRecord& t) {
  const std::string source = DisplayName(t.source);
  const std::string dest = DisplayName(t.destination);
  return dest.empty() || dest == source ? source : source + " \u2192 " + dest;
}

double RunSeconds(const RunRecord& r) {
  const std::optional<double> start = ParseUtcTimestamp(r.started_at);
  const std::optional<double> end = ParseUtcTimestamp(r.finished_at);
  return start && end && *end >= *start ? *end - *start : -1;
}

constexpr const char* kStyle = R"(
:root{--ok:#2e7d32;--bad:#c62828;--warn:#ef6c00;--run:#1565c0;--muted:#666;--line:#ddd}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;
background:#f6f7f9}
header{background:#263238;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#cfd8dc}main{padding:8px 24px 40px;max-width:1200px}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:12px 16px;
margin:16px 0}h2{font-size:16px;margin:0 0 10px}p.note{color:var(--muted);margin:4px 0 8px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;
border-bottom:1px solid var(--line);vertical-align:top}td.n,th.n{text-align:right;
font-variant-numeric:tabular-nums}tr.chosen{background:#e3f2fd}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;
background:var(--muted)}.s-done,.s-identical{background:var(--ok)}.s-failed,.s-differs{background:var(--bad)}
.s-running{background:var(--run)}.s-interrupted{background:var(--warn)}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:10px}
.tile{border:1px solid var(--line);border-left:6px solid var(--muted);border-radius:4px;
padding:8px 10px;overflow-wrap:anywhere}.tile[data-state=done]{border-left-color:var(--ok)}
.tile[data-state=failed]{border-left-color:var(--bad)}.tile[data-state=running]{border-left-color:var(--run)}
.tile[data-state=interrupted]{border-left-color:var(--warn)}.tile h3{font-size:14px;margin:0 0 4px}
.tile dl{display:grid;grid-template-columns:auto 1fr;gap:0 10px;margin:4px 0}.tile dt{color:var(--muted)}
.tile dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}
.error{color:var(--bad);white-space:pre-wrap;margin:6px 0 0}.advice{margin:4px 0 0}
.warnings{color:var(--warn);margin:6px 0 0;padding-left:18px}
svg{width:100%;height:auto;display:block}svg .label{font-size:11px;fill:#444}
svg .axis,svg .tick{stroke:#999}svg rect.unit{stroke:#fff;stroke-width:.5}
svg rect.unit.hl{stroke:#000;stroke-width:2}svg.timeline.dim rect.unit:not(.hl){opacity:.25}
svg .area{fill:#90caf9;stroke:#1565c0}svg .bar{fill:#78909c}svg .stage-wait_for_slot,
svg .stage-wait_for_data{fill:#ffb74d}#summary{font-weight:600}
)";

// Counts what the page shows (the headless-browser test reads them back from the DOM) and
// lights a table's units in the timeline while the pointer is on its tile.
constexpr const char* kScript = R"(
(function () {
  var tiles = document.querySelectorAll('.tile');
  var charts = document.querySelectorAll('svg.timeline');
  var count = {tiles: tiles.length, done: 0, failed: 0, warned: 0, bars: 0};
  tiles.forEach(function (t) {
    if (t.dataset.state === 'done') count.done++;
    if (t.dataset.state === 'failed') count.failed++;
    if (Number(t.dataset.warnings) > 0) count.warned++;
    t.addEventListener('mouseenter', function () { light(t.dataset.table, true); });
    t.addEventListener('mouseleave', function () { light(t.dataset.table, false); });
  });
  charts.forEach(function (c) {
    var n = c.querySelectorAll('rect.unit').length;
    c.dataset.bars = n;
    count.bars = Math.max(count.bars, n);
  });
  function light(table, on) {
    charts.forEach(function (c) {
      c.classList.toggle('dim', on);
      c.querySelectorAll('rect.unit').forEach(function (r) {
        r.classList.toggle('hl', on && r.dataset.table === table);
      });
    });
  }
  var summary = document.getElementById('summary');
  Object.keys(count).forEach(function (k) { summary.dataset[k] = count[k]; });
  summary.textContent = count.tiles + ' tables: ' + count.done + ' done, ' + count.failed +
      ' failed, ' + count.warned + ' with warnings; ' + count.bars + ' units in the timeline';
  summary.dataset.ready = 'yes';
})();
)";

std::string StateBadge(const std::string& state) {
  return fmt::format(R"(<span class="badge s-{0}">{0}</span>)", HtmlEscape(state));
}

std::string HistorySection(const ReportInput& in) {
  std::string out =
      R"(<section id="history"><h2>Runs</h2><table><thead><tr><th>run</th><th>command</th>)"
      R"(<th>status</th><th>started</th><th>finished</th><th class="n">duration</th>)"
      R"(<th class="n">tables</th><th class="n">rows</th><th>summary</th></tr></thead><tbody>)";
  for (const ReportHistoryEntry& h : in.history) {
    const RunRecord& r = h.run;
    const double seconds = RunSeconds(r);
    out += fmt::format(
        R"(<tr class="run{}" data-run="{}" data-command="{}" data-status="{}" data-rows="{}">)"
        R"(<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="n">{}</td>)"
        R"(<td class="n">{}{}</td><td class="n">{}</td><td>{}</td></tr>)",
        r.id == in.chosen.run.id ? " chosen" : "", E(r.id), E(r.command), RunStatusName(r.status),
        h.rows, E(r.id), E(r.command), StateBadge(RunStatusName(r.status)), E(r.started_at),
        E(r.finished_at), seconds >= 0 ? E(FormatDuration(seconds)) : "", h.tables,
        h.failed_tables ? fmt::format(" ({} failed)", h.failed_tables) : "", Grouped(h.rows),
        E(r.summary));
  }
  return out + "</tbody></table></section>";
}

// What is worth a DBA's attention on a table that may have succeeded: units that needed more
// than one attempt, units that failed, and what the run recorded as left out.
std::vector<std::string> Warnings(const TableRecord& t, const std::vector<UnitRecord>& units) {
  std::vector<std::string> out = t.warnings;
  for (const UnitRecord& u : units) {
    if (u.table != t.index) continue;
    const std::string unit =
        fmt::format("unit {}{}", u.part + 1, u.range.empty() ? "" : " " + u.range);
    if (u.state == UnitRecordState::kFailed) {
      // The unit's first line, unless the table's error already says it.
      std::string why = u.error.substr(0, u.error.find('\n'));
      if (why.size() > 240) why = why.substr(0, 240) + "...";
      const bool said = !why.empty() && t.error.find(why) != std::string::npos;
      out.push_back(fmt::format("{} failed after {} attempt(s){}", unit, u.attempts,
                                why.empty() || said ? "" : ": " + why));
    } else if (u.attempts > 1) {
      out.push_back(fmt::format("{} took {} attempts", unit, u.attempts));
    }
  }
  return out;
}

std::string Tile(const TableRecord& t, const std::vector<UnitRecord>& units) {
  const std::vector<std::string> warnings = Warnings(t, units);
  int units_done = 0;
  for (const UnitRecord& u : units)
    units_done += u.table == t.index && u.state == UnitRecordState::kDone;
  units_done = std::max(units_done, t.units_done);
  std::string out = fmt::format(
      R"(<article class="tile" data-table="{}" data-state="{}" data-rows="{}" data-units="{}" )"
      R"(data-units-done="{}" data-warnings="{}"><h3>{}</h3>{}<dl>)",
      t.index, E(t.state), t.rows, t.units, units_done, warnings.size(), E(TableTitle(t)),
      StateBadge(t.state));
  std::string rows = Grouped(t.rows);
  if (t.estimated_rows >= 0) rows += " of ~" + Grouped(t.estimated_rows);
  out += fmt::format("<dt>rows</dt><dd>{}</dd><dt>bytes</dt><dd>{}</dd>", E(rows),
                     E(FormatBytes(t.bytes)));
  if (t.seconds > 0) {
    out += fmt::format("<dt>time</dt><dd>{}</dd><dt>rows/s</dt><dd>{}</dd>",
                       E(ShortSeconds(t.seconds)), Grouped(int64_t(double(t.rows) / t.seconds)));
  }
  out += fmt::format("<dt>units</dt><dd>{} of {}</dd><dt>attempts</dt><dd>{}</dd></dl>", units_done,
                     t.units, t.attempts);
  if (!t.error.empty()) {
    const RecordedError e = SplitAdvice(t.error);
    out += fmt::format(R"(<p class="error">{}</p>)", E(e.error));
    if (!e.advice.empty()) out += fmt::format(R"(<p class="advice">advice: {}</p>)", E(e.advice));
  }
  if (!warnings.empty()) {
    out += R"(<ul class="warnings">)";
    for (const std::string& w : warnings) out += "<li>" + E(w) + "</li>";
    out += "</ul>";
  }
  return out + "</article>";
}

std::string TilesSection(const ReportRun& run) {
  std::string out =
      fmt::format(R"(<section id="tables"><h2>Tables of run {} ({}, {})</h2><div class="tiles">)",
                  E(run.run.id), E(run.run.command), RunStatusName(run.run.status));
  for (const TableRecord& t : run.tables) out += Tile(t, run.units);
  if (run.tables.empty()) out += R"(<p class="note">This run recorded no tables.</p>)";
  return out + "</div></section>";
}

// A shared run's workers (ferry run --join): who took part, and how many units each committed.
std::string WorkersSection(const ReportRun& run) {
  if (run.workers.empty()) return "";
  std::string out = R"(<section id="workers"><h2>Workers of this shared run</h2><table><thead><tr>)"
                    R"(<th>worker</th><th>host</th><th>shard</th><th>started</th><th>state</th>)"
                    R"(<th class="n">units done</th></tr></thead><tbody>)";
  for (const WorkerRecord& w : run.workers) {
    out += fmt::format(
        R"(<tr class="worker" data-units-done="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td>)"
        R"(<td>{}</td><td class="n">{}</td></tr>)",
        w.units_done, E(w.worker), E(w.host), E(w.shard.empty() ? "-" : w.shard), E(w.started_at),
        E(w.state), w.units_done);
  }
  return out + "</tbody></table></section>";
}

std::string TimelineSection(const ReportRun& run, const LaneSource& lanes) {
  const report::TimeSpan span = report::UnitSpan(run.units);
  std::string out = R"(<section id="timeline"><h2>Timeline of units</h2>)";
  if (span.Empty()) {
    return out + R"(<p class="note">No unit of this run recorded its start and end (a run of an )"
                 R"(older ferry, or none committed yet).</p></section>)";
  }
  std::optional<std::vector<int>> readers, writers;
  if (lanes) {
    readers = lanes(run.units, LaneRole::kReader);
    writers = lanes(run.units, LaneRole::kWriter);
  }
  if (readers && writers) {
    out += R"(<p class="note">Each bar is a unit, from its first read to its commit; a lane is )"
           R"(a thread. Hover a table's tile to find its units.</p><h3>readers</h3>)";
    out += report::TimelineSvg(run.units, *readers, "reader", run.tables, span);
    out += "<h3>writers</h3>";
    out += report::TimelineSvg(run.units, *writers, "writer", run.tables, span);
  } else {
    out += R"(<p class="note">Each bar is a unit, from its first read to its commit (a reader )"
           R"(and a writer work on it together). The run state does not say which threads ran )"
           R"(them, so the lanes are laid out from overlaps: as many as units ran at once.)"
           R"( Hover a table's tile to find its units.</p>)";
    out += report::TimelineSvg(run.units, OverlapLanes(run.units), "lane", run.tables, span);
  }
  return out + "</section>";
}

std::string PerformanceSections(const ReportRun& run) {
  const report::TimeSpan span = report::UnitSpan(run.units);
  if (span.Empty()) return "";
  std::string out =
      R"(<section id="stages"><h2>Time per stage</h2><p class="note">Seconds summed over the )"
      R"(units, and so over the threads that ran them side by side (more than the run's wall )"
      R"(time when several ran at once); waits say which side was behind. Commits are not )";
  out += fmt::format(R"(counted. The units ran for {} of wall time.</p>)",
                     E(ShortSeconds(span.end - span.start)));
  out += report::StageSvg(run.units) + "</section>";
  out += R"(<section id="throughput"><h2>Throughput</h2><p class="note">Rows per second )"
         R"(committed, each unit's rows spread evenly over its span.</p>)";
  out += report::ThroughputSvg(run.units, span) + "</section>";
  return out;
}

std::string CheckTable(const ReportRun& run) {
  std::string out = fmt::format(
      R"(<div class="check" data-run="{}" data-command="{}"><h3>{} run {} ({}), {}</h3>)"
      R"(<table><thead><tr><th>table</th><th>result</th><th class="n">rows</th>)"
      R"(<th class="n">time</th><th>detail</th></tr></thead><tbody>)",
      E(run.run.id), E(run.run.command), E(run.run.command), E(run.run.id),
      RunStatusName(run.run.status), E(run.run.started_at));
  for (const TableRecord& t : run.tables) {
    out += fmt::format(
        R"(<tr class="check-table" data-state="{}"><td>{}</td><td>{}</td><td class="n">{}</td>)"
        R"(<td class="n">{}</td><td>{}</td></tr>)",
        E(t.state), E(TableTitle(t)), StateBadge(t.state), Grouped(t.rows),
        E(ShortSeconds(t.seconds)), E(SplitAdvice(t.error).error));
  }
  out += "</tbody></table>";
  if (!run.run.summary.empty()) out += fmt::format(R"(<p class="note">{}</p>)", E(run.run.summary));
  return out + "</div>";
}

std::string ChecksSection(const ReportInput& in) {
  std::string out = R"(<section id="checks"><h2>Verify and sync results</h2>)";
  std::vector<const ReportRun*> runs;
  if (in.chosen.run.command == "verify" || in.chosen.run.command == "sync") {
    runs.push_back(&in.chosen);
  }
  for (const ReportRun& r : in.checks) runs.push_back(&r);
  for (const ReportRun* r : runs) out += CheckTable(*r);
  if (runs.empty()) {
    out += R"(<p class="note">No verify or sync run is recorded in this destination.</p>)";
  }
  return out + "</section>";
}

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string WithoutPasswords(const std::string& text) {
  static const std::regex kUrl(R"(([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):[^@\s/]*@)");
  static const std::regex kOdbc(R"(\b((?:PWD|PASSWORD)\s*=\s*)(\{[^}]*\}|[^;\s]*))",
                                std::regex::icase);
  std::string out = std::regex_replace(text, kUrl, "$1:***@");
  return std::regex_replace(out, kOdbc, "$1***");
}

std::optional<std::vector<int>> ThreadLanes(const std::vector<UnitRecord>& units, LaneRole role) {
  std::vector<int> out(units.size(), -1);
  bool any = false;
  for (size_t i = 0; i < units.size(); ++i) {
    if (!units[i].timing.Recorded()) continue;
    const int thread = role == LaneRole::kReader ? units[i].timing.reader : units[i].timing.writer;
    if (thread < 0) return std::nullopt;
    out[i] = thread;
    any = true;
  }
  if (!any) return std::nullopt;
  return out;
}

std::vector<int> OverlapLanes(const std::vector<UnitRecord>& units) {
  std::vector<size_t> order;
  for (size_t i = 0; i < units.size(); ++i) {
    if (units[i].timing.Recorded()) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return units[a].timing.started_at < units[b].timing.started_at;
  });
  std::vector<int> out(units.size(), -1);
  std::vector<double> lane_free;  // when each lane's last unit ended
  for (size_t i : order) {
    const UnitTiming& t = units[i].timing;
    size_t lane = 0;
    while (lane < lane_free.size() && lane_free[lane] > t.started_at) ++lane;
    if (lane == lane_free.size()) lane_free.push_back(0);
    lane_free[lane] = t.finished_at;
    out[i] = int(lane);
  }
  return out;
}

std::string RenderReportHtml(const ReportInput& in, const LaneSource& lanes) {
  const RunRecord& run = in.chosen.run;
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      // Nothing may be fetched: the page is read offline, attached to tickets, archived.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>ferry report: {}</title><style>{}</style></head><body>",
      E(in.destination), kStyle);
  out += fmt::format(
      R"(<header><h1>ferry report: {}</h1><p>run {} ({}, {}): {} &rarr; {}; generated {} by )"
      R"(ferry {}</p></header><main><p id="summary" data-run="{}"></p>)",
      E(in.destination), E(run.id), E(run.command), RunStatusName(run.status), E(run.source),
      E(run.destination), E(in.generated_at), E(in.version), E(run.id));
  out += TilesSection(in.chosen);
  out += WorkersSection(in.chosen);
  out += TimelineSection(in.chosen, lanes);
  out += PerformanceSections(in.chosen);
  out += ChecksSection(in);
  out += HistorySection(in);
  out += fmt::format("</main><script>{}</script></body></html>\n", kScript);
  return out;
}

}  // namespace ferry
