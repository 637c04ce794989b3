#include "drivers/run_store.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <mutex>
#include <thread>

#include "copier/backoff.hpp"
#include "copier/error.hpp"
#include "drivers/run_leases.hpp"
#include "drivers/run_records.hpp"
#include "drivers/run_state_tables.hpp"

namespace ferry {

namespace {

using run_sql::Int;
using run_sql::Num;

class SqlRunStore final : public RunStore {
 public:
  SqlRunStore(std::function<std::unique_ptr<SqlSession>()> open_session, const Dialect& dialect,
              std::string schema, std::string legacy_schema, std::string prefix,
              std::function<std::unique_ptr<ScopeLock>()> try_lock, LockWaits lock_waits,
              std::function<std::string()> lock_holder)
      : open_session_(std::move(open_session)),
        session_(open_session_()),
        dialect_(dialect),
        schema_(std::move(schema)),
        legacy_schema_(std::move(legacy_schema)),
        reading_schema_(schema_),
        prefix_(std::move(prefix)),
        try_lock_(std::move(try_lock)),
        lock_waits_(std::move(lock_waits)),
        describe_holder_(std::move(lock_holder)),
        leases_(open_session_, dialect_, [this](const char* table) { return T(table); }),
        rows_(dialect_, prefix_) {}

  void Prepare() override {
    const std::vector<Table> tables =
        RunStateTables(dialect_, [this](const char* name) { return Home(name); });
    if (!HasColumns(*session_, dialect_, tables)) Build(tables);
    if (schema_ != legacy_schema_) {
      MoveLegacyState(*session_, dialect_, tables, legacy_schema_, prefix_,
                      [this](const std::string& sql) { Exec(sql); });
    }
    reading_schema_ = schema_;
    exists_ = true;
    has_ = {true, true, true, true};
    has_held_keys_ = true;
  }

  // The schema and the missing tables created, and an older ferry's tables given the columns
  // added since.
  void Build(const std::vector<Table>& tables) {
    if (schema_ != legacy_schema_) {
      try {
        // Only where missing: a no-op CREATE SCHEMA IF NOT EXISTS still fires the destination's
        // event triggers (a DDL audit log would log every verify and sync).
        const std::string missing = dialect_.CreateMissingSchemaSql(schema_);
        Exec(missing.empty() ? dialect_.CreateSchemaSql(schema_) : missing);
      } catch (Error& e) {
        e.WithAdvice(fmt::format(
            "ferry keeps its run state in {} {} of the destination, apart from the "
            "application's tables: let ferry's user create it, create it for that user, or "
            "choose another place with --state-schema (FERRY_STATE_SCHEMA)",
            dialect_.engine() == Engine::kMariaDB ? "database" : "schema", schema_));
        throw;
      }
    }
    for (const Table& t : tables) {
      std::optional<Table> found = dialect_.DescribeTable(*session_, t.name);
      if (!found) {
        Exec(dialect_.CreateTableSql(t));
        continue;
      }
      for (size_t c = 0; c < t.columns.size(); ++c) {
        if (!found->FindColumn(t.columns[c].name)) {
          Exec(dialect_.AddColumnSql(t, c));
        }
      }
    }
  }

  std::unique_ptr<ScopeLock> TryLock() override {
    std::unique_ptr<ScopeLock> lock = try_lock_();
    if (lock) {
      std::lock_guard guard(mutex_);
      lock_holder_ = lock->holder();
    }
    return lock;
  }

  std::string LockHolder() override {
    try {
      return describe_holder_ ? describe_holder_() : "";
    } catch (const Error&) {
      return "";  // only a better message was at stake
    }
  }

