// What a performance engineer reads after a run: per table and per unit, rows, bytes and the
// time spent in each stage (read, convert, waiting on queues, write, commit), and which stage
// bounded the table.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "scheduler/copy_run.hpp"
#include "scheduler/sync_run.hpp"
#include "scheduler/verify_run.hpp"

namespace ferry {

// "read", "convert" or "write": the stage the others waited for.
std::string BoundingStage(const TableOutcome& table);

// What a profile says about the run itself, so two profiles can be compared: which run, which
// ferry, which settings, which host and servers. No secrets: connections are shown without them.
struct ProfileContext {
  std::string run_id;
  std::string version;     // ferry's
  std::string build_type;  // CMAKE_BUILD_TYPE
  std::string source;      // display form, product and version
  std::string destination;
  std::vector<std::pair<std::string, std::string>> settings;  // option and value
};

// A unit's state as profiles and traces name it: "done", "failed", "skipped", or "interrupted"
// for one a stop request rolled back.
const char* UnitStateName(const UnitResult& unit);

// Writes the report as JSON to `path`; throws Error(kIo) naming the file. Stage seconds are
// labelled: a table's and the run's are summed over the threads that ran its units
// ("stages_summed_over_threads"), next to its wall seconds; each unit has its wall-clock start
// and end (seconds since the copy started), attempts, and "interrupted" for a unit a stop
// request rolled back (not "failed"). The host's cores and memory are read here.
void WriteProfile(const CopyReport& report, const std::string& path,
                  const ProfileContext& context = {});

// A verification's profile, in the run profile's shape (so `ferry profile compare` reads both):
// per table its verdict, source rows, wall seconds, where rows were hashed and the seconds its
// range comparisons took summed over the workers ("compare_s"), and each comparison (worker,
// start, end, range); the repair's units as a run's.
void WriteVerifyProfile(const VerifyReport& report, const std::string& path,
                        const ProfileContext& context);

// A sync's profile: per table its mode, rows changed, change-log entries, batches, start and
// wall seconds.
void WriteSyncProfile(const SyncReport& report, const std::string& path,
                      const ProfileContext& context);

// Writes `text` to `path` whole or not at all: through a temporary file beside it and a rename,
// so a reader never sees half a file and an earlier one stays until the new one is complete.
// Throws Error(kIo) naming the file and `what` it is ("profile", "trace").
void WriteWholeFile(const std::string& path, const std::string& text, const std::string& what);

// Throws WriteWholeFile's error now when `path` could not be written (its folder missing or
// not writable), so a long run is not spent before the file is refused. Nothing is left.
void CheckWritable(const std::string& path, const std::string& what);

}  // namespace ferry
