#include "drivers/sql/sql_endpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "copier/backoff.hpp"
#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "drivers/run_store.hpp"
#include "drivers/sql/change_log.hpp"
#include "drivers/sql/key_dives.hpp"
#include "drivers/sql/reconnecting_session.hpp"

namespace ferry {

SqlEndpoint::SqlEndpoint(std::unique_ptr<Dialect> dialect, std::unique_ptr<SqlSession> catalog,
                         EndpointInfo info)
    : dialect_(std::move(dialect)),
      catalog_(std::make_unique<ReconnectingSession>(
          std::move(catalog), [this] { return ReopenCatalog(); }, info.display)),
      info_(std::move(info)) {
  info_.engine = dialect_->engine();
  info_.default_schema = dialect_->DefaultSchema(*catalog_);
  info_.limits = dialect_->limits();
  info_.table_names_fold_case = dialect_->FoldsTableNames(*catalog_);
  info_.column_names_fold_case = dialect_->quirks().fold_column_names;
  info_.traits = dialect_->quirks().traits;
  info_.server_row_hash = dialect_->ServerRowHash(*catalog_);
  try {
    info_.database_identity = dialect_->DatabaseIdentity(*catalog_);
  } catch (const Error&) {
    // Unknown identity: two ends are then never taken for one database.
  }
}

std::optional<bool> SqlEndpoint::HasPrivilege(const TableName& table, Privilege privilege) {
  try {
    return dialect_->HasPrivilege(*catalog_, table, privilege);
  } catch (Error& e) {
    e.WithTable(DisplayName(table));
    throw;
  }
}

std::vector<TableName> SqlEndpoint::ListTables() {
  // Change logs (ferry track enable), their generations and consumers, and sync positions
  // belong to ferry, not to the data.
  std::vector<TableName> tables = dialect_->ListTables(*catalog_);
  std::erase_if(tables, [](const TableName& t) {
    return t.name.starts_with("ferry_log_") || t.name == "ferry_sync_state" ||
           t.name == "ferry_tracking" || t.name == "ferry_track_consumers";
  });
  return tables;
}

std::optional<Table> SqlEndpoint::DescribeTable(const TableName& name) {
  {
    std::lock_guard lock(ahead_mutex_);
    if (auto it = ahead_.find(name); it != ahead_.end()) return it->second;
  }
  try {
    return dialect_->DescribeTable(*catalog_, name);
  } catch (Error& e) {
    e.WithTable(DisplayName(name));
    throw;
  }
}

void SqlEndpoint::DescribeAhead(const std::vector<TableName>& names) {
  if (names.empty()) return;
  std::vector<std::optional<Table>> described;
  try {
    described = dialect_->DescribeTables(*catalog_, names);
  } catch (const Error&) {
    return;  // only a shortcut: each table is described on its own, and fails on its own
  }
  std::lock_guard lock(ahead_mutex_);
  for (size_t i = 0; i < names.size(); ++i) ahead_[names[i]] = std::move(described[i]);
}

void SqlEndpoint::ForgetDescriptions(const std::vector<TableName>& names) {
  std::lock_guard lock(ahead_mutex_);
  for (const TableName& name : names) ahead_.erase(name);
}

void SqlEndpoint::ShapesChanging() {
  std::lock_guard lock(ahead_mutex_);
  ahead_.clear();
}

TableName SqlEndpoint::DestinationName(const TableName& source, Engine source_engine) const {
  // Schemas carry over between PostgreSQL databases; elsewhere the destination's database
  // (MariaDB) or main (SQLite) is the only sensible home.
  if (info_.engine == Engine::kPostgres && source_engine == Engine::kPostgres) return source;
  return TableName{info_.default_schema, source.name};
}

ColumnType SqlEndpoint::MapType(const ColumnType& type, Engine source_engine) const {
  return dialect_->MapType(type, source_engine);
}

std::string SqlEndpoint::NameProblem(const std::string& name) const {
  return dialect_->NameProblem(name);
}

void SqlEndpoint::CreateTable(const Table& table) {
  ShapesChanging();
  // Schemas carry over between PostgreSQL databases (sales.orders lands in sales).
  const std::string schema = dialect_->CreateMissingSchemaSql(table.name.schema);
  if (!schema.empty()) RunDdl(table.name, schema);
  for (const std::string& sql : dialect_->CreateTableStatements(table)) RunDdl(table.name, sql);
}

void SqlEndpoint::TryCreateTable(const Table& table, const std::vector<Index>& indexes) {
  ShapesChanging();
  // Trial names of their own: the names indexes are built with are chosen when they are built.
  std::vector<Index> named = indexes;
  for (size_t i = 0; i < named.size(); ++i) named[i].name = fmt::format("ferry_trial_{}", i);
  const std::vector<std::string> sql = dialect_->TrialCreateSql(table, named);
  std::unique_ptr<SqlSession> session = OpenSqlSession();
  try {
    for (size_t i = 0; i + 1 < sql.size(); ++i) session->Execute(sql[i]);
  } catch (Error& e) {
    // A MariaDB login without CREATE TEMPORARY TABLES cannot try; the real CREATE will tell.
    for (const Diagnostic& d : e.diagnostics()) {
      if (info_.engine == Engine::kMariaDB && (d.native_code == 1044 || d.native_code == 1142)) {
        return;
      }
    }
    try {
      session->Execute(sql.back());
    } catch (const Error&) {
      // The session is dropped with its transaction or temporary table.
    }
    throw Error(ErrorCode::kSchema,
                fmt::format("destination table {} cannot be created as planned: {}",
                            DisplayName(table.name), e.message()),
                ErrorContext{DisplayName(table.name), e.context().column, "", ""}, e.diagnostics());
  }
  session->Execute(sql.back());
}

void SqlEndpoint::AddPrimaryKey(const Table& table) {
  ShapesChanging();
  // ALTER TABLE takes the table's strongest lock: a reader of the new table (a count(*) left
  // open to watch the load) would otherwise hold it up, and every session after it.
  RunWithLockWaits(table.name, "add the primary key to", {dialect_->AddPrimaryKeySql(table)});
}

namespace {

// Names tried for one index or foreign key before giving up.
constexpr int kNameAttempts = 10;
// Times a foreign key is retried after the server broke a lock cycle: adding two foreign keys at
// once locks both tables of each, so two in opposite directions can deadlock.
constexpr int kDeadlockRetries = 5;

bool IsDeadlock(const Error& e) {
  for (const Diagnostic& d : e.diagnostics()) {
    if (d.sqlstate == "40P01" || d.sqlstate == "40001" || d.native_code == 1213) return true;
  }
  return false;
}

bool SameIndex(const Index& a, const Index& b) {
  return !a.columns.empty() && a.columns == b.columns && a.unique == b.unique;
}

bool SameForeignKey(const Table& table, const ForeignKey& a, const Table& other,
                    const ForeignKey& b) {
  if (a.columns.size() != b.columns.size() || a.references.name != b.references.name ||
      a.referenced_columns != b.referenced_columns) {
    return false;
  }
  for (size_t i = 0; i < a.columns.size(); ++i) {
    if (table.columns[size_t(a.columns[i])].name != other.columns[size_t(b.columns[i])].name) {
      return false;
    }
  }
  return true;
}

}  // namespace

void SqlEndpoint::CreateIndex(const Table& table, const Index& index) {
  ShapesChanging();
  // CREATE INDEX waits for writers of the table (PostgreSQL) or for any open transaction that
  // read it (MariaDB's metadata lock): bounded and named like the statements that empty it.
  WithLockWaits({table.name}, "build index " + index.name + " on", [&](SqlSession& session) {
    Index named = index;
    for (int attempt = 0;; ++attempt) {
      named.name = dialect_->IndexName(table, index, attempt);
      try {
        session.Execute(dialect_->CreateIndexSql(table, named));
        return;
      } catch (const Error& e) {
        if (attempt + 1 >= kNameAttempts || !dialect_->NameTaken(e)) throw;
      }
      // The name is taken: by this very index (built before, say), or by another object.
      if (auto existing = dialect_->DescribeTable(session, table.name)) {
        for (const auto* list : {&existing->unique_indexes, &existing->indexes}) {
          for (const Index& other : *list) {
            if (SameIndex(index, other)) return;
          }
        }
      }
    }
  });
}

// MariaDB refuses a foreign key whose columns differ in type from the ones they reference (an
// int referencing a bigint, a TEXT column) with "Incorrect options" (1825) or errno 150; an
// engine mapping types one table at a time can produce such pairs, so the error names them.
void SqlEndpoint::ExplainTypeMismatch(SqlSession& session, const Table& table, const ForeignKey& fk,
                                      Error& error) const {
  bool mariadb_refusal = false;
  for (const Diagnostic& d : error.diagnostics()) {
    mariadb_refusal = mariadb_refusal || d.native_code == 1825 ||
                      (d.native_code == 1005 && d.message.find("errno: 150") != std::string::npos);
  }
  if (info_.engine != Engine::kMariaDB || !mariadb_refusal) return;
  std::optional<Table> parent;
  try {
    parent = dialect_->DescribeTable(session, fk.references);
  } catch (const Error&) {
    return;
  }
  if (!parent) return;
  std::string differences;
  for (size_t i = 0; i < fk.columns.size() && i < fk.referenced_columns.size(); ++i) {
    const Column& child = table.columns[size_t(fk.columns[i])];
    auto referenced = parent->FindColumn(fk.referenced_columns[i]);
    if (!referenced) continue;
    const Column& key = parent->columns[size_t(*referenced)];
    if (child.type.native != key.type.native) {
      differences +=
          fmt::format("{}{} is {} but {}.{} is {}", differences.empty() ? "" : "; ", child.name,
                      child.type.native, DisplayName(parent->name), key.name, key.type.native);
    }
  }
  if (!differences.empty()) {
    error.WithAdvice(
        "MariaDB needs a foreign key's columns to have the types of the columns they "
        "reference (" +
        differences + "): change the destination column's type and add the key");
  }
}

void SqlEndpoint::CreateForeignKey(const Table& table, const ForeignKey& fk) {
  ShapesChanging();
  // Adding a foreign key locks both tables against writers (PostgreSQL) or waits for their
  // readers' transactions (MariaDB): the holders of either are named.
  WithLockWaits({table.name, fk.references}, "add foreign key " + fk.name + " to",
                [&](SqlSession& session) { AddForeignKeyOn(session, table, fk); });
}

void SqlEndpoint::AddForeignKeyOn(SqlSession& session, const Table& table, const ForeignKey& fk) {
  auto declared = [&] {
    if (auto existing = dialect_->DescribeTable(session, table.name)) {
      for (const ForeignKey& other : existing->foreign_keys) {
        if (SameForeignKey(table, fk, *existing, other)) return true;
      }
    }
    return false;
  };
  // Rows that reference nothing fail the foreign key here as they would in PostgreSQL, where
  // adding it checks them; MariaDB (with foreign_key_checks off) and SQLite would not.
  std::string orphans = dialect_->ForeignKeyOrphanSql(table, fk);
  if (!orphans.empty()) {
    auto rows = session.Query(orphans);
    if (!rows.empty()) {
      std::string names, values;
      for (size_t i = 0; i < fk.columns.size(); ++i) {
        names += (i > 0 ? ", " : "") + table.columns[size_t(fk.columns[i])].name;
        values += (i > 0 ? ", " : "") + rows[0][i].value_or("NULL");
      }
      throw Error(
          ErrorCode::kData,
          fmt::format("foreign key {}: a row references ({})=({}), which {} does not "
                      "have; the foreign key was not created",
                      fk.name, names, values, DisplayName(fk.references)),
          ErrorContext{DisplayName(table.name), "", "(" + names + ")=(" + values + ")", ""});
    }
  }
  if (dialect_->quirks().foreign_keys_at_creation) {
    if (!declared()) dialect_->RebuildWithForeignKey(session, table, fk);
    return;
  }
  ForeignKey named = fk;
  int deadlocks = 0;
  for (int attempt = 0;;) {
    named.name = dialect_->ForeignKeyName(table, fk, attempt);
    try {
      session.Execute(dialect_->ForeignKeySql(table, named));
      return;
    } catch (Error& e) {
      if (IsDeadlock(e) && ++deadlocks <= kDeadlockRetries) continue;
      if (attempt + 1 >= kNameAttempts || !dialect_->NameTaken(e)) {
        ExplainTypeMismatch(session, table, fk, e);
        throw;
      }
    }
    if (declared()) return;
    ++attempt;
  }
}

// On the catalog session: the counters are set one table after another once the copy is done,
// and a session of its own per table cost a connection each (its authentication and setup:
// 120 small tables spent 8 of a run's 16 s connecting for them).
void SqlEndpoint::SyncIdentity(const Table& table, const std::vector<IdentityNext>& next) {
  SqlSession& session = catalog();
  try {
    for (const std::string& statement : dialect_->SyncIdentitySql(session, table, next)) {
      if (statement.rfind("SELECT", 0) == 0) {
        session.Query(statement);
      } else {
        session.Execute(statement);
      }
    }
  } catch (Error& e) {
    e.WithTable(DisplayName(table.name));
    throw;
  }
}

std::vector<IdentityNext> SqlEndpoint::IdentityCounters(const Table& table) {
  try {
    return dialect_->IdentityCounters(*catalog_, table);
  } catch (Error& e) {
    e.WithTable(DisplayName(table.name));
    throw;
  }
}

void SqlEndpoint::RunOnOwnSession(const TableName& name, const std::vector<std::string>& sql) {
  std::unique_ptr<SqlSession> session = OpenSqlSession();
  try {
    for (const std::string& statement : sql) session->Execute(statement);
  } catch (Error& e) {
    e.WithTable(DisplayName(name));
    throw;
  }
}

void SqlEndpoint::DropTable(const TableName& name) {
  ShapesChanging();
  RunWithLockWaits(name, "drop", {"DROP TABLE " + dialect_->QualifiedName(name)});
}

void SqlEndpoint::TruncateTable(const TableName& name) {
  ShapesChanging();
  RunWithLockWaits(name, "empty", {dialect_->TruncateSql(name)});
}

std::string SqlEndpoint::DanglingReference(const Table& table, const ForeignKey& fk) {
  if (info_.engine != Engine::kSQLite) return "";
  const std::string sql = dialect_->ForeignKeyOrphanSql(table, fk, true);
  if (sql.empty()) return "";
  std::vector<SqlSession::Row> rows;
  try {
    rows = catalog_->Query(sql);
  } catch (const Error&) {
    return "";  // a key to a table the file does not have: out of scope, said as such
  }
  if (rows.empty()) return "";
  std::string names, values;
  for (size_t i = 0; i < fk.columns.size(); ++i) {
    names += (i > 0 ? ", " : "") + table.columns[size_t(fk.columns[i])].name;
    values += (i > 0 ? ", " : "") + rows[0][i].value_or("NULL");
  }
  return "(" + names + ")=(" + values + ")";
}

bool SqlEndpoint::HasRows(const TableName& name) {
  try {
    return !catalog_->Query("SELECT 1 FROM " + dialect_->QualifiedName(name) + " LIMIT 1").empty();
  } catch (Error& e) {
    e.WithTable(DisplayName(name));
    throw;
  }
}

std::vector<std::pair<std::string, std::string>> SqlEndpoint::OtherObjects(
    const std::string& schema) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string sql = dialect_->OtherObjectsSql();
  if (sql.empty()) return out;
  for (auto& row : catalog_->Query(
           sql,
           std::vector<std::string>(size_t(std::count(sql.begin(), sql.end(), '?')), schema))) {
    if (!row[0] || !row[1] || NamesFerryObject(*row[1])) continue;
    out.emplace_back(*row[0], *row[1]);
  }
  return out;
}

