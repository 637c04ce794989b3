// What a performance engineer reads after a run: per table and per unit, rows, bytes and the
// time spent in each stage (read, convert, waiting on queues, write, commit), and which stage
// bounded the table.
#pragma once

#include <string>

#include "scheduler/copy_run.hpp"

namespace ferry {

// "read", "convert" or "write": the stage the others waited for.
std::string BoundingStage(const TableOutcome& table);

// Writes the report as JSON to `path`; throws Error(kIo) naming the file.
void WriteProfile(const CopyReport& report, const std::string& path);

}  // namespace ferry
