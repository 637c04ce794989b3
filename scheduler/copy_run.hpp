// Runs a copy: prepares every table in scope (refusing bad input before anything is
// written), creates missing tables, cuts tables into work units, then runs them through the
// parallel pipeline and reports each table's outcome. A table that fails does not stop the
// others unless fail_fast is set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/error.hpp"
#include "copier/planner.hpp"
#include "copier/scope.hpp"
#include "copier/work_unit.hpp"
#include "scheduler/pipeline.hpp"

namespace ferry {

enum class ExistingRows {
  kRefuse,    // a destination table that already holds rows is an error (the default)
  kAppend,    // add to it
  kTruncate,  // empty it first
};

struct CopyOptions {
  Scope scope;
  EngineOptions engine;
  PartitionOptions partitions;
  Consistency consistency = Consistency::kSnapshot;
  ExistingRows existing_rows = ExistingRows::kRefuse;
  bool explain_only = false;  // plan and print, copy nothing
  // Create primary keys before loading even where building them afterwards is faster.
  bool keys_first = false;
};

enum class TableState { kPending, kRunning, kDone, kFailed, kSkipped };
const char* TableStateName(TableState state);

struct TableOutcome {
  TableName source;
  TableName destination;
  TableState state = TableState::kPending;
  bool created = false;
  bool pass_through = false;
  int64_t estimated_rows = -1;
  int64_t rows = 0;
  int64_t bytes = 0;
  double seconds = 0;      // from the first unit's start to the last unit's commit
  double key_seconds = 0;  // building the primary key after the load
  int units = 0;
  int units_done = 0;
  std::string strategy;  // how it was split, and why
  std::string reason;
  std::string read_method;
  std::string write_method;
  StageTimes times;  // summed over units
  std::vector<UnitResult> unit_results;
  std::string error;  // full text when failed
  ErrorCode error_code = ErrorCode::kInternal;
};

struct CopyReport {
  std::vector<TableOutcome> tables;
  std::string consistency;  // what the source snapshot guarantees
  double seconds = 0;
  int failed() const;
};

// Told what happens, for display; always called on the thread that called RunCopy.
class CopyObserver {
 public:
  virtual ~CopyObserver() = default;
  virtual void Prepared(const CopyReport& /*report*/) {}
  virtual void Progress(const CopyReport& /*report*/) {}
  virtual void Finished(const CopyReport& /*report*/) {}
};

// Throws Error for problems that stop the run before any row is written (unknown table,
// incompatible destination, unmappable type). Failures while copying are in the report.
CopyReport RunCopy(Endpoint& source, Endpoint& destination, const CopyOptions& options,
                   CopyObserver& observer);

}  // namespace ferry