std::vector<ValueScanResult> SqlEndpoint::ScanValues(const Table& table,
                                                     const std::vector<ValueScan>& scans) {
  std::vector<ValueScanResult> out(scans.size());
  const std::vector<int> key = table.RowKey();
  std::string select;
  std::vector<size_t> asked;
  for (size_t i = 0; i < scans.size(); ++i) {
    const std::string condition =
        dialect_->ScanCondition(table.columns[size_t(scans[i].column)], scans[i]);
    if (condition.empty()) {
      out[i].count = -1;
      continue;
    }
    asked.push_back(i);
    select += (select.empty() ? "" : ", ") + ("SUM(CASE WHEN " + condition + " THEN 1 ELSE 0 END)");
    if (!key.empty()) {
      // Two examples, the least and the greatest key: one pass, in any engine's SQL.
      const std::string k = dialect_->Quote(table.columns[size_t(key[0])].name);
      select += ", MIN(CASE WHEN " + condition + " THEN " + k + " END), MAX(CASE WHEN " +
                condition + " THEN " + k + " END)";
    }
  }
  if (asked.empty()) return out;
  try {
    auto rows = catalog_->Query("SELECT " + select + " FROM " + dialect_->RowsOf(table));
    if (rows.empty()) return out;
    const size_t width = key.empty() ? 1 : 3;
    for (size_t a = 0; a < asked.size(); ++a) {
      ValueScanResult& r = out[asked[a]];
      const auto& count = rows[0][a * width];
      r.count = count ? std::stoll(*count) : 0;
      for (size_t e = 1; e < width && r.count > 0; ++e) {
        const auto& example = rows[0][a * width + e];
        if (example && (r.examples.empty() || r.examples.back() != *example)) {
          r.examples.push_back(*example);
        }
      }
    }
  } catch (Error& e) {
    e.WithTable(DisplayName(table.name));
    throw;
  }
  return out;
}

