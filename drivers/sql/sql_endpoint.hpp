// The part of an Endpoint that is the same whatever carries the SQL: catalog, type mapping and
// DDL through the dialect on one catalog session. Each engine's endpoint (drivers/postgres,
// drivers/mariadb, drivers/sqlite, and the plain ODBC one in drivers/odbc) adds its readers and
// writers and the sessions they run on.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "copier/endpoint.hpp"
#include "drivers/engine.hpp"
#include "drivers/sql/dialect.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry {

class SqlEndpoint : public Endpoint {
 public:
  const EndpointInfo& info() const override { return info_; }
  std::vector<TableName> ListTables() override;
  std::optional<Table> DescribeTable(const TableName& name) override;
  void DescribeAhead(const std::vector<TableName>& names) override;
  void ForgetDescriptions(const std::vector<TableName>& names) override;
  TableName DestinationName(const TableName& source, Engine source_engine) const override;
  ColumnType MapType(const ColumnType& type, Engine source_engine) const override;
  std::string NameProblem(const std::string& name) const override;
  void CreateTable(const Table& table) override;
  void TryCreateTable(const Table& table, const std::vector<Index>& indexes) override;
  void AddPrimaryKey(const Table& table) override;
  void CreateIndex(const Table& table, const Index& index) override;
  void CreateForeignKey(const Table& table, const ForeignKey& fk) override;
  std::vector<std::string> AddChecks(const Table& table) override;
  void SyncIdentity(const Table& table, const std::vector<IdentityNext>& next = {}) override;
  std::vector<IdentityNext> IdentityCounters(const Table& table) override;
  void DropTable(const TableName& name) override;
  // PostgreSQL and MariaDB spell it alike; asked only where ListSequences found one.
  void DropSequence(const TableName& name) override {
    RunWithLockWaits(name, "drop", {"DROP SEQUENCE IF EXISTS " + dialect_->QualifiedName(name)});
  }
  void TruncateTable(const TableName& name) override;
  bool HasRows(const TableName& name) override;
  std::string DanglingReference(const Table& table, const ForeignKey& fk) override;
  int64_t CountRows(const Table& table) override;
  std::vector<ValueScanResult> ScanValues(const Table& table,
                                          const std::vector<ValueScan>& scans) override;
  std::vector<std::pair<std::string, std::string>> OtherObjects(const std::string& schema) override;
  Table FitKeys(const Table& table) const override { return dialect_->FitKeys(table); }
  std::vector<int64_t> LongestValues(const Table& table, const std::vector<int>& columns) override;
  void InsertDefaultRows(const Table& table, int64_t rows) override;
  std::optional<bool> HasPrivilege(const TableName& table, Privilege privilege) override;
  std::optional<int64_t> SessionHeadroom() override;  // session_headroom.cpp
  std::string BeginSnapshot(Consistency consistency) override;
  // Lets the run's snapshot go (drivers/open.hpp EndSnapshot): no read session may be opened
  // afterwards.
  void EndSnapshot();
  std::vector<std::pair<std::string, std::string>> SnapshotPosition() override;
  std::unique_ptr<RunStore> OpenRunStore(const std::string& prefix) override;
  std::unique_ptr<ChangeTracker> OpenChangeTracker() override;
  std::unique_ptr<SyncStateStore> OpenSyncState(const std::string& prefix) override;
  std::vector<std::vector<std::string>> SampleKeys(const Table& table, const std::vector<int>& key,
                                                   size_t count) override;

  // Runs `work` with short lock waits, again with growing pauses while other sessions hold
  // locks on any of `tables` (naming them through NoticeWait), on `on` when given (a schema
  // clone's session, with the dump's settings), else on a fresh session each try; `what` says
  // what it does ("build index x on"). Throws Error(kBusy) naming the holders after the last
  // try. Where the engine bounds no lock waits, `work` runs once.
  void WithLockWaits(const std::vector<TableName>& tables, const std::string& what,
                     const std::function<void(SqlSession&)>& work, SqlSession* on = nullptr);
  // A schema clone's object created after the data, by `run` on `session`, with those waits.
  void CreateAfterData(SqlSession& session, const SchemaObject& object,
                       const std::function<void()>& run);
  // How long waits for other sessions' locks last in all (EndpointOptions::lock_wait, set by
  // OpenEndpoint once the end is open); an engine with waits of its own applies it to them.
  virtual void SetLockWait(int seconds) { lock_wait_ = seconds; }

 protected:
  // A new connection to this end, with the dialect's session settings applied.
  virtual std::unique_ptr<SqlSession> OpenSqlSession() = 0;
  // A new connection like the catalog session's, after the first was lost (ReconnectingSession);
  // nullptr where there is nothing to reconnect to.
  virtual std::unique_ptr<SqlSession> ReopenCatalog() { return nullptr; }
  // Starts a reader's transaction inside the run's snapshot (when BeginSnapshot asked for one).
  void JoinSnapshot(SqlSession& reader) const;

  // `info` needs engine, product, version and display; the rest is filled here.
  SqlEndpoint(std::unique_ptr<Dialect> dialect, std::unique_ptr<SqlSession> catalog,
              EndpointInfo info);

  const Dialect& dialect() const { return *dialect_; }
  // Forgets every description DescribeAhead kept: a table is about to be created, altered or
  // dropped here.
  void ShapesChanging();

  SqlSession& catalog() { return *catalog_; }
  int lock_wait() const { return lock_wait_; }
  // The sessions holding locks on `tables`, one "\n    " line each (Dialect::LockHolders), or
  // a line saying the server does not tell.
  std::string LockHolderLines(SqlSession& session, const std::vector<TableName>& tables) const;

 private:
  // Runs `sql` on a connection of its own, naming the table in errors.
  void RunOnOwnSession(const TableName& name, const std::vector<std::string>& sql);
  void RunDdl(const TableName& name, const std::string& sql);
  // Runs `sql` on a session of its own with short lock waits, again with growing pauses while
  // other sessions hold locks on `name` (naming them through NoticeWait); `what` says what the
  // statement does ("empty", "drop"). Throws Error(kBusy) naming the holders after the last try.
  void RunWithLockWaits(const TableName& name, const std::string& what,
                        const std::vector<std::string>& sql);
  void AddForeignKeyOn(SqlSession& session, const Table& table, const ForeignKey& fk);
  // Adds advice to a refused foreign key whose columns differ in type from the referenced ones.
  void ExplainTypeMismatch(SqlSession& session, const Table& table, const ForeignKey& fk,
                           Error& error) const;

  std::unique_ptr<Dialect> dialect_;
  std::unique_ptr<SqlSession> catalog_;
  EndpointInfo info_;
  bool consistent_ = false;
  std::unique_ptr<SqlSession> snapshot_holder_;  // keeps an exported snapshot alive
  std::optional<std::string> snapshot_;
  int lock_wait_ = EndpointOptions{}.lock_wait;
  std::mutex ahead_mutex_;  // the scheduler's threads describe tables at once
  std::map<TableName, std::optional<Table>> ahead_;
};

// Batch positions of the table's row key among `columns` (for naming rows in errors).
std::vector<int> KeyPositions(const Table& table, const std::vector<int>& columns);
std::vector<std::string> KeyNames(const Table& table, const std::vector<int>& columns,
                                  const std::vector<int>& positions);

}  // namespace ferry
