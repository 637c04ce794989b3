// `ferry report`: what the destination's run state records, gathered for the report page
// (copier/run_report.hpp draws it).
#pragma once

#include <string>

#include "copier/endpoint.hpp"
#include "copier/run_report.hpp"

namespace ferry {

// The run history (at most kReportHistoryRuns, newest first, with each run's tables and rows),
// the run `run` in detail ("" = the newest copy run, or the newest run when no copy run is
// recorded) and the newest verify and sync runs' results. Throws Error(kNotFound) when no run
// is recorded, or `run` is not.
ReportInput ReadReport(Endpoint& destination, const std::string& state_prefix,
                       const std::string& run);

inline constexpr size_t kReportHistoryRuns = 200;

}  // namespace ferry