int64_t SqlEndpoint::CountRows(const Table& table) {
  std::unique_ptr<SqlSession> session = OpenSqlSession();
  try {
    JoinSnapshot(*session);
    auto rows = session->Query("SELECT COUNT(*) FROM " + dialect_->RowsOf(table));
    return rows.empty() || !rows[0][0] ? 0 : std::stoll(*rows[0][0]);
  } catch (Error& e) {
    e.WithTable(DisplayName(table.name));
    throw;
  }
}

std::vector<int64_t> SqlEndpoint::LongestValues(const Table& table,
                                                const std::vector<int>& columns) {
  std::vector<int64_t> out(columns.size(), 0);
  if (columns.empty()) return out;
  std::string measures;
  for (int column : columns) {
    const Column& c = table.columns[size_t(column)];
    const char* length = info_.engine == Engine::kSQLite        ? "length"
                         : StorageOf(c.type) == Storage::kBytes ? "octet_length"
                                                                : "char_length";
    measures +=
        fmt::format("{}MAX({}({}))", measures.empty() ? "" : ", ", length, dialect_->Quote(c.name));
  }
  try {
    auto rows = catalog_->Query("SELECT " + measures + " FROM " + dialect_->RowsOf(table));
    for (size_t i = 0; i < out.size() && !rows.empty(); ++i) {
      if (rows[0][i]) out[i] = std::stoll(*rows[0][i]);
    }
    return out;
  } catch (Error& e) {
    e.WithTable(DisplayName(table.name));
    if (columns.size() == 1) e.WithColumn(table.columns[size_t(columns[0])].name);
    throw;
  }
}

