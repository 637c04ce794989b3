#include "drivers/mariadb/streaming_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>

#include "copier/convert.hpp"
#include "copier/secrets.hpp"
#include "copier/types.hpp"
#include "drivers/long_values.hpp"
#include "drivers/mariadb/mariadb_text.hpp"
#include "drivers/sql/sql_endpoint.hpp"

namespace ferry::mariadb {

namespace {

// Long values are read in pieces this large: each piece is a query that reads the whole value
// in the server, so pieces are larger than other engines'.
constexpr size_t kPiece = size_t(32) << 20;

// Whether a column may hold values longer than `threshold` bytes (of its text or bytes).
bool MayBeLong(const ColumnType& type, size_t threshold) {
  const Storage storage = StorageOf(type);
  if (storage != Storage::kText && storage != Storage::kBytes) return false;
  if (type.max_bytes >= 0) return size_t(type.max_bytes) > threshold;
  return type.length < 0 || size_t(type.length) * 4 > threshold;
}

// A column whose long values the reader fetches in pieces.
struct LongColumn {
  size_t position;         // in the batch
  std::string expression;  // its bytes as every reader sees them (utf8mb4 for text)
};

// A row the stream left out for its long values, and how to find it again: by its key, or in a
// table without one by its place in the stream (the same query in the same snapshot scans the
// same rows in the same order) with its short values, which the row read again must match.
struct LongRow {
  std::vector<std::optional<std::string>> key;
  uint64_t place = 0;
  std::vector<std::optional<std::string>> values;
};

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
      connection_.Send(SelectSql(dialect, request.unit.range));
      result_.reset(mysql_use_result(connection_.get()));
      if (!result_) connection_.Fail("mysql_use_result", "MariaDB query failed");
      if (mysql_num_fields(result_.get()) != columns_.size() + (long_columns_.empty() ? 0 : 1)) {
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
    if (done_ && long_rows_.empty()) return false;
    MYSQL_RES* result = result_.get();
    // At least one row per batch, whatever the limits say, so a huge row still moves.
    while (batch.num_rows() == 0 ||
           (batch.num_rows() < limits_.max_rows && batch.ByteSize() < limits_.max_bytes)) {
      if (!result) {
        // The stream is over: the rows it left out for their long values come now.
        if (long_rows_.empty()) break;
        ReadLongRow(long_rows_.back(), batch);
        long_rows_.pop_back();
        continue;
      }
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
        result = nullptr;
        continue;
      }
      const unsigned long* lengths = mysql_fetch_lengths(result);
      ++streamed_;
      if (!long_columns_.empty() && row[columns_.size()] && row[columns_.size()][0] == '1') {
        KeepLongRow(row, lengths);
        continue;
      }
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

  // The unit's rows, long values left out (the whole row would travel, and be held, as one
  // packet) with a last column that marks their rows: those are read again after the stream.
  std::string SelectSql(const Dialect& dialect, const KeyRange& range) {
    const size_t threshold = LongValueThreshold(limits_.max_bytes);
    std::string select, test;
    for (size_t i = 0; i < columns_.size(); ++i) {
      const Column& c = table_.columns[size_t(columns_[i])];
      const std::string e = dialect.SelectExpression(c);
      if (!select.empty()) select += ", ";
      if (MayBeLong(c.type, threshold)) {
        const std::string t = fmt::format("LENGTH({}) > {}", e, threshold);
        select += fmt::format("IF({}, NULL, {})", t, e);
        test += (test.empty() ? "" : " OR ") + t;
        long_columns_.push_back({i, StorageOf(c.type) == Storage::kText
                                        ? "CAST(CONVERT(" + e + " USING utf8mb4) AS BINARY)"
                                        : e});
      } else {
        select += e;
      }
    }
    row_select_ = select;
    from_ = " FROM " + dialect.RowsOf(table_);
    for (int k : key_positions_) {
      key_expressions_.push_back(
          dialect.SelectExpression(table_.columns[size_t(columns_[size_t(k)])]));
    }
    if (!test.empty()) select += ", " + test;
    const std::string where = dialect.RangePredicate(table_, range);
    where_ = where.empty() ? "" : " " + where;
    return "SELECT " + select + from_ + where_;
  }

  void KeepLongRow(MYSQL_ROW row, const unsigned long* lengths) {
    auto value = [&](size_t i) {
      return row[i] ? std::optional<std::string>(std::string(row[i], lengths[i])) : std::nullopt;
    };
    LongRow kept;
    for (int k : key_positions_) kept.key.push_back(value(size_t(k)));
    if (key_positions_.empty()) {
      kept.place = streamed_ - 1;
      for (size_t i = 0; i < columns_.size(); ++i) kept.values.push_back(value(i));
    }
    long_rows_.push_back(std::move(kept));
  }

  // The condition that finds a left-out row again (see LongRow).
  std::string FindAgain(const LongRow& kept) {
    if (key_positions_.empty()) return where_ + fmt::format(" LIMIT {}, 1", kept.place);
    // The key as literals (the server's escaping), compared as the reader printed it.
    const auto& key = kept.key;
    std::string where = " WHERE ";
    for (size_t k = 0; k < key.size(); ++k) {
      if (k > 0) where += " AND ";
      if (key[k]) {
        std::string escaped(key[k]->size() * 2 + 1, '\0');
        escaped.resize(mysql_real_escape_string(connection_.get(), escaped.data(), key[k]->data(),
                                                key[k]->size()));
        where += key_expressions_[k] + " = '" + escaped + "'";
      } else {
        where += key_expressions_[k] + " IS NULL";
      }
    }
    return where;
  }

  // A row the stream left out: its short values and the long values' sizes in one query, then
  // each long value a piece per query into a spill file. Same transaction, same snapshot.
  void ReadLongRow(const LongRow& kept, Batch& batch) {
    const std::string where = FindAgain(kept);
    std::string sql = "SELECT " + row_select_;
    for (const LongColumn& c : long_columns_) sql += ", LENGTH(" + c.expression + ")";
    std::vector<SqlSession::Row> rows = connection_.Query(sql + from_ + where);
    const bool same =
        rows.size() == 1 && (kept.values.empty() ||
                             std::equal(kept.values.begin(), kept.values.end(), rows[0].begin()));
    if (!same) {
      throw Error(ErrorCode::kDriver,
                  "a row with a long value changed while the table was read (copy with a "
                  "stopped source or --consistency snapshot)");
    }
    const SqlSession::Row& row = rows[0];
    std::vector<const char*> values;
    std::vector<unsigned long> lengths;
    for (size_t i = 0; i < columns_.size(); ++i) {
      values.push_back(row[i] ? row[i]->data() : nullptr);
      lengths.push_back(row[i] ? row[i]->size() : 0);
    }
    const int bad_column = decoder_.Append(values.data(), lengths.data(), batch);
    if (bad_column >= 0) {
      bad_text_.assign(values[size_t(bad_column)] ? values[size_t(bad_column)] : "",
                       std::min<size_t>(lengths[size_t(bad_column)], 64));
      Refuse(batch, size_t(bad_column));
    }
    for (size_t k = 0; k < long_columns_.size(); ++k) {
      const std::optional<std::string>& size = row[columns_.size() + k];
      if (!size || std::stoull(*size) <= LongValueThreshold(limits_.max_bytes)) continue;
      auto value = std::make_shared<SpillFile>();
      const size_t total = std::stoull(*size);
      for (size_t at = 0; at < total; at += kPiece) {
        // Streamed, so the piece is held once, in libmariadb's buffer.
        connection_.Send(fmt::format("SELECT SUBSTRING({}, {}, {})", long_columns_[k].expression,
                                     at + 1, kPiece) +
                         from_ + where);
        Result piece(mysql_use_result(connection_.get()));
        if (!piece) connection_.Fail("mysql_use_result", "reading a long value failed");
        MYSQL_ROW row = mysql_fetch_row(piece.get());
        if (!row || !row[0]) break;
        value->Append(std::string_view(row[0], mysql_fetch_lengths(piece.get())[0]));
        while (mysql_fetch_row(piece.get())) {
        }
      }
      if (value->size() != total) {
        throw Error(
            ErrorCode::kDriver,
            fmt::format("a long value read in pieces has {} bytes, not {}", value->size(), total));
      }
      batch.column(long_columns_[k].position).SetLastLong(std::move(value));
    }
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
                                        KindWord(c.type.kind), c.type.native);
    throw Error(ErrorCode::kData, "cannot read value: " + why, std::move(context));
  }

  Connection& connection_;
  const Table& table_;
  std::vector<int> columns_;
  BatchLimits limits_;
  std::vector<Storage> storages_;
  TextRowDecoder decoder_;
  std::vector<int> key_positions_;
  std::vector<LongColumn> long_columns_;
  std::vector<LongRow> long_rows_;
  uint64_t streamed_ = 0;  // rows the stream gave so far
  std::vector<std::string> key_expressions_;
  std::string row_select_, from_, where_;
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