  void StartRun(const RunRecord& r, const std::vector<TableRecord>& tables,
                const std::vector<UnitRecord>& units) override {
    {
      std::lock_guard guard(mutex_);
      owned_run_ = r.id;
      owner_token_ = r.owner_token;
    }
    Exec(rows_.RunInsert(T("runs"), r),
         fmt::format("SELECT 1 FROM {} WHERE run_id = {}", T("runs"), S(r.id)));
    std::vector<std::string> rows;
    std::vector<std::string> keys;
    for (const TableRecord& t : tables) {
      rows.push_back(rows_.TableValues(r.id, t));
      keys.push_back(fmt::format("run_id = {} AND table_index = {}", S(r.id), Int(t.index)));
    }
    InsertMany("tables", RunRows::TableColumns(), rows, keys);
    rows.clear();
    keys.clear();
    for (const UnitRecord& u : units) {
      rows.push_back(rows_.UnitValues(r.id, u));
      keys.push_back(fmt::format("run_id = {} AND table_index = {} AND part = {}", S(r.id),
                                 Int(u.table), Int(u.part)));
    }
    InsertMany("units", RunRows::UnitColumns(), rows, keys);
  }

  void ClaimRun(const RunRecord& r) override {
    {
      std::lock_guard guard(mutex_);
      owned_run_ = r.id;
      owner_token_ = r.owner_token;
    }
    ExecWaiting("claim run " + r.id + " in",
                fmt::format("UPDATE {} SET status = {}, finished_at = '', summary = 'resumed', "
                            "host = {}, pid = {}, owner_token = {} WHERE run_id = {}",
                            T("runs"), S(RunStatusName(RunStatus::kRunning)), S(r.host), Int(r.pid),
                            S(r.owner_token), S(r.id)));
    Exec(UnspoolSql(T("units"), S(r.id)));
  }

  void SpoolUnit(const std::string& run, int table, int part, int64_t rows, int64_t n) override {
    Exec(SpoolUnitSql(T("units"), S(run), table, part, rows, n) + IfOwned(run));
  }

  // A run this process owns is only written while it still does.
  void FinishRun(const std::string& run, RunStatus status, const std::string& summary) override {
    std::string owned;
    std::optional<std::string> token = TokenOf(run);
    if (token) owned = " AND owner_token = " + S(*token);
    const std::string sql = fmt::format(
        "UPDATE {} SET status = {}, finished_at = {}, summary = {} WHERE run_id = {}{}", T("runs"),
        S(RunStatusName(status)), S(UtcTimestamp()), S(summary), S(run), owned);
    if (token) {
      Exec(sql);
    } else {
      ExecWaiting(fmt::format("record run {} as {} in", run, RunStatusName(status)), sql);
    }
  }

  void UpdateTable(const std::string& run, const TableRecord& t) override {
    Exec(fmt::format(
        "UPDATE {} SET state = {}, created = {}, row_count = {}, byte_count = {}, seconds = {}, "
        "units = {}, units_done = {}, attempts = {}, error = {}, warnings = {}{} WHERE run_id = {} "
        "AND table_index = {}{}",
        T("tables"), S(t.state), Int(t.created), Int(t.rows), Int(t.bytes), Num(t.seconds),
        Int(t.units), Int(t.units_done), Int(t.attempts), S(t.error), S(JoinLines(t.warnings)),
        t.started_at.empty() ? "" : ", started_at = " + S(t.started_at), S(run), Int(t.index),
        IfOwned(run)));
  }

  void FailUnit(const std::string& run, int table, int part, int attempts,
                const std::string& error) override {
    // Never over a done mark: that unit's rows are there. A shared run's unit counts the
    // attempts of every worker that tried it (one that joins again retries failed units).
    const std::string held = HeldBy(run, table, part);
    Exec(fmt::format(
        "UPDATE {} SET state = 'failed', attempts = {}{}, error = {} WHERE run_id = {} AND "
        "table_index = {} AND part = {} AND state <> 'done'{}{}",
        T("units"), held.empty() ? "" : "COALESCE(attempts, 0) + ", Int(attempts), S(error), S(run),
        Int(table), Int(part), IfOwned(run), held));
  }

  void ResetUnits(const std::string& run, int table) override {
    Exec(
        fmt::format("UPDATE {} SET state = 'pending', row_count = 0, byte_count = 0 WHERE "
                    "run_id = {} AND table_index = {}{}",
                    T("units"), S(run), Int(table), IfOwned(run)));
  }