void SqlEndpoint::InsertDefaultRows(const Table& table, int64_t rows) {
  ShapesChanging();
  if (rows <= 0) return;
  std::unique_ptr<SqlSession> session = OpenSqlSession();
  try {
    // One transaction: all the rows or none.
    session->Execute(info_.engine == Engine::kMariaDB ? "START TRANSACTION" : "BEGIN");
    try {
      for (const std::string& sql : dialect_->DefaultRowsSql(table, rows)) session->Execute(sql);
      session->Execute("COMMIT");
    } catch (...) {
      session->Execute("ROLLBACK");
      throw;
    }
  } catch (Error& e) {
    e.WithTable(DisplayName(table.name));
    throw;
  }
}

std::string SqlEndpoint::BeginSnapshot(Consistency consistency) {
  consistent_ = consistency == Consistency::kSnapshot;
  if (!consistent_) return "none (--consistency none: each reader sees what is committed)";
  snapshot_holder_ = OpenSqlSession();
  snapshot_ = dialect_->ExportSnapshot(*snapshot_holder_);
  if (!snapshot_) snapshot_holder_.reset();
  return dialect_->SnapshotGuarantee(snapshot_.has_value());
}

void SqlEndpoint::EndSnapshot() {
  snapshot_holder_.reset();  // closing the session ends its transaction, and the snapshot
  snapshot_.reset();
  consistent_ = false;
}

