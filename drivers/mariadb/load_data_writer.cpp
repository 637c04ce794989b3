#include "drivers/mariadb/load_data_writer.hpp"

#include <fmt/format.h>
#include <mysqld_error.h>

#include <cstring>
#include <optional>
#include <utility>

#include "copier/convert.hpp"
#include "drivers/long_values.hpp"
#include "drivers/mariadb/mariadb_catalog.hpp"
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
  if (source->pull) {
    try {
      return int(source->pull(buffer, length));
    } catch (...) {
      source->failure = std::current_exception();
      return -1;
    }
  }
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

// The LOAD DATA text of a batch holding long values, made as the server reads it: runs of short
// rows are encoded whole; a row with long values is encoded with those fields empty and each long
// value is escaped into its place a piece at a time, so no value is ever held whole.
class LongBatchStream {
 public:
  LongBatchStream(const LoadDataEncoder& encoder, const Batch& batch)
      : encoder_(encoder), batch_(batch) {}

  size_t Read(char* out, size_t length) {
    while (ready_at_ == ready_.size()) {
      ready_.clear();
      ready_at_ = 0;
      if (!Refill()) return 0;
    }
    const size_t n = std::min(length, ready_.size() - ready_at_);
    std::memcpy(out, ready_.data() + ready_at_, n);
    ready_at_ += n;
    return n;
  }

 private:
  // Puts the next bytes in ready_; false at the end of the batch.
  bool Refill() {
    if (value_) {
      const size_t n = std::min(kLongValuePiece, value_->size() - value_at_);
      piece_.resize(n);
      value_->Read(value_at_, piece_.data(), n);
      AppendLoadDataEscaped(piece_, ready_);
      value_at_ += n;
      if (value_at_ == value_->size()) value_ = nullptr;
      return true;
    }
    if (!pending_.empty()) {
      // The row's text up to the next long value's place (or its end), then that value.
      auto [to, value] = pending_.front();
      pending_.erase(pending_.begin());
      ready_.append(row_text_, row_at_, to - row_at_);
      row_at_ = to;
      value_ = value;
      value_at_ = 0;
      if (value_ && value_->size() == 0) value_ = nullptr;
      return true;
    }
    if (row_ == batch_.num_rows()) return false;
    if (!HasLong(row_)) {
      size_t end = row_ + 1;
      while (end < batch_.num_rows() && end - row_ < kRowsPerRefill && !HasLong(end)) ++end;
      encoder_.Encode(batch_, row_, end, ready_);
      row_ = end;
      return true;
    }
    row_text_.clear();
    row_at_ = 0;
    encoder_.Encode(batch_, row_, row_ + 1, row_text_);
    // A long field is empty in row_text_; escaping leaves no TAB inside a field, so the field
    // begins after as many TABs as columns before it.
    size_t at = 0;
    for (size_t i = 0; i < batch_.num_columns(); ++i) {
      if (const LongValue* value = batch_.column(i).Long(row_)) pending_.push_back({at, value});
      at = row_text_.find('\t', at) + 1;
    }
    pending_.push_back({row_text_.size(), nullptr});
    ++row_;
    return true;
  }

  bool HasLong(size_t row) const {
    for (size_t i = 0; i < batch_.num_columns(); ++i) {
      if (batch_.column(i).Long(row)) return true;
    }
    return false;
  }

  static constexpr size_t kRowsPerRefill = 1024;
  const LoadDataEncoder& encoder_;
  const Batch& batch_;
  size_t row_ = 0;     // the next row to encode
  std::string ready_;  // bytes to serve
  size_t ready_at_ = 0;
  std::string row_text_;  // a row with long values, encoded with them left empty
  size_t row_at_ = 0;     // how much of row_text_ was served
  std::vector<std::pair<size_t, const LongValue*>> pending_;  // places in row_text_ and values
  const LongValue* value_ = nullptr;  // the long value being served, and how much of it
  size_t value_at_ = 0;
  std::string piece_;
};

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
    std::string names, loaded, bits;
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i > 0) names += ", ";
      names += dialect.Quote(table_.columns[size_t(columns_[i])].name);
      // LOAD DATA would store a BIT column's text as its bytes: the number goes in through a
      // variable.
      const Column& c = table_.columns[size_t(columns_[i])];
      loaded += (i > 0 ? ", " : "") +
                (IsBitField(c.type) ? fmt::format("@ferry_bit{}", i) : dialect.Quote(c.name));
      if (IsBitField(c.type)) {
        bits += fmt::format("{}{} = CAST(@ferry_bit{} AS UNSIGNED)", bits.empty() ? " SET " : ", ",
                            dialect.Quote(c.name), i);
      }
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
    sql_ = fmt::format("LOAD DATA LOCAL INFILE '{}' INTO TABLE {} CHARACTER SET utf8mb4 {} ({}){}",
                       kInfileName, into, kLoadDataFormat, loaded, bits);
  }

  void Prepare(Batch& batch) const override {
    batch.wire().clear();
    if (batch.has_long()) return;  // encoded as the server reads it, by Write
    encoder_.Encode(batch, 0, batch.num_rows(), batch.wire());
    batch.set_wire_rows(batch.num_rows());
  }

  void Write(const Batch& batch) override {
    const size_t rows = batch.num_rows();
    if (rows == 0) return;
    std::optional<LongBatchStream> stream;
    if (batch.has_long()) {
      stream.emplace(encoder_, batch);
      source_.pull = [&stream](char* out, size_t length) { return stream->Read(out, length); };
    } else if (batch.wire_rows() == rows && !batch.wire().empty()) {
      source_.data = batch.wire();
    } else {
      own_.clear();
      encoder_.Encode(batch, 0, rows, own_);
      source_.data = own_;
    }
    source_.armed = true;
    const int rc = mysql_real_query(connection_.get(), sql_.data(), sql_.size());
    source_.armed = false;
    source_.data = {};
    source_.pull = nullptr;
    if (source_.failure) std::rethrow_exception(std::exchange(source_.failure, nullptr));
    const StatementRows statement{&table_, &columns_, &key_positions_, &batch, 0, rows};
    if (rc != 0) {
      Error error =
          MakeError(connection_.get(), "LOAD DATA LOCAL INFILE", "MariaDB refused the batch");
      NameRow(error, statement);
      throw error;
    }
    // LOCAL turns refused values and duplicate keys into warnings and goes on: any warning, or a
    // row not stored, fails the unit.
    unsigned warnings = mysql_warning_count(connection_.get());
    const uint64_t stored = mysql_affected_rows(connection_.get());
    if (OnlyComputedRounding(connection_, table_, warnings)) warnings = 0;
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
    if (const unsigned warnings = mysql_warning_count(connection_.get());
        warnings > 0 && !OnlyComputedRounding(connection_, table_, warnings)) {
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