  std::vector<std::string> UnitDoneSql(const std::string& run, int table, int part, int64_t rows,
                                       int64_t bytes, int attempts,
                                       const UnitTiming& timing = {}) override {
    // A shared run's unit: its lease is what this worker must still hold, not the run.
    if (std::optional<std::string> held = leases_.HeldCondition(run, table, part)) {
      std::vector<std::string> out = leases_.FenceSql(run, table, part);
      out.push_back(fmt::format(
          "UPDATE {} SET state = 'done', row_count = {}, byte_count = {}, attempts = "
          "COALESCE(attempts, 0) + {}, error = NULL{} WHERE run_id = {} AND table_index = {} AND "
          "part = {} AND {}",
          T("units"), Int(rows), Int(bytes), Int(attempts), UnitTimingSet(timing), S(run),
          Int(table), Int(part), *held));
      return out;
    }
    std::vector<std::string> out;
    std::string holder;
    std::optional<std::string> token;
    {
      std::lock_guard guard(mutex_);
      holder = lock_holder_;
      if (run == owned_run_) token = owner_token_;
    }
    if (token) {
      // A shared lock on the run's row: a process claiming the run waits for this commit, and
      // this check sees a claim committed before it.
      out.push_back(dialect_.AssertSql(
          fmt::format("EXISTS (SELECT 1 FROM {} WHERE run_id = {} AND owner_token = {}{})",
                      T("runs"), S(run), S(*token), dialect_.SharedLockClause()),
          kRunTakenOver,
          fmt::format("ferry: run {} is no longer owned by this process (another ferry process "
                      "resumed it); this process stops without committing more",
                      run)));
    }
    if (!holder.empty()) {
      const std::string held = dialect_.LockHeldCondition(kRunLockName, holder);
      if (!held.empty()) {
        out.push_back(dialect_.AssertSql(
            held, kRunLockLost,
            fmt::format("ferry: the session holding run {}'s lock is gone (killed, or the "
                        "network cut it); the unit waits until the lock is taken again",
                        run)));
      }
    }
    out.push_back(
        fmt::format("UPDATE {} SET state = 'done', row_count = {}, byte_count = {}, "
                    "attempts = {}, error = NULL{} WHERE run_id = {} AND table_index = {} AND "
                    "part = {}",
                    T("units"), Int(rows), Int(bytes), Int(attempts), UnitTimingSet(timing), S(run),
                    Int(table), Int(part)));
    return out;
  }

  bool UnitCommitted(const std::string& run, int table, int part) override {
    std::unique_ptr<SqlSession> session = open_session_();
    std::optional<std::string> held = leases_.HeldCondition(run, table, part);
    auto rows = session->Query(
        fmt::format("SELECT state FROM {} WHERE run_id = {} AND table_index = {} AND part = {}{}",
                    T("units"), S(run), Int(table), Int(part), held ? " AND " + *held : ""));
    return !rows.empty() && rows[0][0] && *rows[0][0] == "done";
  }

  int EndSessionsOf(const std::string& host, int64_t pid) override {
    const std::string tag = SessionTag(host, pid);
    std::unique_ptr<SqlSession> session = open_session_();
    std::vector<std::string> ids;
    for (const std::string& id : dialect_.TaggedSessions(*session, tag)) {
      // Not allowed to end it (another role's session): the run waits on its locks as any
      // session would, and says nothing it cannot back.
      try {
        dialect_.EndSession(*session, id);
        ids.push_back(id);
      } catch (const Error& e) {
        if (IsTransient(e)) throw;
      }
    }
    // An ended session rolls its transaction back before it goes (MariaDB undoes row by row:
    // minutes for a large unit); what it locked stays locked until then.
    using Clock = std::chrono::steady_clock;
    const Clock::time_point deadline = Clock::now() + std::chrono::minutes(30);
    for (const std::string& id : ids) {
      for (int attempt = 1; dialect_.SessionOpen(*session, id); ++attempt) {
        if (Clock::now() > deadline) {
          throw Error(ErrorCode::kBusy,
                      fmt::format("session {} of the ended ferry process {} on {} is still "
                                  "rolling back after 30 minutes; try again when it is gone",
                                  id, pid, host));
        }
        std::this_thread::sleep_for(BackoffDelay(std::chrono::milliseconds(200), attempt));
      }
    }
    return int(ids.size());
  }

