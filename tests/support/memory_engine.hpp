// The inside of tests/support/memory_endpoint: what a memory database holds (values in their
// batch storage, tables, faults to inject, events seen, run state per prefix), its sessions and
// its run store. A unit's "done" mark is a statement the run store hands the unit
// (RunStore::UnitDoneSql); the unit's commit runs it under the same lock as its rows, checking
// the run's owner token first, as the real stores' SQL does.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "copier/batch.hpp"
#include "copier/endpoint.hpp"
#include "copier/run_state.hpp"
#include "tests/support/memory_endpoint.hpp"

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

// An error as a server reports it: `code`, and `sqlstate` as its diagnostic.
Error ServerError(ErrorCode code, const std::string& what, const char* sqlstate,
                  ErrorContext context = {});

// Values. Parse and Format go through ferry's canonical text (ParseValue, FormatValue).
Cell CellOf(const ColumnVector& column, size_t row);
void Append(const Cell& cell, ColumnVector& column);
Cell Parse(const Value& value, const Column& column);
Value Format(const Cell& cell, const Column& column);
// <0, 0, >0 in the column type's order, NULLs last.
int Compare(const Cell& a, const Cell& b, Storage storage);
int CompareOn(const Table& table, const std::vector<int>& columns, const StoredRow& a,
              const StoredRow& b);
// The row's values in `columns`, as one string that is equal exactly when the values are.
std::string Encode(const StoredRow& row, const std::vector<int>& columns);
// "(id)=(42)", as a server names a row in a constraint error.
std::string DescribeKey(const Table& table, const std::vector<int>& columns, const StoredRow& row);
// Whether `row` is in the work unit `range` (key columns as indices into `table`).
bool InRange(const Table& table, const KeyRange& range, const StoredRow& row);
// The column a fault's key is a value of: the table's first key column, or its first column
// while it has no key (a destination table whose key is built after the load).
std::optional<int> FaultColumn(const Table& table);
// Whether one of `rows` holds `key` in the fault column (nullopt: every set of rows does).
bool AnyHolds(const Table& table, const std::vector<StoredRow>& rows, const Value& key);
// Every key and NOT NULL column of `stored` holds; the first violation is thrown, as a
// server's constraint error (SQLSTATE 23502, 23505).
void CheckConstraints(const StoredTable& stored);

enum class FaultKind { kRead, kWrite, kReply };

struct Fault {
  FaultKind kind = FaultKind::kRead;
  TableName table;
  Value key;
  int times = 0;
  std::optional<Error> error;
  int after_batches = 0;
};

struct StallAt {
  TableName table;
  Value key;
  Stage stage = Stage::kRead;
  std::shared_ptr<Stall> stall;
  bool used = false;
};

struct Refusal {
  TableName table;
  std::string column;
  std::string value;
};

// The run state kept under one prefix.
struct RunState {
  bool prepared = false;  // the state tables exist
  bool locked = false;    // a ScopeLock is held
  std::vector<RunRecord> runs;
  std::map<std::string, std::vector<TableRecord>> tables;  // by run id
  std::map<std::string, std::vector<UnitRecord>> units;
};

// What every connection to one memory database shares; `mutex` guards all of it, and the
// methods expect their caller to hold it.
struct Shared {
  std::mutex mutex;
  EndpointInfo info;
  Tables tables;
  std::map<std::string, RunState> run_states;  // by prefix
  bool reachable = true;
  std::vector<Fault> faults;
  std::vector<StallAt> stalls;
  std::shared_ptr<Stall> write_session_stall;  // holds every write session being opened
  std::vector<Refusal> refusals;
  std::vector<Event> events;

  void Record(EventKind kind, const Table& table, int part, const std::vector<StoredRow>& rows);
  // Takes one firing of a matching fault; nullopt when none fires.
  std::optional<Fault> Take(FaultKind kind, const Table& table,
                            const std::function<bool(const Fault&)>& matches);
  // The stall a unit holding one of `rows` meets at `stage`, taken once.
  std::shared_ptr<Stall> TakeStall(Stage stage, const Table& table,
                                   const std::vector<StoredRow>& rows);
  // Throws ConnectionLost() while the server is away.
  void CheckReachable() const;
  // The table, or the server's "does not exist" error.
  StoredTable& Get(const TableName& name);
};

// Sessions: reads by work unit from `snapshot` (the live tables when null); writes staged in a
// unit's transaction and applied at its commit.
std::unique_ptr<ReadSession> NewReadSession(std::shared_ptr<Shared> shared,
                                            std::shared_ptr<const Tables> snapshot);
std::unique_ptr<WriteSession> NewWriteSession(std::shared_ptr<Shared> shared);

std::unique_ptr<RunStore> NewRunStore(std::shared_ptr<Shared> shared, const std::string& prefix);
// Runs a unit's run-state statements inside its commit (caller holds the mutex). Throws like
// the real stores: Error(kDriver) with SQLSTATE kRunTakenOver when the run has another owner.
void RunStatements(Shared& shared, const std::vector<std::string>& statements);
// Gives run `run` a new owner token, as another process resuming it would (mutex held).
void TakeOver(Shared& shared, const std::string& prefix, const std::string& run);

}  // namespace ferry::test::memory
