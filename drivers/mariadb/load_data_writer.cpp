#include "drivers/mariadb/load_data_writer.hpp"

#include <fmt/format.h>
#include <mysqld_error.h>

#include <cstring>

#include "copier/convert.hpp"
#include "drivers/mariadb/mariadb_text.hpp"
#include "drivers/mariadb/write_support.hpp"
#include "drivers/sql/sql_endpoint.hpp"

namespace ferry::mariadb {

namespace {

// The name the statement gives its "file"; the handler refuses any other.
constexpr const char* kInfileName = "ferry-batch";
// The session's temporary table an upserting unit loads into (see LoadDataWriter).
constexpr const char* kStagingTable = "ferry_upsert_rows";

int InfileInit(void** state, const char* filename, void* user) {
  auto* source = static_cast<InfileSource*>(user);
  *state = source;
  if (!source->armed || std::strcmp(filename, kInfileName) != 0) return 1;
  source->at = 0;
  return 0;
}

int InfileRead(void* state, char* buffer, unsigned int length) {
  auto* source = static_cast<InfileSource*>(state);
  size_t n = std::min<size_t>(length, source->data.size() - source->at);
  std::memcpy(buffer, source->data.data() + source->at, n);
  source->at += n;
  return int(n);
}

void InfileEnd(void*) {}

int InfileError(void* state, char* message, unsigned int length) {
  auto* source = static_cast<InfileSource*>(state);
  std::snprintf(message, length, "%s",
                source && source->armed
                    ? "ferry could not serve the batch"
                    : "ferry serves LOAD DATA LOCAL only from its own batches, never from files");
  return ER_UNKNOWN_ERROR;
}

class LoadDataWriter final : public RowWriter {
 public:
  LoadDataWriter(Connection& connection, InfileSource& source, const Dialect& dialect,
                 const WriteRequest& request)
      : connection_(connection),
        source_(source),
        table_(*request.table),
        columns_(request.columns),
        key_positions_(request.key_positions),
        encoder_(Storages(table_, columns_), YearColumns(table_, columns_)),
        transaction_(connection, table_, dialect.ReplaceRangeSql(table_, request.replace_range)) {
    std::string names;
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i > 0) names += ", ";
      names += dialect.Quote(table_.columns[size_t(columns_[i])].name);
    }
    std::string into = dialect.QualifiedName(table_.name);
    if (request.upsert) {
      // LOAD DATA's own REPLACE would delete each colliding row and insert it anew: columns ferry
      // does not copy lose their values, delete triggers fire and ON DELETE CASCADE empties the
      // children. So the unit's rows land in a temporary table of the written columns, which
      // INSERT ... SELECT ... ON DUPLICATE KEY UPDATE merges at Commit. CREATE/DROP TEMPORARY
      // TABLE do not end the transaction; a later unit's DROP clears one a failure left.
      const std::string staging =
          dialect.QualifiedName(TableName{table_.name.schema, kStagingTable});
      connection_.Execute("DROP TEMPORARY TABLE IF EXISTS " + staging);
      connection_.Execute(fmt::format("CREATE TEMPORARY TABLE {} AS SELECT {} FROM {} LIMIT 0",
                                      staging, names, into));
      merge_sql_ = fmt::format("INSERT INTO {} ({}) SELECT {} FROM {}{}", into, names, names,
                               staging, dialect.UpsertClause(table_, columns_, request.upsert_key));
      drop_sql_ = "DROP TEMPORARY TABLE " + staging;
      into = staging;
    }
    // The batch's bytes are UTF-8 text and raw bytes; utf8mb4 makes the server convert and check
    // every text value as it would an INSERT's, and binary columns take the bytes as they are.
    // (CHARACTER SET binary measured ~7% less server CPU but would store UTF-8 bytes unconverted,
    // without a warning, into a latin1 column.)
    sql_ = fmt::format("LOAD DATA LOCAL INFILE '{}' INTO TABLE {} CHARACTER SET utf8mb4 {} ({})",
                       kInfileName, into, kLoadDataFormat, names);
  }

  void Prepare(Batch& batch) const override {
    batch.wire().clear();
    if (batch.has_long()) return;  // encoded whole by Write
    encoder_.Encode(batch, 0, batch.num_rows(), batch.wire());
    batch.set_wire_rows(batch.num_rows());
  }

