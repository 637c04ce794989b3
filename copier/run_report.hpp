// The run report page (`ferry report`): one self-contained HTML file made from what the
// destination's run state records (no network, no external scripts, fonts or images: inline CSS,
// inline SVG charts and a small inline script). It shows the run history; for one run a tile per
// table (copied, failed with the error and its advice, warnings), a timeline of its units, the
// time per stage and the throughput over time; and the results of the latest verify and sync.
// Pure logic: tools/ reads the run state and hands it here.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "copier/run_state.hpp"

namespace ferry {

// One run with what was recorded about it.
struct ReportRun {
  RunRecord run;
  std::vector<TableRecord> tables;
  std::vector<UnitRecord> units;
  std::vector<WorkerRecord> workers;  // a shared run's
};

// A line of the run history.
struct ReportHistoryEntry {
  RunRecord run;
  int tables = 0;
  int failed_tables = 0;
  int64_t rows = 0;
};

struct ReportInput {
  std::string destination;  // display form, without secrets
  std::string generated_at;
  std::string version;                      // ferry's
  std::vector<ReportHistoryEntry> history;  // newest first
  ReportRun chosen;                         // the run shown in detail
  // The newest verify and sync runs (other than the chosen one), whose results are shown.
  std::vector<ReportRun> checks;
};

// The timeline draws the units of one run in lanes. A lane source says, per unit (by index in
// ReportRun::units), which lane it is drawn in for the readers' and for the writers' chart (-1:
// not drawn), or nullopt when it cannot say; the page then lays the units out by their overlaps.
enum class LaneRole { kReader, kWriter };
using LaneSource = std::function<std::optional<std::vector<int>>(
    const std::vector<UnitRecord>& units, LaneRole role)>;

// Lanes from the reader and writer threads the unit records name (UnitTiming::reader, writer);
// nullopt when a unit with timing has none recorded.
std::optional<std::vector<int>> ThreadLanes(const std::vector<UnitRecord>& units, LaneRole role);

// Lanes from overlaps: each unit with timing in the lowest lane free when it started, so there
// are as many lanes as units ran at once at the busiest moment; -1 for units without timing.
std::vector<int> OverlapLanes(const std::vector<UnitRecord>& units);

// The page. Every text from the run state is escaped (a table may be named "<script>"), and
// connections lose any password they still carry.
std::string RenderReportHtml(const ReportInput& input, const LaneSource& lanes = ThreadLanes);

// `text` safe inside HTML text and quoted attributes.
std::string HtmlEscape(const std::string& text);

// `text` with passwords in URLs ("user:secret@") and in ODBC strings ("PWD=secret;") replaced
// by "***": the run state records connections without them, and the page makes sure.
std::string WithoutPasswords(const std::string& text);

}  // namespace ferry
