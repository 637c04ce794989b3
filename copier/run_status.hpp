// What `ferry status` says about a run, live: a table's record is written when the table starts
// and when it ends, but each unit's record commits with the unit's rows, so while a run goes
// on the committed rows and units are counted from the unit records. Also each unit's attempts
// (a table's sum hides which unit was retried), and the run's rate and ETA.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "copier/run_state.hpp"

namespace ferry {

struct TableStatus {
  TableRecord record;  // rows, bytes and units_done from its committed units while it runs
  std::vector<int> unit_attempts;  // by part; 0 for a unit not tried yet
  int retried_units = 0;           // units that took more than one attempt
  int most_attempts = 0;           // of any one unit
  // record.seconds is the time since its first unit started: it is still being copied.
  bool seconds_so_far = false;
};

struct RunStatusView {
  RunRecord run;
  std::vector<TableStatus> tables;
  int64_t rows = 0;           // committed
  int64_t bytes = 0;          // committed
  int64_t expected_rows = 0;  // done tables' rows and the others' estimates; -1 without one
  int units = 0;
  int units_done = 0;
  double seconds = 0;  // from the run's start to its end, or to `now` while it runs
  // ferry run --spool: units read whole into the spool and not committed yet, their
  // rows and the spool files' bytes ("table 3/8"); none once the run ended (the spool goes
  // with its process).
  int units_spooled = 0;
  int64_t spooled_rows = 0;
  int64_t spooled_bytes = 0;
  std::vector<std::string> spooled;
  // Units a run that is not running any more (ended, or its process died) had read into its
  // spool and never committed: they are pending, and a resume copies them again.
  int units_spool_lost = 0;
  std::vector<std::string> spool_lost;
};

// Seconds since the epoch of an ISO 8601 UTC time ("2026-11-22T03:15:00Z"); nullopt otherwise.
std::optional<double> ParseUtcTimestamp(const std::string& text);

// `now`: seconds since the epoch.
RunStatusView MakeRunStatus(const RunRecord& run, const std::vector<TableRecord>& tables,
                            const std::vector<UnitRecord>& units, double now);

// How fast a run goes: between the last two looks when there were two, else on average since
// it started; and the ETA at that rate while it runs (-1: none).
struct RunPace {
  double rows_per_second = 0;
  bool measured = false;  // between two looks
  double eta_seconds = -1;
};
// A look at a run, kept for the next one.
struct RunLook {
  std::string run;
  double at = 0;  // seconds since the epoch
  int64_t rows = 0;
};
RunPace PaceOf(const RunStatusView& view, const RunLook& previous, double now);

// "1 1 3 1" for a table's units' attempts, or "1" when every unit took one; at most `most`
// units listed, then "...".
std::string AttemptsText(const TableStatus& table, size_t most = 12);

// A recorded table error and its advice. The run state keeps an error as ferry rendered it
// (Error::what()), whose advice, chosen from the error's code when it was raised, is its own line.
struct RecordedError {
  std::string error;
  std::string advice;
};
RecordedError SplitAdvice(const std::string& recorded);

}  // namespace ferry