  std::vector<RunRecord> Runs() override {
    std::vector<RunRecord> out;
    if (!Exists()) return out;  // nothing recorded yet: the tables come with the first run
    std::lock_guard session_guard(session_mutex_);
    for (auto& row : Read(rows_.SelectRuns(T("runs"), has_))) out.push_back(rows_.ParseRun(row));
    return out;
  }

  std::vector<TableRecord> Tables(const std::string& run) override {
    std::vector<TableRecord> out;
    if (!Exists()) return out;
    std::lock_guard session_guard(session_mutex_);
    for (auto& row : Read(rows_.SelectTables(T("tables"), run, has_))) {
      out.push_back(rows_.ParseTable(row, run));
    }
    return out;
  }

  std::vector<UnitRecord> Units(const std::string& run) override {
    std::vector<UnitRecord> out;
    if (!Exists()) return out;
    std::lock_guard session_guard(session_mutex_);
    for (auto& row : Read(rows_.SelectUnits(T("units"), run, has_))) {
      out.push_back(rows_.ParseUnit(row, run));
    }
    return out;
  }

  // Reading finds the state where an older ferry kept it (the destination's default schema)
  // until the next run moves it.
  bool Exists() {
    if (!exists_) {
      std::optional<Table> runs = dialect_.DescribeTable(*session_, Name("runs"));
      if (!runs && schema_ != legacy_schema_) {
        runs = dialect_.DescribeTable(*session_, {legacy_schema_, prefix_ + "runs"});
        if (runs) reading_schema_ = legacy_schema_;
      }
      exists_ = runs.has_value();
      has_.owner_token = runs && runs->FindColumn("owner_token");
      has_.leases = runs && runs->FindColumn("lease_ms") && !dialect_.NowMillisSql().empty();
      std::optional<Table> units =
          exists_ ? dialect_.DescribeTable(*session_, Name("units")) : std::optional<Table>();
      std::optional<Table> tables =
          exists_ ? dialect_.DescribeTable(*session_, Name("tables")) : std::optional<Table>();
      has_.timing =
          units && units->FindColumn("reader_thread") && tables && tables->FindColumn("warnings");
      has_.table_start = tables && tables->FindColumn("started_at");
      // Run state of an older ferry has no such table: it never set a key aside.
      has_held_keys_ = exists_ && dialect_.DescribeTable(*session_, Name("held_keys"));
    }
    return exists_;
  }

  void OpenRun(const std::string& run, int64_t lease_ms, int tables) override {
    leases_.Open(run, lease_ms, tables);
  }
  void JoinRun(const std::string& run, const WorkerRecord& worker) override {
    leases_.Join(run, worker);
  }
  void LeaveRun(const std::string& run, const std::string& worker) override {
    leases_.Leave(run, worker);
  }
  bool ClaimUnit(const std::string& run, const std::string& worker, int table, int part,
                 int64_t lease_ms) override {
    return leases_.ClaimUnit(run, worker, table, part, lease_ms);
  }
  void RenewLeases(const std::string& run, const std::string& worker, int64_t lease_ms) override {
    leases_.Renew(run, worker, lease_ms);
  }
  bool ClaimLease(const std::string& run, const std::string& name, const std::string& worker,
                  int64_t lease_ms) override {
    return leases_.ClaimLease(run, name, worker, lease_ms);
  }
  void LeaseDone(const std::string& run, const std::string& name,
                 const std::string& worker) override {
    leases_.LeaseDone(run, name, worker);
  }
  void ReleaseLease(const std::string& run, const std::string& name,
                    const std::string& worker) override {
    leases_.ReleaseLease(run, name, worker);
  }
  int RetryFailed(const std::string& run) override { return leases_.RetryFailed(run); }
  std::vector<WorkerRecord> Workers(const std::string& run) override {
    if (!Exists() || !has_.leases) return {};
    return leases_.Workers(run);
  }