std::vector<std::pair<std::string, std::string>> SqlEndpoint::SnapshotPosition() {
  try {
    return snapshot_holder_ ? dialect_->SnapshotPosition(*snapshot_holder_, true)
                            : dialect_->SnapshotPosition(*catalog_, false);
  } catch (const Error&) {
    return {};  // a note for the DBA: a server that will not say (privileges) loses only it
  }
}

std::vector<std::vector<std::string>> SqlEndpoint::SampleKeys(const Table& table,
                                                              const std::vector<int>& key,
                                                              size_t count) {
  double rows = table.estimated_rows > 0 ? double(table.estimated_rows) : 1e6;
  double fraction = std::min(1.0, double(count) / rows);
  std::vector<std::vector<std::string>> out;
  try {
    if (dialect_->quirks().sample_by_key_dives) {
      if (auto dives = SampleByKeyDives(*catalog_, *dialect_, table, key, count)) return *dives;
    }
    for (SqlSession::Row& row : catalog_->Query(dialect_->SampleSql(table, key, fraction))) {
      std::vector<std::string> tuple;
      bool has_null = false;
      for (auto& value : row) {
        has_null = has_null || !value;
        tuple.push_back(value.value_or(""));
      }
      if (!has_null) out.push_back(std::move(tuple));  // NULL keys get their own unit
    }
  } catch (Error& e) {
    e.WithTable(DisplayName(table.name));
    throw;
  }
  return out;
}

