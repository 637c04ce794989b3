#include "drivers/mariadb/mariadb_writer.hpp"

#include <fmt/format.h>
#include <mysqld_error.h>

#include <charconv>
#include <cstring>

#include "copier/convert.hpp"
#include "copier/secrets.hpp"
#include "drivers/mariadb/mariadb_text.hpp"
#include "drivers/sql_endpoint.hpp"

namespace ferry::mariadb {

namespace {

// The name the statement gives its "file"; the handler refuses any other.
constexpr const char* kInfileName = "ferry-batch";

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

// The SQLSTATE the server gives the error a warning stands for, so a refused LOAD DATA row
// reads like the same row refused by an INSERT.
const char* SqlstateOfWarning(int code) {
  switch (code) {
    case ER_DUP_ENTRY:
    case ER_BAD_NULL_ERROR:
    case ER_NO_REFERENCED_ROW_2:
    case ER_ROW_IS_REFERENCED_2:
    case ER_CONSTRAINT_FAILED:
      return "23000";
    case ER_WARN_DATA_OUT_OF_RANGE:
      return "22003";
    case ER_DATA_TOO_LONG:
      return "22001";
    case ER_TRUNCATED_WRONG_VALUE:
      return "22007";
    case WARN_DATA_TRUNCATED:
      return "01000";
    default:
      return "HY000";
  }
}

// The statement row a warning names ("... at row 3", "Row 3 was truncated ..."), 1-based.
std::optional<size_t> RowOfWarning(const std::string& message) {
  size_t at = message.rfind(" at row ");
  size_t start = at == std::string::npos ? std::string::npos : at + 8;
  if (start == std::string::npos && message.rfind("Row ", 0) == 0) start = 4;
  if (start == std::string::npos) return std::nullopt;
  size_t row = 0;
  auto [end, ec] = std::from_chars(message.data() + start, message.data() + message.size(), row);
  if (ec != std::errc() || end == message.data() + start || row == 0) return std::nullopt;
  return row;
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
        encoder_(Storages(table_, columns_), YearColumns(table_, columns_)) {
    std::string names;
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i > 0) names += ", ";
      names += dialect.Quote(table_.columns[size_t(columns_[i])].name);
    }
    // The batch's bytes are UTF-8 text and raw bytes; utf8mb4 makes the server check every
    // text value as it would an INSERT's, and binary columns take the bytes as they are.
    sql_ = fmt::format("LOAD DATA LOCAL INFILE '{}' INTO TABLE {} CHARACTER SET utf8mb4 {} ({})",
                       kInfileName, dialect.QualifiedName(table_.name), kLoadDataFormat, names);
    try {
      connection_.Execute("START TRANSACTION");
      in_transaction_ = true;
    } catch (Error& e) {
      e.WithTable(DisplayName(table_.name));
      throw;
    }
  }

  ~LoadDataWriter() override { Rollback(); }

  void Prepare(Batch& batch) const override {
    batch.wire().clear();
    encoder_.Encode(batch, 0, batch.num_rows(), batch.wire());
    batch.set_wire_rows(batch.num_rows());
  }

  void Write(const Batch& batch) override {
    const size_t rows = batch.num_rows();
    if (rows == 0) return;
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
    try {
      if (rc != 0) connection_.Fail("LOAD DATA LOCAL INFILE", "MariaDB refused the batch");
    } catch (Error& e) {
      e.WithTable(DisplayName(table_.name));
      throw;
    }
    const unsigned warnings = mysql_warning_count(connection_.get());
    const uint64_t stored = mysql_affected_rows(connection_.get());
    if (warnings > 0 || stored != rows) Refuse(batch, warnings, stored);
  }

  void Commit() override {
    try {
      connection_.Execute("COMMIT");
      in_transaction_ = false;
    } catch (Error& e) {
      e.WithTable(DisplayName(table_.name));
      throw;
    }
  }

  void Rollback() override {
    if (!in_transaction_) return;
    in_transaction_ = false;
    // Best effort: a lost connection rolls back on the server by itself.
    mysql_real_query(connection_.get(), "ROLLBACK", 8);
  }

  std::string Method() const override { return "LOAD DATA LOCAL"; }

 private:
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

  // The server stored the batch other than as sent: say what it reported and where.
  [[noreturn]] void Refuse(const Batch& batch, unsigned warnings, uint64_t stored) {
    std::vector<Diagnostic> diagnostics;
    std::optional<size_t> row;
    try {
      for (const SqlSession::Row& w : connection_.Query("SHOW WARNINGS LIMIT 10")) {
        if (w.size() < 3 || !w[1] || !w[2]) continue;
        int code = std::atoi(w[1]->c_str());
        diagnostics.push_back(Diagnostic{SqlstateOfWarning(code), code, Redact(*w[2])});
        if (!row) row = RowOfWarning(*w[2]);
      }
    } catch (const Error&) {
      // The counts below still say what went wrong.
    }
    ErrorContext context;
    context.table = DisplayName(table_.name);
    context.call = "LOAD DATA LOCAL INFILE";
    if (row && *row <= batch.num_rows()) {
      context.key =
          RenderKey(batch, key_positions_, KeyNames(table_, columns_, key_positions_), *row - 1);
    }
    std::string message =
        warnings > 0
            ? fmt::format(
                  "MariaDB did not store the batch as sent: {} warning{} (LOAD DATA LOCAL "
                  "reports refused values and duplicate keys as warnings)",
                  warnings, warnings == 1 ? "" : "s")
            : fmt::format("MariaDB stored {} of the batch's {} rows", stored, batch.num_rows());
    throw Error(ErrorCode::kData, message, std::move(context), std::move(diagnostics));
  }

  Connection& connection_;
  InfileSource& source_;
  const Table& table_;
  std::vector<int> columns_;
  std::vector<int> key_positions_;
  LoadDataEncoder encoder_;
  std::string sql_;
  std::string own_;  // the encoding of batches that were not prepared
  bool in_transaction_ = false;
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
