// A small database held in memory behind the engine-neutral interfaces the scheduler uses
// (copier/endpoint.hpp, copier/run_state.hpp), so a run can be tested without a server. It
// behaves as an engine does, not as a script of expected calls: tables of typed rows with their
// primary and unique keys enforced; reads by work unit, in key order, inside a snapshot taken by
// BeginSnapshot; a unit's rows and its run-state "done" mark committed together under one lock,
// or rolled back together; run state (runs, tables, units, the run lock, owner tokens) kept per
// state prefix. Faults are injected where a real engine fails: an error (transient or
// permanent) on the reads or writes of the unit holding a key, a commit whose reply is lost
// after it happened, a unit stalled at a stage until the test releases it, a refused value.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/error.hpp"
#include "copier/run_state.hpp"

namespace ferry::test {

// A value as ferry prints it (FormatValue's canonical text: "42", "2024-01-31", "abc");
// nullopt is NULL.
using Value = std::optional<std::string>;
using Row = std::vector<Value>;

// Column types of the memory engine, with their native spelling set.
ColumnType IntegerType();
ColumnType TextType();
ColumnType DecimalType(int precision, int scale);
Column MakeColumn(std::string name, ColumnType type, bool nullable = true);
// A table of `columns` keyed by the columns named in `key` (in the default schema "main").
Table MakeTable(const std::string& name, std::vector<Column> columns,
                const std::vector<std::string>& key);

// Errors as a server raises them. Transient ones (IsTransient) are worth another attempt.
Error DeadlockError(const std::string& what = "deadlock detected");    // SQLSTATE 40P01
Error ConnectionLost(const std::string& what = "connection reset");    // kConnection, 08006
Error PermissionError(const std::string& what = "permission denied");  // SQLSTATE 42501

// Where a unit can be held: before its read returns its first batch, inside a write, or just
// before its commit applies.
enum class Stage { kRead, kWrite, kCommit };

// A unit held at a stage until Release(). Reached() tells the test the unit is there.
class Stall {
 public:
  // Blocks until a unit reaches the stage (or `timeout` passes); true when one did.
  bool WaitUntilReached(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool Reached();
  void Release();

  // Called by the engine at the stage: holds the calling thread until released (a minute at
  // most).
  void Arrive();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool reached_ = false;
  bool released_ = false;
};

// What the engine saw, in order, for tests to count attempts and measure pauses.
enum class EventKind { kRead, kWrite, kCommit, kRollback, kReplyLost };
struct Event {
  EventKind kind = EventKind::kRead;
  TableName table;
  int part = -1;  // the work unit's part (reads only; -1 elsewhere)
  int64_t rows = 0;
  Value first_key;  // the first key column's value in the first row read, written or committed
  std::chrono::steady_clock::time_point at;
};

// One database. Endpoints connected to it (Connect) share its tables and run state, as
// connections to one server do. Every method is thread-safe.
class MemoryDatabase {
 public:
  explicit MemoryDatabase(std::string name);
  ~MemoryDatabase();
  MemoryDatabase(const MemoryDatabase&) = delete;
  MemoryDatabase& operator=(const MemoryDatabase&) = delete;

  // How the engine presents itself (engine kOther, default schema "main"); change its
  // capabilities (keys_after_load, max_write_sessions, limits) before connecting.
  EndpointInfo& info();
  std::unique_ptr<Endpoint> Connect();

  // Tables and rows, as a test sets them up and reads them back. Insert enforces the table's
  // keys and NOT NULL columns like a unit's commit (Error(kDriver) with the server's SQLSTATE).
  void Create(const Table& table);
  void Insert(const TableName& table, const std::vector<Row>& rows);
  // Rows in the table's key order (insertion order without a key).
  std::vector<Row> Rows(const TableName& table) const;
  std::optional<Table> Describe(const TableName& table) const;
  bool Exists(const TableName& table) const;

  // Faults. A unit is named by a key it holds (the first key column's value, the first
  // column's in a table without a key; nullopt: every unit of the table). Each fires `times` times,
  // then the unit works. A read fault fires when the unit's read has returned `after_batches`
  // batches; a write fault on the write of the batch that holds `key` (any batch when `key` is
  // nullopt).
  void FailRead(const TableName& table, Value key, int times, Error error, int after_batches = 0);
  void FailWrite(const TableName& table, Value key, int times, Error error);
  // The commit of the unit holding `key` happens, but its caller gets ConnectionLost().
  void LoseCommitReply(const TableName& table, Value key, int times = 1);
  // Holds the next unit holding `key` at `stage` until the stall is released.
  std::shared_ptr<Stall> StallUnit(const TableName& table, Value key, Stage stage);
  // Holds every write session being opened until the stall is released: the writers are busy
  // from the start, as behind a slow destination.
  std::shared_ptr<Stall> StallWriteSessions();
  // Refuses `value` in `column` as a CHECK constraint would (SQLSTATE 23514, permanent).
  void RefuseValue(const TableName& table, const std::string& column, const std::string& value);
  // Another process claims recorded run `run` (a new owner token): this one's commits fail.
  void TakeOverRun(const std::string& prefix, const std::string& run);
  // The server goes away (false) or comes back (true): while it is away, opening a session and
  // every read, write and commit on one fails with ConnectionLost(), as a restart would.
  void SetReachable(bool reachable);

  std::vector<Event> Events() const;
  // Read attempts of `table`'s unit `part`, and when each began.
  std::vector<std::chrono::steady_clock::time_point> ReadAttempts(const TableName& table,
                                                                  int part) const;
  // The run state recorded under `prefix`, read like `ferry status` would.
  std::unique_ptr<RunStore> OpenRunStore(const std::string& prefix = kDefaultStatePrefix);

  struct State;  // defined in memory_endpoint.cpp

 private:
  std::shared_ptr<State> state_;
};

}  // namespace ferry::test