  void Write(const Batch& batch) override {
    const size_t rows = batch.num_rows();
    if (rows == 0) return;
    // LOAD DATA takes rows as one stream of text: long values go in it whole (this path serves
    // servers without bulk execution, MySQL's).
    if (batch.has_long()) {
      Write(WithLongValuesInMemory(batch));
      return;
    }
    std::string_view data;
    if (batch.wire_rows() == rows && !batch.wire().empty()) {
      data = batch.wire();
    } else {
      own_.clear();
      encoder_.Encode(batch, 0, rows, own_);
      data = own_;
    }
    source_.data = data;
    source_.armed = true;
    const int rc = mysql_real_query(connection_.get(), sql_.data(), sql_.size());
    source_.armed = false;
    source_.data = {};
    const StatementRows statement{&table_, &columns_, &key_positions_, &batch, 0, rows};
    if (rc != 0) {
      Error error =
          MakeError(connection_.get(), "LOAD DATA LOCAL INFILE", "MariaDB refused the batch");
      NameRow(error, statement);
      throw error;
    }
    // LOCAL turns refused values and duplicate keys into warnings and goes on: any warning, or a
    // row not stored, fails the unit.
    const unsigned warnings = mysql_warning_count(connection_.get());
    const uint64_t stored = mysql_affected_rows(connection_.get());
    if (warnings > 0 || stored != rows) {
      throw WarningsError(
          connection_,
          warnings > 0 ? fmt::format("MariaDB did not store the batch as sent: {} warning{} (LOAD "
                                     "DATA LOCAL reports refused values and duplicate keys as "
                                     "warnings)",
                                     warnings, warnings == 1 ? "" : "s")
                       : fmt::format("MariaDB stored {} of the batch's {} rows", stored, rows),
          statement, "LOAD DATA LOCAL INFILE");
    }
  }

  void Commit(const std::vector<std::string>& finish_sql) override {
    if (!merge_sql_.empty()) Merge();
    transaction_.Commit(finish_sql);
  }
  void Rollback() override { transaction_.Rollback(); }

  std::string Method() const override {
    return merge_sql_.empty() ? "LOAD DATA LOCAL"
                              : "LOAD DATA LOCAL into a temporary table, then upsert";
  }

 private:
  // Moves the staged rows into the table, updating the keys it already holds.
  void Merge() {
    connection_.Execute(merge_sql_);
    // Strict mode makes refused values errors; a warning is a value changed on the way.
    if (const unsigned warnings = mysql_warning_count(connection_.get())) {
      // The staged rows are no batch of ours any more: the warnings name them, not a key.
      const Batch none;
      throw WarningsError(connection_,
                          fmt::format("MariaDB did not merge the unit's rows as sent: {} warning{}",
                                      warnings, warnings == 1 ? "" : "s"),
                          StatementRows{&table_, &columns_, &key_positions_, &none, 0, 0},
                          "INSERT ... ON DUPLICATE KEY UPDATE");
    }
    connection_.Execute(drop_sql_);
  }

  static std::vector<Storage> Storages(const Table& table, const std::vector<int>& columns) {
    std::vector<Storage> out;
    for (int c : columns) out.push_back(StorageOf(table.columns[size_t(c)].type));
    return out;
  }

  static std::vector<bool> YearColumns(const Table& table, const std::vector<int>& columns) {
    std::vector<bool> out;
    for (int c : columns) {
      const ColumnType& type = table.columns[size_t(c)].type;
      out.push_back(type.kind == TypeKind::kInteger &&
                    ParseTypeSpelling(type.native).base == "year");
    }
    return out;
  }

  Connection& connection_;
  InfileSource& source_;
  const Table& table_;
  std::vector<int> columns_;
  std::vector<int> key_positions_;
  LoadDataEncoder encoder_;
  std::string sql_;
  std::string merge_sql_;  // upsert only: staged rows into the table
  std::string drop_sql_;
  std::string own_;  // the encoding of batches that were not prepared
  UnitTransaction transaction_;
};

}  // namespace

void ServeLoadDataFromMemory(Connection& connection, InfileSource& source) {
  mysql_set_local_infile_handler(connection.get(), InfileInit, InfileRead, InfileEnd, InfileError,
                                 &source);
}

std::unique_ptr<RowWriter> MakeLoadDataWriter(Connection& connection, InfileSource& source,
                                              const Dialect& dialect, const WriteRequest& request) {
  return std::make_unique<LoadDataWriter>(connection, source, dialect, request);
}

}  // namespace ferry::mariadb
