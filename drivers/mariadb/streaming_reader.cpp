#include "drivers/mariadb/streaming_reader.hpp"

#include <fmt/format.h>

#include "copier/convert.hpp"
#include "copier/secrets.hpp"
#include "drivers/mariadb/mariadb_text.hpp"
#include "drivers/sql/sql_endpoint.hpp"

namespace ferry::mariadb {

namespace {

const char* KindWord(const ColumnType& type) {
  switch (type.kind) {
    case TypeKind::kBoolean:
      return "boolean";
    case TypeKind::kInteger:
      return "integer";
    case TypeKind::kDecimal:
      return "decimal number";
    case TypeKind::kReal:
    case TypeKind::kDouble:
      return "floating-point number";
    case TypeKind::kDate:
      return "date";
    case TypeKind::kTime:
      return "time of day";
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      return "timestamp";
    case TypeKind::kUuid:
      return "UUID";
    default:
      return "value";
  }
}

class StreamingReader final : public RowReader {
 public:
  StreamingReader(Connection& connection, const Dialect& dialect, const ReadRequest& request)
      : connection_(connection),
        table_(*request.table),
        columns_(request.columns),
        limits_(request.limits),
        storages_(Storages(table_, columns_)),
        decoder_(storages_) {
    key_positions_ = KeyPositions(table_, columns_);
    if (connection_.get()->status != MYSQL_STATUS_READY) {
      throw Error(ErrorCode::kInternal,
                  "a MariaDB read session streams one unit at a time: the previous reader must "
                  "be finished or destroyed before the next one starts");
    }
    try {
      connection_.Send(dialect.SelectSql(table_, columns_, request.unit.range));
      result_.reset(mysql_use_result(connection_.get()));
      if (!result_) connection_.Fail("mysql_use_result", "MariaDB query failed");
      if (mysql_num_fields(result_.get()) != columns_.size()) {
        throw Error(ErrorCode::kInternal, "the MariaDB query returned an unexpected column count");
      }
    } catch (Error& e) {
      e.WithTable(DisplayName(table_.name));
      throw;
    }
  }

  ~StreamingReader() override {
    // Freeing an unfinished streaming result reads every remaining row; stop the query first.
    if (result_ && !done_ && !failed_) connection_.KillQuery();
  }

  bool Next(Batch& batch) override {
    batch.Reset(storages_);
    if (done_) return false;
    MYSQL_RES* result = result_.get();
    // At least one row per batch, whatever the limits say, so a huge row still moves.
    while (batch.num_rows() == 0 ||
           (batch.num_rows() < limits_.max_rows && batch.ByteSize() < limits_.max_bytes)) {
      MYSQL_ROW row = mysql_fetch_row(result);
      if (!row) {
        if (mysql_errno(connection_.get()) != 0) {
          failed_ = true;  // nothing left to kill: the query ended with the error
          try {
            connection_.Fail("mysql_fetch_row", "reading from MariaDB failed");
          } catch (Error& e) {
            e.WithTable(DisplayName(table_.name));
            throw;
          }
        }
        done_ = true;
        result_.reset();
        break;
      }
      const unsigned long* lengths = mysql_fetch_lengths(result);
      const int bad_column = decoder_.Append(row, lengths, batch);
      if (bad_column >= 0) {
        const unsigned long length = lengths[bad_column];
        bad_text_.assign(row[bad_column], std::min<size_t>(length, 64));
        if (length > 64) bad_text_ += "…";
      }
      if (bad_column >= 0) Refuse(batch, size_t(bad_column));
    }
    return batch.num_rows() > 0;
  }

  std::string Method() const override { return "libmariadb streaming"; }

 private:
  static std::vector<Storage> Storages(const Table& table, const std::vector<int>& columns) {
    std::vector<Storage> out;
    for (int c : columns) out.push_back(StorageOf(table.columns[size_t(c)].type));
    return out;
  }

  [[noreturn]] void Refuse(const Batch& batch, size_t column) const {
    const Column& c = table_.columns[size_t(columns_[column])];
    ErrorContext context;
    context.table = DisplayName(table_.name);
    context.column = c.name;
    context.key = RenderKey(batch, key_positions_, KeyNames(table_, columns_, key_positions_),
                            batch.num_rows() - 1);
    std::string why = storages_[column] == Storage::kBool
                          ? fmt::format("{} in a boolean column ({}) is neither 0 nor 1",
                                        ShownText(bad_text_), c.type.native)
                          : fmt::format("{} is not a valid {} ({})", ShownText(bad_text_),
                                        KindWord(c.type), c.type.native);
    throw Error(ErrorCode::kData, "cannot read value: " + why, std::move(context));
  }

  Connection& connection_;
  const Table& table_;
  std::vector<int> columns_;
  BatchLimits limits_;
  std::vector<Storage> storages_;
  TextRowDecoder decoder_;
  std::vector<int> key_positions_;
  Result result_;
  bool done_ = false;
  bool failed_ = false;
  std::string bad_text_;
};

}  // namespace

std::unique_ptr<RowReader> MakeStreamingReader(Connection& connection, const Dialect& dialect,
                                               const ReadRequest& request) {
  return std::make_unique<StreamingReader>(connection, dialect, request);
}

}  // namespace ferry::mariadb
