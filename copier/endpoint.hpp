// What the copier needs from a database at either end of a copy. drivers/ implements it
// (ODBC for every engine, native bulk paths where they are faster); everything above
// drivers/ sees only this interface, so readers and writers can be swapped per table.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "copier/batch.hpp"
#include "copier/catalog.hpp"
#include "copier/work_unit.hpp"

namespace ferry {

enum class Engine { kPostgres, kMariaDB, kSQLite, kSqlServer, kOther };
const char* EngineName(Engine engine);

// Values an engine cannot store whatever the column type says; the converter refuses them
// with an error naming the row instead of letting the server mangle them.
struct ValueLimits {
  bool float_nan = true;
  bool float_infinity = true;
  bool float_negative_zero = true;
  bool nul_in_text = true;    // PostgreSQL text cannot hold U+0000
  bool requires_utf8 = true;  // text must be valid UTF-8
  int min_year = 1;
  int max_year = 9999;
  int max_decimal_precision = 1000;
};

struct EndpointInfo {
  Engine engine = Engine::kOther;
  std::string product;         // as the server reports it, e.g. "PostgreSQL"
  std::string version;         // e.g. "15.18"
  std::string default_schema;  // where bare table names live
  std::string display;         // the connection with secrets removed, for messages
  ValueLimits limits;
};

class RowReader {
 public:
  virtual ~RowReader() = default;
  // Clears `batch` and fills it with the next rows, up to the request's limits, in the
  // layout StorageOf(column type) gives for each requested column. False when done.
  virtual bool Next(Batch& batch) = 0;
};

struct ReadRequest {
  const Table* table = nullptr;
  std::vector<int> columns;  // source column indices, in batch order
  WorkUnit unit;
  BatchLimits limits;
};

class RowWriter {
 public:
  virtual ~RowWriter() = default;
  // Sends the batch's rows (whose columns follow WriteRequest::columns) to the destination,
  // inside the writer's transaction.
  virtual void Write(const Batch& batch) = 0;
  virtual void Commit() = 0;
  virtual void Rollback() = 0;
};

struct WriteRequest {
  const Table* table = nullptr;    // the destination table as it exists
  std::vector<int> columns;        // destination column indices, in batch order
  std::vector<int> key_positions;  // batch positions of the row key, to name failing rows
};

class Endpoint {
 public:
  virtual ~Endpoint() = default;

  virtual const EndpointInfo& info() const = 0;

  // Every user table (views and system tables excluded).
  virtual std::vector<TableName> ListTables() = 0;
  // The table's shape; nullopt when it does not exist.
  virtual std::optional<Table> DescribeTable(const TableName& name) = 0;
  // Where a source table lands here when the user renames nothing: same schema name where
  // this engine has schemas that the source named, else this end's default schema.
  virtual TableName DestinationName(const TableName& source, Engine source_engine) const = 0;

  // The column type this engine would create for a source column of `type` from
  // `source_engine`; `native` holds its DDL spelling. Throws Error(kSchema) when this engine
  // cannot hold the type.
  virtual ColumnType MapType(const ColumnType& type, Engine source_engine) const = 0;
  // Creates `table` (column types already mapped, `native` set) with its primary key.
  virtual void CreateTable(const Table& table) = 0;
  virtual void DropTable(const TableName& name) = 0;
  virtual void TruncateTable(const TableName& name) = 0;
  virtual bool HasRows(const TableName& name) = 0;

  virtual std::unique_ptr<RowReader> OpenReader(const ReadRequest& request) = 0;
  virtual std::unique_ptr<RowWriter> OpenWriter(const WriteRequest& request) = 0;
};

}  // namespace ferry
