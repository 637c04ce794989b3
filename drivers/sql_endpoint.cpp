#include "drivers/sql_endpoint.hpp"

#include <algorithm>

#include "copier/error.hpp"

namespace ferry {

SqlEndpoint::SqlEndpoint(std::unique_ptr<Dialect> dialect, std::unique_ptr<SqlSession> catalog,
                         EndpointInfo info)
    : dialect_(std::move(dialect)), catalog_(std::move(catalog)), info_(std::move(info)) {
  info_.engine = dialect_->engine();
  info_.default_schema = dialect_->DefaultSchema(*catalog_);
  info_.limits = dialect_->limits();
}

std::vector<TableName> SqlEndpoint::ListTables() {
  return dialect_->ListTables(*catalog_);
}

std::optional<Table> SqlEndpoint::DescribeTable(const TableName& name) {
  try {
    return dialect_->DescribeTable(*catalog_, name);
  } catch (Error& e) {
    e.WithTable(DisplayName(name));
    throw;
  }
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

void SqlEndpoint::CreateTable(const Table& table) {
  RunDdl(table.name, dialect_->CreateTableSql(table));
}

void SqlEndpoint::AddPrimaryKey(const Table& table) {
  RunOnOwnSession(table.name, {dialect_->AddPrimaryKeySql(table)});
}

void SqlEndpoint::CreateIndex(const Table& table, const Index& index) {
  RunOnOwnSession(table.name, {dialect_->CreateIndexSql(table, index)});
}

void SqlEndpoint::CreateForeignKey(const Table& table, const ForeignKey& fk) {
  RunOnOwnSession(table.name, {dialect_->ForeignKeySql(table, fk)});
}

void SqlEndpoint::SyncIdentity(const Table& table) {
  std::vector<std::string> sql = dialect_->SyncIdentitySql(table);
  if (!sql.empty()) RunOnOwnSession(table.name, sql);
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
  RunDdl(name, "DROP TABLE " + dialect_->QualifiedName(name));
}

void SqlEndpoint::TruncateTable(const TableName& name) {
  RunDdl(name, dialect_->TruncateSql(name));
}

bool SqlEndpoint::HasRows(const TableName& name) {
  try {
    return !catalog_->Query("SELECT 1 FROM " + dialect_->QualifiedName(name) + " LIMIT 1").empty();
  } catch (Error& e) {
    e.WithTable(DisplayName(name));
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

std::vector<std::vector<std::string>> SqlEndpoint::SampleKeys(const Table& table,
                                                              const std::vector<int>& key,
                                                              size_t count) {
  double rows = table.estimated_rows > 0 ? double(table.estimated_rows) : 1e6;
  double fraction = std::min(1.0, double(count) / rows);
  std::vector<std::vector<std::string>> out;
  try {
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