namespace {

// The DBA's choice (--state-schema), else the engine's default.
std::string StateSchema(const Dialect& dialect, const EndpointInfo& info) {
  if (!info.state_schema.empty()) return info.state_schema;
  return dialect.DefaultStateSchema(info.default_schema);
}

}  // namespace

std::unique_ptr<RunStore> SqlEndpoint::OpenRunStore(const std::string& prefix) {
  // No session locks on this engine: a file lock named by a hash of the destination's display.
  const std::string lock_file = fmt::format("/tmp/ferry-{:016x}-{}lock",
                                            std::hash<std::string>{}(info_.display), kRunLockName);
  auto try_lock = [this, lock_file]() -> std::unique_ptr<ScopeLock> {
    const std::string sql = dialect_->TryLockSql(kRunLockName);
    if (sql.empty()) return TryFileLock(lock_file);
    std::unique_ptr<SqlSession> session = OpenSqlSession();
    auto rows = session->Query(sql);
    const std::string got = rows.empty() || !rows[0][0] ? "" : *rows[0][0];
    if (got != "1" && got != "t") return nullptr;
    std::string holder;
    if (const std::string id_sql = dialect_->SessionIdSql(); !id_sql.empty()) {
      auto id = session->Query(id_sql);
      if (!id.empty() && id[0][0]) holder = *id[0][0];
    }
    return HoldSessionLock(std::move(session), std::move(holder));
  };
  auto lock_waits = [this](const TableName& table, const std::string& what,
                           const std::function<void(SqlSession&)>& work) {
    WithLockWaits({table}, what, work);
  };
  auto holder = [this, lock_file]() -> std::string {
    if (dialect_->TryLockSql(kRunLockName).empty()) return FileLockHolder(lock_file);
    return dialect_->RunLockHolder(*OpenSqlSession(), kRunLockName);
  };
  return MakeSqlRunStore([this] { return OpenSqlSession(); }, *dialect_,
                         StateSchema(*dialect_, info_), info_.default_schema, prefix, try_lock,
                         lock_waits, holder);
}

std::unique_ptr<ChangeTracker> SqlEndpoint::OpenChangeTracker() {
  return MakeSqlChangeTracker(*dialect_, [this] { return OpenSqlSession(); });
}

std::unique_ptr<SyncStateStore> SqlEndpoint::OpenSyncState(const std::string& prefix) {
  return MakeSqlSyncState(OpenSqlSession(), *dialect_, StateSchema(*dialect_, info_),
                          info_.default_schema, prefix);
}

void SqlEndpoint::JoinSnapshot(SqlSession& reader) const {
  if (consistent_) dialect_->StartSnapshotRead(reader, snapshot_);
}

void SqlEndpoint::RunDdl(const TableName& name, const std::string& sql) {
  try {
    catalog_->Execute(sql);
  } catch (Error& e) {
    e.WithTable(DisplayName(name));
    throw;
  }
}

std::vector<int> KeyPositions(const Table& table, const std::vector<int>& columns) {
  std::vector<int> out;
  for (int k : table.RowKey()) {
    auto it = std::find(columns.begin(), columns.end(), k);
    if (it != columns.end()) out.push_back(int(it - columns.begin()));
  }
  return out;
}

std::vector<std::string> KeyNames(const Table& table, const std::vector<int>& columns,
                                  const std::vector<int>& positions) {
  std::vector<std::string> names;
  for (int p : positions) names.push_back(table.columns[size_t(columns[size_t(p)])].name);
  return names;
}

}  // namespace ferry
