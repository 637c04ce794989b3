// The report page's charts, as inline SVG (copier/run_report.cpp puts them on the page).
#pragma once

#include <string>
#include <vector>

#include "copier/run_state.hpp"

namespace ferry::report {

// The span the charts share: from the first recorded unit's start to the last one's end.
struct TimeSpan {
  double start = 0;
  double end = 0;
  bool Empty() const { return !(end > start); }
};
TimeSpan UnitSpan(const std::vector<UnitRecord>& units);

// A Gantt chart of `units` in `lanes` (by unit index; -1 not drawn): one bar per unit, coloured
// by table, with its table, part, rows and seconds in its tooltip. `role` names the lanes
// ("reader", "writer", or "lane" when laid out by overlaps).
std::string TimelineSvg(const std::vector<UnitRecord>& units, const std::vector<int>& lanes,
                        const std::string& role, const std::vector<TableRecord>& tables,
                        const TimeSpan& span);

// Seconds in each stage, summed over the units (and so over the threads that ran them).
std::string StageSvg(const std::vector<UnitRecord>& units);

// Rows per second over the run: each unit's rows spread evenly over its span.
std::string ThroughputSvg(const std::vector<UnitRecord>& units, const TimeSpan& span);

// "12.3 s", "4 min 05 s" for a chart's labels.
std::string ShortSeconds(double seconds);

}  // namespace ferry::report
