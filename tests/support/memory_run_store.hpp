// The inside of tests/support/memory_endpoint: what the memory database holds (cells in batch
// storage, tables, run state per prefix) and its run store. A unit's "done" mark is a statement
// the run store hands the unit (RunStore::UnitDoneSql) and the unit's commit runs under the same
// lock as its rows, checking the run's owner token first, as the real stores' SQL does.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/run_state.hpp"

namespace ferry::test::memory {

// One value in its column's batch storage: fixed-width values in `fixed`, others in `bytes`.
struct Cell {
  bool null = true;
  int64_t fixed = 0;
  std::string bytes;
};
using StoredRow = std::vector<Cell>;

struct StoredTable {
  Table table;
  std::vector<StoredRow> rows;
};
using Tables = std::map<TableName, StoredTable>;

// The run state kept under one prefix.
struct RunState {
  bool prepared = false;  // the state tables exist
  bool locked = false;    // a ScopeLock is held
  std::vector<RunRecord> runs;
  std::map<std::string, std::vector<TableRecord>> tables;  // by run id
  std::map<std::string, std::vector<UnitRecord>> units;
};

// What every connection to one memory database shares; `mutex` guards all of it.
struct Shared {
  std::mutex mutex;
  EndpointInfo info;
  Tables tables;
  std::map<std::string, RunState> run_states;  // by prefix
};

std::unique_ptr<RunStore> NewRunStore(std::shared_ptr<Shared> shared, const std::string& prefix);
// Runs a unit's run-state statements inside its commit (caller holds the mutex). Throws like
// the real stores: Error(kDriver) with SQLSTATE kRunTakenOver when the run has another owner.
void RunStatements(Shared& shared, const std::vector<std::string>& statements);
// Gives run `run` a new owner token, as another process resuming it would (mutex held).
void TakeOver(Shared& shared, const std::string& prefix, const std::string& run);

}  // namespace ferry::test::memory
