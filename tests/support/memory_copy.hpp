// Set-ups for scheduler tests on the memory engine (tests/support/memory_endpoint.hpp): a
// table of numbered rows, and one table's copy cut into units and handed to RunPipeline as
// RunPlan hands it, without the rest of a run.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "copier/convert.hpp"
#include "copier/run_state.hpp"
#include "copier/table_plan.hpp"
#include "scheduler/pipeline.hpp"
#include "tests/support/memory_endpoint.hpp"

namespace ferry::test {

// main.<name> (id bigint primary key, label text, amount decimal(12,2)) with rows
// id = first .. first+count-1, each row's label and amount derived from its id.
TableName CreateNumberedTable(MemoryDatabase& database, const std::string& name, int64_t count,
                              int64_t first = 1);
std::vector<Row> NumberedRows(int64_t count, int64_t first = 1);
// The ids of `rows` (column 0), in order.
std::vector<int64_t> Ids(const std::vector<Row>& rows);

// Options for tests: retries without long pauses, small batches so a unit spans several.
EngineOptions QuickOptions();

// One table's copy from `source` into `destination` (created there as a plan would create it),
// cut into `units` key ranges by the planner.
class PipelineCopy {
 public:
  PipelineCopy(MemoryDatabase& source, MemoryDatabase& destination, const TableName& table,
               int units);

  const std::vector<WorkUnit>& units() const { return units_; }
  // The part of the unit whose key range holds id `id`, and the ids it holds (of `ids`).
  int PartHolding(int64_t id) const;
  std::vector<int64_t> IdsOfPart(int part, const std::vector<int64_t>& ids) const;
  // The jobs of every unit, in part order.
  std::vector<UnitJob> Jobs() const;
  std::vector<UnitResult> Run(const EngineOptions& options,
                              const std::function<void(const PipelineProgress&)>& progress = {},
                              const std::function<void(size_t)>& table_done = {});
  // The same with jobs the caller completed (Jobs() with finish and committed, say).
  std::vector<UnitResult> Run(const EngineOptions& options, const std::vector<UnitJob>& jobs,
                              const std::function<void(const PipelineProgress&)>& progress = {});

 private:
  std::unique_ptr<Endpoint> source_;
  std::unique_ptr<Endpoint> destination_;
  TableCopyPlan copy_;
  std::vector<WorkUnit> units_;
  std::unique_ptr<RowConverter> converter_;
};

// How tests read a unit's outcome and a recorded unit's state: one place to follow the shape
// of UnitResult and UnitRecord (the error text, its code, whether it was transient, the errors
// of attempts retried; "done" as a recorded state).
std::string ErrorText(const UnitResult& result);
ErrorCode ErrorCodeOf(const UnitResult& result);
bool Transient(const UnitResult& result);
std::vector<std::string> RetriedErrors(const UnitResult& result);
bool RecordedDone(const UnitRecord& unit);

// Holds a stop request (scheduler/stop.hpp) for the length of a scope: clears any stop left
// over when made, and the one the test made when it ends.
class StopGuard {
 public:
  StopGuard();
  ~StopGuard();
  StopGuard(const StopGuard&) = delete;
  StopGuard& operator=(const StopGuard&) = delete;
};

}  // namespace ferry::test