  void HoldForeignKeys(const std::string& run, const std::vector<HeldForeignKey>& keys) override {
    if (keys.empty()) return;
    for (const HeldForeignKey& k : keys) {
      const std::string where = fmt::format("dest_schema = {} AND dest_name = {} AND key_name = {}",
                                            S(k.table.schema), S(k.table.name), S(k.name));
      const std::string values = fmt::format(
          "run_id = {}, definition = {}, ref_schema = {}, ref_name = {}, validated = {}, state = "
          "'dropped'",
          S(run), S(k.definition), S(k.references.schema), S(k.references.name), Int(k.validated));
      const std::string probe = fmt::format("SELECT 1 FROM {} WHERE {}", T("held_keys"), where);
      bool recorded = false;
      {
        std::lock_guard session_guard(session_mutex_);
        recorded = !session_->Query(probe).empty();
      }
      if (recorded) {
        Exec(fmt::format("UPDATE {} SET {} WHERE {}", T("held_keys"), values, where));
        continue;
      }
      Exec(fmt::format("INSERT INTO {} (dest_schema, dest_name, key_name, run_id, definition, "
                       "ref_schema, ref_name, validated, state) VALUES ({}, {}, {}, {}, {}, {}, "
                       "{}, {}, 'dropped')",
                       T("held_keys"), S(k.table.schema), S(k.table.name), S(k.name), S(run),
                       S(k.definition), S(k.references.schema), S(k.references.name),
                       Int(k.validated)),
           probe);
    }
  }

  void ForeignKeyBack(const HeldForeignKey& k, bool not_valid) override {
    const std::string where = fmt::format("dest_schema = {} AND dest_name = {} AND key_name = {}",
                                          S(k.table.schema), S(k.table.name), S(k.name));
    Exec(not_valid
             ? fmt::format("UPDATE {} SET state = 'not valid' WHERE {}", T("held_keys"), where)
             : fmt::format("DELETE FROM {} WHERE {}", T("held_keys"), where));
  }

  std::vector<HeldForeignKey> HeldForeignKeys() override {
    std::vector<HeldForeignKey> out;
    if (!Exists() || !has_held_keys_) return out;
    std::lock_guard session_guard(session_mutex_);
    for (auto& row : session_->Query(RunRows::SelectHeldKeys(T("held_keys")))) {
      out.push_back(rows_.ParseHeldKey(row));
    }
    return out;
  }

  void DeleteRun(const std::string& run) override {
    if (!Exists()) return;
    for (const char* table : {"units", "tables", "runs"}) {
      ExecWaiting("forget run " + run + " in",
                  fmt::format("DELETE FROM {} WHERE run_id = {}", T(table), S(run)), table);
    }
    if (has_.leases) {
      for (const char* table : {"workers", "leases"}) {
        Exec(fmt::format("DELETE FROM {} WHERE run_id = {}", T(table), S(run)));
      }
    }
  }

 private:
  TableName Name(const char* table) const { return {reading_schema_, prefix_ + table}; }
  // Where a state table belongs (Name differs while only an older ferry's state is there).
  TableName Home(const char* table) const { return {schema_, prefix_ + table}; }
  std::string T(const char* table) const { return dialect_.QualifiedName(Name(table)); }
  std::string S(const std::string& value) const { return dialect_.TextLiteral(value); }

  // The owner token of `run` when this process owns it.
  std::optional<std::string> TokenOf(const std::string& run) {
    std::lock_guard guard(mutex_);
    if (run != owned_run_ || owner_token_.empty()) return std::nullopt;
    return owner_token_;
  }
  // A condition for writes about a shared run's unit: only while this worker holds it.
  std::string HeldBy(const std::string& run, int table, int part) {
    std::optional<std::string> held = leases_.HeldCondition(run, table, part);
    return held ? " AND " + *held : "";
  }
  // A condition for writes about `run`'s tables and units: only while this process owns it.
  std::string IfOwned(const std::string& run) {
    std::optional<std::string> token = TokenOf(run);
    if (!token) return "";
    return fmt::format(" AND EXISTS (SELECT 1 FROM {} WHERE run_id = {} AND owner_token = {})",
                       T("runs"), S(run), S(*token));
  }

  // A query on the state session (its mutex held), again on a new session after a transient
  // failure: it was cut while idle, or the destination restarted (a shared run's workers read
  // the units every round, and must not stay on a dead session after the server is back).
  std::vector<SqlSession::Row> Read(const std::string& sql) {
    try {
      return session_->Query(sql);
    } catch (const Error& e) {
      if (!IsTransient(e)) throw;
      session_ = open_session_();
      return session_->Query(sql);
    }
  }

