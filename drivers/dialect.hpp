// A dialect is what ferry knows about one database engine: identifier quoting, catalog
// queries, how its native types map to ferry's logical types and back, the DDL it accepts,
// session settings, key-range predicates, and how its values travel through ODBC.
// Internal to drivers/; the copier sees only Endpoint.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/endpoint.hpp"
#include "copier/work_unit.hpp"
#include "drivers/odbc/connection.hpp"
#include "drivers/sql_session.hpp"

namespace ferry {

// How a value of one column is spelled on the ODBC wire in a given direction.
enum class WireForm {
  kInt64,    // SQL_C_SBIGINT
  kUInt64,   // SQL_C_UBIGINT
  kFloat32,  // SQL_C_FLOAT (read only: widened exactly to double)
  kFloat64,  // SQL_C_DOUBLE
  kBinary,   // SQL_C_BINARY
  kText,     // SQL_C_CHAR, UTF-8
};

struct WriteParameter {
  WireForm form = WireForm::kText;
  SQLSMALLINT sql_type = SQL_VARCHAR;
  SQLSMALLINT decimal_digits = 0;
};

class Dialect {
 public:
  virtual ~Dialect() = default;

  virtual Engine engine() const = 0;

  // Attributes added to the connection string when the user did not set them.
  virtual std::vector<std::pair<std::string, std::string>> ConnectionAttributes(
      bool is_source) const = 0;
  // Session settings run on every new connection (time zone, strictness, encoding).
  virtual void SetUpSession(SqlSession& connection, bool is_source) const = 0;

  // Consistent reads. ExportSnapshot runs on a coordinator session that stays open for the
  // run and returns a snapshot others can import, or nullopt where the engine cannot share one;
  // StartSnapshotRead begins a reader's read-only transaction, in `snapshot` when given.
  virtual std::optional<std::string> ExportSnapshot(SqlSession& /*coordinator*/) const {
    return std::nullopt;
  }
  virtual void StartSnapshotRead(SqlSession& /*reader*/,
                                 const std::optional<std::string>& /*snapshot*/) const {}
  // What BeginSnapshot reports for this engine.
  virtual std::string SnapshotGuarantee(bool exported) const {
    return exported ? "one snapshot shared by every reader" : "none";
  }

  std::string Quote(const std::string& identifier) const;
  virtual std::string QualifiedName(const TableName& name) const;

  virtual std::string DefaultSchema(SqlSession& connection) const = 0;
  virtual std::vector<TableName> ListTables(SqlSession& connection) const = 0;
  virtual std::optional<Table> DescribeTable(SqlSession& connection,
                                             const TableName& name) const = 0;
  virtual ColumnType MapType(const ColumnType& type, Engine source_engine) const = 0;
  virtual std::string CreateTableSql(const Table& table) const;
  std::string AddPrimaryKeySql(const Table& table) const;
  // Index, foreign key and identity DDL for tables that already hold their rows.
  virtual std::string CreateIndexSql(const Table& table, const Index& index) const;
  virtual std::string ForeignKeySql(const Table& table, const ForeignKey& fk) const;
  // Statements that move identity / serial / auto-increment counters past the column's
  // largest value; none where the engine does that on insert.
  virtual std::vector<std::string> SyncIdentitySql(const Table& /*table*/) const { return {}; }
  virtual std::string TruncateSql(const TableName& name) const {
    return "TRUNCATE TABLE " + QualifiedName(name);
  }
  virtual ValueLimits limits() const = 0;

  // "WHERE ..." for a work unit, or "" for the whole table.
  std::string RangePredicate(const Table& table, const KeyRange& range) const;
  // A query returning about `fraction` of the table's rows' key columns, sorted by key, each as
  // canonical text (bytes as lower-case hex).
  std::string SampleSql(const Table& table, const std::vector<int>& key, double fraction) const;
  // SELECT of `columns` (through SelectExpression) for one work unit.
  std::string SelectSql(const Table& table, const std::vector<int>& columns,
                        const KeyRange& range) const;
  // INSERT of `columns` with one parameter marker each.
  std::string InsertSql(const Table& table, const std::vector<int>& columns) const;

  // Whether SQLSetPos + SQLGetData on a row of a multi-row rowset returns that row's value.
  // Drivers that claim SQL_GD_BLOCK but answer with another row must say false here.
  virtual bool CanPositionInRowset() const { return true; }
  // The select-list expression that reads a column exactly.
  virtual std::string SelectExpression(const Column& column) const { return Quote(column.name); }
  // How a column of `type` is fetched; the reader parses text forms into batch storage.
  virtual WireForm ReadForm(const ColumnType& type) const;
  virtual WriteParameter WriteForm(const ColumnType& type) const;
  // The text a boolean is written as where WriteForm says kText.
  virtual const char* BooleanText(bool value) const { return value ? "1" : "0"; }
  // True for timestamp with time zone values that must carry an explicit "+00" when sent
  // as text.
  virtual bool SpellsUtcOffset() const { return false; }

 protected:
  explicit Dialect(char quote) : quote_(quote) {}
  // FROM/WHERE text that keeps about `fraction` of the rows of `table` (a random sample).
  // Deterministic, so the same table plans the same units again (plans are diffed).
  virtual std::string SampleFrom(const Table& table, const std::vector<int>& key,
                                 double fraction) const = 0;
  // A key column as canonical text in a sample (hex for bytes).
  virtual std::string SampleExpression(const Column& column) const;
  // The predicate for a physical-location range; "" where the engine has none.
  virtual std::string LocationPredicate(const KeyRange& /*range*/) const { return ""; }
  // Renders canonical text of a key value as a literal of this dialect.
  virtual std::string Literal(const ColumnType& type, const std::string& text) const;

 private:
  char quote_;
};

std::unique_ptr<Dialect> MakePostgresDialect();
std::unique_ptr<Dialect> MakeMariaDbDialect();
std::unique_ptr<Dialect> MakeSqliteDialect();

// Parses "name(a,b)" type spellings: the lower-cased base name and the numbers in
// parentheses. Shared by the dialects whose catalogs return type text.
struct TypeSpelling {
  std::string base;
  std::vector<int64_t> args;
  bool is_unsigned = false;
};
TypeSpelling ParseTypeSpelling(const std::string& text);

}  // namespace ferry
