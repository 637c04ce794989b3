// Runs a copy: prepares every table in scope (refusing bad input before anything is written),
// then copies table after table, recording each one's outcome. A table that fails is rolled
// back and does not stop the others unless fail_fast is set.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/error.hpp"
#include "copier/scope.hpp"
#include "copier/work_unit.hpp"

namespace ferry {

enum class ExistingRows {
  kRefuse,    // a destination table that already holds rows is an error (the default)
  kAppend,    // add to it
  kTruncate,  // empty it first
};

struct CopyOptions {
  Scope scope;
  BatchLimits limits;
  ExistingRows existing_rows = ExistingRows::kRefuse;
  bool fail_fast = false;
};

enum class TableState { kPending, kRunning, kDone, kFailed, kSkipped };
const char* TableStateName(TableState state);

struct TableOutcome {
  TableName source;
  TableName destination;
  TableState state = TableState::kPending;
  bool created = false;
  int64_t estimated_rows = -1;
  int64_t rows = 0;
  int64_t bytes = 0;
  double seconds = 0;
  std::string error;  // full text when failed
  ErrorCode error_code = ErrorCode::kInternal;
};

struct CopyReport {
  std::vector<TableOutcome> tables;
  double seconds = 0;
  int failed() const;
};

// Told what happens, for progress display; called on the thread that runs the copy.
class CopyObserver {
 public:
  virtual ~CopyObserver() = default;
  virtual void Prepared(const std::vector<TableOutcome>& /*tables*/) {}
  virtual void TableStarted(size_t /*index*/, const TableOutcome& /*table*/) {}
  virtual void TableProgress(size_t /*index*/, const TableOutcome& /*table*/) {}
  virtual void TableFinished(size_t /*index*/, const TableOutcome& /*table*/) {}
};

// Throws Error for problems that stop the run before any row is written (unknown table,
// incompatible destination, unmappable type). Failures while copying are in the report.
CopyReport RunCopy(Endpoint& source, Endpoint& destination, const CopyOptions& options,
                   CopyObserver& observer);

}  // namespace ferry
