// What a performance engineer reads after a run: per table and per unit, rows, bytes and the
// time spent in each stage (read, convert, waiting on queues, write, commit), and which stage
// bounded the table.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "scheduler/copy_run.hpp"

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

// Writes the report as JSON to `path`; throws Error(kIo) naming the file. Stage seconds are
// labelled: a table's and the run's are summed over the threads that ran its units
// ("stages_summed_over_threads"), next to its wall seconds; each unit has its wall-clock start
// and end (seconds since the copy started), attempts, and "interrupted" for a unit a stop
// request rolled back (not "failed"). The host's cores and memory are read here.
void WriteProfile(const CopyReport& report, const std::string& path,
                  const ProfileContext& context = {});

}  // namespace ferry
