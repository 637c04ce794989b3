// Change logs and sync positions for SQL databases: the log tables, their bookkeeping and the
// queries that read and purge them, the same for every engine; what an engine does its own way
// (triggers, transactions, locks, the write fence) is its ChangeLogEngine, in its folder
// (drivers/postgres/postgres_change_log.cpp, ...), which its Dialect::ChangeLog hands out.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "copier/change_tracking.hpp"
#include "drivers/sql/dialect.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry {

// One tracked table's change log, as its engine's statements need it named.
struct ChangeLog {
  const Table* table = nullptr;
  std::string log;   // the log table, qualified
  std::string base;  // ferry_log_<table>: triggers and functions are this with a suffix
  std::string seq;   // the log's sequence column, quoted
  std::string op;    // its operation column ('I', 'U', 'D'; 'S' marks SQLite's start), quoted
};

// "INSERT INTO target (op, k1, k2) VALUES ('x', ROW.k1, ROW.k2)": a trigger's log entry.
std::string LogInsertSql(const Dialect& dialect, const ChangeLog& log, const std::string& target,
                         char op, const char* row);

// What an engine does its own way with change logs.
class ChangeLogEngine {
 public:
  virtual ~ChangeLogEngine() = default;
  // The statement making the log's next entry number `first`.
  virtual std::string StartNumberingSql(const ChangeLog& log, int64_t first) const = 0;
  // The triggers writing the table's changes into its log (an update that changes the key logs
  // a delete of the old key, then an insert of the new one), and the statements dropping them.
  virtual std::vector<std::string> TriggerSql(const ChangeLog& log) const = 0;
  virtual std::vector<std::string> DropTriggersSql(const ChangeLog& log) const = 0;
  // Starts a transaction that writes even in a database fenced read-only (the log and its
  // bookkeeping are ferry's own) and, where rows cannot be locked, holds the write lock from
  // the start; what follows a SELECT to lock its rows ("" where the transaction does).
  virtual std::string BeginWriteSql() const = 0;
  virtual std::string LockRowsClause() const { return " FOR UPDATE"; }
  // The same for ferry's bookkeeping (a consumer's registration, a purge), whose loss in a
  // crash only makes the log keep entries longer (a lost first registration shows as a gap at
  // the next sync, never as missed changes): where the engine can, its commit does not wait
  // for the disk.
  virtual std::string BeginBookkeepingSql() const { return BeginWriteSql(); }
  // Whether DDL runs inside a transaction, so writers see the triggers and the log appear
  // together; and the statements that bound DDL lock waits to `seconds` (run before BEGIN,
  // and after it).
  virtual bool TransactionalDdl() const { return true; }
  // Where DDL is not transactional: whether every trigger of `log` is there (a `track enable`
  // killed between its statements leaves the log without them, and a log without its triggers
  // would look tracked while it records nothing).
  virtual bool TriggersComplete(SqlSession& /*session*/, const ChangeLog& /*log*/) const {
    return true;
  }
  virtual std::vector<std::string> DdlLockWaitSql(int /*seconds*/, bool /*in_transaction*/) const {
    return {};
  }
  // The largest sequence number below which no entry can still appear: `max_sql` (the log's
  // largest number) read once writers in flight are done.
  virtual int64_t StableSequence(SqlSession& session, const ChangeLog& log,
                                 const std::string& max_sql, int lock_wait_seconds) const = 0;
  // Engines whose log reads need not wait for writers (log numbers taken at write time, and
  // other sessions' transactions visible): the transactions open now, each named so that a later
  // call names it the same while it lasts. nullopt: StableSequence waits for writers instead.
  virtual std::optional<std::vector<std::string>> OpenTransactions(SqlSession& /*session*/) const {
    return std::nullopt;
  }
  // Whether a primary or unique key of `table` may be checked at commit (ChangeTracker::
  // KeysMayRepeat); false where the engine checks every key at each row.
  virtual bool DeferrableKeys(SqlSession& /*session*/, const Table& /*table*/) const {
    return false;
  }
  // A query true when the database refuses writes (nullopt: the engine cannot tell), and the
  // fence that makes it refuse them, returning the statement that undoes it.
  virtual std::optional<std::string> RefusesWritesSql() const { return std::nullopt; }
  virtual std::string Fence(SqlSession& session) const = 0;
};

// How far a sync may read `log` now without waiting for its writers, `first` being the first
// number the log can hold above what the sync applied (ChangeTracker::Horizon); engines without
// OpenTransactions wait for writers (StableSequence) and leave no gaps.
LogHorizon ReadLogHorizon(SqlSession& session, const ChangeLogEngine& engine, const ChangeLog& log,
                          int64_t first, int lock_wait_seconds);
// Which of `writers` are still open (all of them where the engine cannot tell).
std::vector<std::string> StillOpen(SqlSession& session, const ChangeLogEngine& engine,
                                   const std::vector<std::string>& writers);

// Where a purge down to `floor` (what every consumer applied) stops: the last entry at or below
// it, so the DELETE's scan ends on a committed entry, not on one a writer still holds (the first
// of a pending gap), which it would wait for.
int64_t PurgeBound(SqlSession& session, const ChangeLog& log, int64_t floor);

// `open_session` gives a new connection for work that needs its own transaction (taking a lock,
// installing triggers atomically). Throws Error(kUsage) for engines without triggers.
std::unique_ptr<ChangeTracker> MakeSqlChangeTracker(
    const Dialect& dialect, std::function<std::unique_ptr<SqlSession>()> open_session);

// The sync positions live in `schema`, with the run state; a table an older ferry kept in
// `legacy_schema` (the destination's default schema) is moved there by Prepare.
std::unique_ptr<SyncStateStore> MakeSqlSyncState(std::unique_ptr<SqlSession> session,
                                                 const Dialect& dialect, std::string schema,
                                                 std::string legacy_schema, std::string prefix);

// The change log's name for `table`: ferry_log_<table>, shortened with a hash where the
// engines' identifier limits (63 bytes) would cut it.
TableName ChangeLogName(const TableName& table);

}  // namespace ferry