  // A run's state session sits idle through long copies, so it is the one a DBA's idle-session
  // cleanup or a failover is most likely to cut: a transient failure gets one new session. The
  // lost reply may have followed a commit: every write here is idempotent but inserts, which
  // pass `done_probe`, a query that finds what the insert wrote, and are not made again when it
  // finds it.
  void Exec(const std::string& sql, const std::string& done_probe = "") {
    std::lock_guard session_guard(session_mutex_);
    try {
      try {
        session_->Execute(sql);
      } catch (const Error& e) {
        if (!IsTransient(e)) throw;
        session_ = open_session_();
        if (!done_probe.empty() && !session_->Query(done_probe).empty()) return;
        session_->Execute(sql);
      }
    } catch (Error& e) {
      e.WithAdvice(RunStateWriteAdvice(e));
      throw;
    }
  }

  // A write about a run another process may own: that owner, alive but frozen inside a unit's
  // commit (SIGSTOP, a debugger), holds a share lock on the run's row and a write lock on its
  // unit's row until it goes on. Waited for a bounded time, then Error(kBusy) naming who holds
  // the locks; the caller says what to do about the owner.
  void ExecWaiting(const std::string& what, const std::string& sql, const char* table = "runs") {
    if (!lock_waits_) {
      Exec(sql);
      return;
    }
    try {
      lock_waits_(Name(table), what, [&](SqlSession& session) { session.Execute(sql); });
    } catch (Error& e) {
      if (e.code() != ErrorCode::kBusy) e.WithAdvice(RunStateWriteAdvice(e));
      throw;
    }
  }

  // Multi-row inserts, a few hundred rows a statement: a run can have thousands of units.
  // `keys[i]` finds row i: a statement is atomic, so its first row tells whether it committed.
  void InsertMany(const char* table, const std::string& columns,
                  const std::vector<std::string>& rows, const std::vector<std::string>& keys) {
    for (size_t at = 0; at < rows.size(); at += 500) {
      std::string values;
      for (size_t i = at; i < std::min(rows.size(), at + 500); ++i) {
        values += (i > at ? ", " : "") + rows[i];
      }
      Exec(fmt::format("INSERT INTO {} ({}) VALUES {}", T(table), columns, values),
           fmt::format("SELECT 1 FROM {} WHERE {}", T(table), keys[at]));
    }
  }

  std::function<std::unique_ptr<SqlSession>()> open_session_;
  std::unique_ptr<SqlSession> session_;
  const Dialect& dialect_;
  std::string schema_;         // where the state lives
  std::string legacy_schema_;  // where an older ferry kept it
  std::string reading_schema_;
  std::string prefix_;
  std::function<std::unique_ptr<ScopeLock>()> try_lock_;
  LockWaits lock_waits_;
  std::function<std::string()> describe_holder_;  // who holds the run lock, as the server says
  bool exists_ = false;
  RunStateColumns has_;
  bool has_held_keys_ = false;  // the held_keys table, added since
  // Read by writer threads building their commits (UnitDoneSql).
  std::mutex mutex_;
  // The store's session: a shared run's table builders record from writer threads.
  std::recursive_mutex session_mutex_;
  std::string owned_run_;
  std::string owner_token_;
  std::string lock_holder_;
  RunLeases leases_;
  RunRows rows_;
};

}  // namespace

std::unique_ptr<RunStore> MakeSqlRunStore(std::function<std::unique_ptr<SqlSession>()> open_session,
                                          const Dialect& dialect, std::string schema,
                                          std::string legacy_schema, std::string prefix,
                                          std::function<std::unique_ptr<ScopeLock>()> try_lock,
                                          LockWaits lock_waits,
                                          std::function<std::string()> lock_holder) {
  return std::make_unique<SqlRunStore>(
      std::move(open_session), dialect, std::move(schema), std::move(legacy_schema),
      std::move(prefix), std::move(try_lock), std::move(lock_waits), std::move(lock_holder));
}

}  // namespace ferry
