#include "drivers/mariadb/bulk_insert_writer.hpp"

#include <fmt/format.h>

#include <cstring>

#include "copier/convert.hpp"
#include "copier/values.hpp"
#include "drivers/long_values.hpp"
#include "drivers/mariadb/write_support.hpp"
#include "drivers/sql/sql_endpoint.hpp"

namespace ferry::mariadb {

namespace {

// Request bytes one value takes besides its payload: the indicator and a length prefix.
constexpr size_t kValueOverhead = 10;

// One parameter's arrays for one execution, reused from chunk to chunk.
struct Parameter {
  Storage storage;
  enum_field_types type;
  std::vector<char> indicators;
  std::vector<int64_t> fixed;         // integers, and doubles' bits
  std::vector<const char*> pointers;  // strings, and the MYSQL_TIME values below
  std::vector<unsigned long> lengths;
  std::vector<MYSQL_TIME> times;
  std::string text;  // UUIDs in their 36-character form
};

enum_field_types TypeOf(Storage storage) {
  switch (storage) {
    case Storage::kBool:
    case Storage::kInt64:
    case Storage::kUInt64:
      return MYSQL_TYPE_LONGLONG;
    case Storage::kFloat64:
      return MYSQL_TYPE_DOUBLE;
    case Storage::kDecimal:
      return MYSQL_TYPE_NEWDECIMAL;
    case Storage::kText:
    case Storage::kUuid:
      return MYSQL_TYPE_STRING;  // character_set_client (utf8mb4), checked by the server
    case Storage::kBytes:
      return MYSQL_TYPE_BLOB;  // binary: stored as it is
    case Storage::kDate:
      return MYSQL_TYPE_DATE;
    case Storage::kTime:
      return MYSQL_TYPE_TIME;
    case Storage::kTimestamp:
      return MYSQL_TYPE_DATETIME;  // the session is in UTC, so TIMESTAMP columns get UTC too
  }
  return MYSQL_TYPE_STRING;
}

// Payload bytes of rows [begin, end) of a variable-length column (its values are contiguous).
size_t VariableBytes(const ColumnVector& column, size_t begin, size_t end) {
  const std::string_view first = column.Bytes(begin), last = column.Bytes(end - 1);
  return size_t(last.data() + last.size() - first.data());
}

void SetClock(int64_t micros_of_day, MYSQL_TIME& t) {
  // A TIME column's value may be negative or beyond a day (-838:59:59 to 838:59:59).
  t.neg = micros_of_day < 0;
  if (t.neg) micros_of_day = -micros_of_day;
  const int64_t seconds = micros_of_day / kMicrosPerSecond;
  t.hour = unsigned(seconds / 3600);
  t.minute = unsigned(seconds / 60 % 60);
  t.second = unsigned(seconds % 60);
  t.second_part = static_cast<unsigned long>(micros_of_day % kMicrosPerSecond);
}

void SetDate(int32_t days, MYSQL_TIME& t) {
  if (IsZeroDate(days)) {
    // The parts of a zero date as FormatDateTo prints them.
    char text[16];
    FormatDateTo(days, text);
    auto digits = [&](int at, int n) {
      unsigned v = 0;
      for (int i = at; i < at + n; ++i) v = v * 10 + unsigned(text[i] - '0');
      return v;
    };
    t.year = digits(0, 4);
    t.month = digits(5, 2);
    t.day = digits(8, 2);
    return;
  }
  const CivilDate d = CivilFromDays(days);
  t.year = unsigned(d.year);
  t.month = unsigned(d.month);
  t.day = unsigned(d.day);
}

// Fills `p`'s arrays from rows [begin, end) of `column` and points `bind` at them.
void Fill(Parameter& p, const ColumnVector& column, size_t begin, size_t end, MYSQL_BIND& bind) {
  const size_t n = end - begin;
  p.indicators.resize(n);
  for (size_t i = 0; i < n; ++i) {
    p.indicators[i] = column.IsNull(begin + i) ? STMT_INDICATOR_NULL : STMT_INDICATOR_NONE;
  }
  std::memset(&bind, 0, sizeof bind);
  bind.buffer_type = p.type;
  bind.u.indicator = p.indicators.data();
  bind.is_unsigned = p.storage == Storage::kUInt64;
  switch (p.storage) {
    case Storage::kBool:
    case Storage::kInt64:
    case Storage::kUInt64:
    case Storage::kFloat64:
      p.fixed.resize(n);
      for (size_t i = 0; i < n; ++i) p.fixed[i] = column.Int(begin + i);
      bind.buffer = p.fixed.data();
      return;
    case Storage::kDecimal:
    case Storage::kText:
    case Storage::kBytes:
      p.pointers.resize(n);
      p.lengths.resize(n);
      for (size_t i = 0; i < n; ++i) {
        std::string_view v = column.Bytes(begin + i);
        p.pointers[i] = v.data();
        p.lengths[i] = v.size();
      }
      break;
    case Storage::kUuid:
      p.text.resize(n * 36);
      p.pointers.resize(n);
      p.lengths.assign(n, 36);
      for (size_t i = 0; i < n; ++i) {
        p.pointers[i] = p.text.data() + i * 36;
        if (column.IsNull(begin + i)) continue;
        FormatUuidTo(reinterpret_cast<const unsigned char*>(column.Bytes(begin + i).data()),
                     p.text.data() + i * 36);
      }
      break;
    case Storage::kDate:
    case Storage::kTime:
    case Storage::kTimestamp:
      p.times.resize(n);
      p.pointers.resize(n);
      for (size_t i = 0; i < n; ++i) {
        MYSQL_TIME& t = p.times[i];
        t = MYSQL_TIME{};
        p.pointers[i] = reinterpret_cast<const char*>(&t);
        const int64_t v = column.Int(begin + i);
        if (p.storage == Storage::kDate) {
          SetDate(int32_t(v), t);
          t.time_type = MYSQL_TIMESTAMP_DATE;
        } else if (p.storage == Storage::kTime) {
          SetClock(v, t);
          // The client sends a TIME's hours below 24 and whole days apart (one byte of hours).
          t.day = t.hour / 24;
          t.hour %= 24;
          t.time_type = MYSQL_TIMESTAMP_TIME;
        } else {
          SetDate(DayOf(v), t);
          SetClock(TimeOfDay(v), t);
          t.time_type = MYSQL_TIMESTAMP_DATETIME;
        }
      }
      bind.buffer = p.pointers.data();
      return;
  }
  bind.buffer = p.pointers.data();
  bind.length = p.lengths.data();
}

class BulkInsertWriter final : public RowWriter {
 public:
  BulkInsertWriter(Connection& connection, const Dialect& dialect, const WriteRequest& request,
                   size_t max_request_bytes)
      : connection_(connection),
        table_(*request.table),
        columns_(request.columns),
        key_positions_(request.key_positions),
        upsert_(request.upsert),
        max_request_bytes_(max_request_bytes),
        transaction_(connection, table_, dialect.ReplaceRangeSql(table_, request.replace_range)) {
    for (int c : columns_) {
      const Storage storage = StorageOf(table_.columns[size_t(c)].type);
      parameters_.push_back(Parameter{storage, TypeOf(storage), {}, {}, {}, {}, {}, {}});
    }
    binds_.resize(parameters_.size());
    for (size_t i = 0; i < parameters_.size(); ++i) {
      fixed_row_bytes_ += kValueOverhead;
      if (IsVariableLength(parameters_[i].storage)) {
        variable_.push_back(i);
      } else {
        fixed_row_bytes_ += 12;  // a DATETIME with microseconds, the widest on the wire
      }
    }
    // Upsert rides the same bulk arrays: MariaDB runs INSERT ... ON DUPLICATE KEY UPDATE for
    // every row of an array execution, so it costs one statement per batch as a plain load does.
    sql_ = upsert_ ? dialect.UpsertSql(table_, columns_, request.upsert_key)
                   : dialect.InsertSql(table_, columns_);
    const std::string& sql = sql_;
    stmt_.reset(mysql_stmt_init(connection_.get()));
    if (!stmt_) connection_.Fail("mysql_stmt_init", "MariaDB could not allocate a statement");
    if (mysql_stmt_prepare(stmt_.get(), sql.data(), sql.size()) != 0) {
      throw MakeError(stmt_.get(), "mysql_stmt_prepare", "MariaDB refused the INSERT");
    }
  }

  void Write(const Batch& batch) override {
    const size_t rows = batch.num_rows();
    if (rows == 0) return;
    if (batch.has_long()) {
      WriteWithLongValues(batch);
      return;
    }
    WriteRows(batch, 0, rows);
  }

  void WriteRows(const Batch& batch, size_t first, size_t rows) {
    // Most batches fit one request whole; only a batch that does not is cut row by row.
    size_t total = (rows - first) * fixed_row_bytes_;
    for (size_t i : variable_) total += VariableBytes(batch.column(i), first, rows);
    if (total <= max_request_bytes_) {
      Execute(batch, first, rows);
      return;
    }
    size_t begin = first;
    while (begin < rows) {
      // As many rows as fit the request budget, and always at least one.
      size_t end = begin, bytes = 0;
      while (end < rows) {
        size_t row_bytes = fixed_row_bytes_;
        for (size_t i : variable_) row_bytes += batch.column(i).Bytes(end).size();
        if (end > begin && bytes + row_bytes > max_request_bytes_) break;
        bytes += row_bytes;
        ++end;
      }
      Execute(batch, begin, end);
      begin = end;
    }
  }

  void Commit(const std::vector<std::string>& finish_sql) override {
    long_stmt_.reset();
    transaction_.Commit(finish_sql);
  }
  void Rollback() override {
    long_stmt_.reset();
    transaction_.Rollback();
  }

  std::string Method() const override {
    return upsert_ ? "bulk prepared insert ... on duplicate key update" : "bulk prepared insert";
  }

 private:
  void Execute(const Batch& batch, size_t begin, size_t end) {
    const StatementRows statement{&table_, &columns_, &key_positions_, &batch, begin, end - begin};
    for (size_t i = 0; i < parameters_.size(); ++i) {
      Fill(parameters_[i], batch.column(i), begin, end, binds_[i]);
    }
    unsigned int size = unsigned(end - begin);
    MYSQL_STMT* stmt = stmt_.get();
    if (mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &size) != 0 ||
        mysql_stmt_bind_param(stmt, binds_.data()) != 0) {
      Error error = MakeError(stmt, "mysql_stmt_bind_param", "binding the batch failed");
      throw error;
    }
    if (mysql_stmt_execute(stmt) != 0) {
      Error error = MakeError(stmt, "mysql_stmt_execute", "MariaDB refused the batch");
      NameRow(error, statement);
      throw error;
    }
    // Strict mode makes refused values errors; what is left as a warning or note (a decimal
    // rounded, say) would still be a value changed on the way, so it fails the unit too.
    unsigned warnings = mysql_warning_count(connection_.get());
    const uint64_t stored = mysql_stmt_affected_rows(stmt);
    if (OnlyComputedRounding(connection_, table_, warnings)) warnings = 0;
    // An upserted row counts 1 inserted, 2 updated and 0 unchanged, so only a plain insert's
    // count can be checked.
    if (warnings > 0 || (!upsert_ && stored != end - begin)) {
      throw WarningsError(connection_,
                          warnings > 0
                              ? fmt::format("MariaDB did not store the batch as sent: {} warning{}",
                                            warnings, warnings == 1 ? "" : "s")
                              : fmt::format("MariaDB stored {} of {} rows", stored, end - begin),
                          statement, "mysql_stmt_execute");
    }
  }

  // Rows without long values go in bulk as usual; each row with one is its own execution of
  // the statement, its long values sent in pieces with mysql_stmt_send_long_data.
  void WriteWithLongValues(const Batch& batch) {
    size_t begin = 0;
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      bool has_long = false;
      for (size_t i = 0; i < batch.num_columns() && !has_long; ++i) {
        has_long = batch.column(i).has_long() && batch.column(i).Long(r);
      }
      if (!has_long) continue;
      if (begin < r) WriteRows(batch, begin, r);
      ExecuteLong(batch, r);
      begin = r + 1;
    }
    if (begin < batch.num_rows()) WriteRows(batch, begin, batch.num_rows());
  }

  void ExecuteLong(const Batch& batch, size_t row) {
    const StatementRows statement{&table_, &columns_, &key_positions_, &batch, row, 1};
    if (!long_stmt_) {
      long_stmt_.reset(mysql_stmt_init(connection_.get()));
      if (!long_stmt_)
        connection_.Fail("mysql_stmt_init", "MariaDB could not allocate a statement");
      if (mysql_stmt_prepare(long_stmt_.get(), sql_.data(), sql_.size()) != 0) {
        throw MakeError(long_stmt_.get(), "mysql_stmt_prepare", "MariaDB refused the INSERT");
      }
    }
    MYSQL_STMT* stmt = long_stmt_.get();
    std::vector<MYSQL_BIND> binds(parameters_.size());
    std::vector<my_bool> nulls(parameters_.size());
    std::vector<size_t> long_positions;
    for (size_t i = 0; i < parameters_.size(); ++i) {
      Parameter& p = parameters_[i];
      const ColumnVector& column = batch.column(i);
      Fill(p, column, row, row + 1, binds_[i]);
      MYSQL_BIND& b = binds[i];
      std::memset(&b, 0, sizeof b);
      b.buffer_type = p.type;
      b.is_unsigned = p.storage == Storage::kUInt64;
      nulls[i] = column.IsNull(row);
      b.is_null = &nulls[i];
      if (const LongValue* value = column.Long(row)) {
        CheckPacket(*value, batch, row, i);
        b.buffer_type = MYSQL_TYPE_LONG_BLOB;
        long_positions.push_back(i);
      } else if (!p.fixed.empty() && IsFixed(p.storage)) {
        b.buffer = p.fixed.data();
      } else if (p.storage == Storage::kDate || p.storage == Storage::kTime ||
                 p.storage == Storage::kTimestamp) {
        b.buffer = p.times.data();
      } else {
        b.buffer = const_cast<char*>(p.pointers[0]);
        b.buffer_length = p.lengths[0];
        b.length = p.lengths.data();
      }
    }
    unsigned int one = 0;  // not an array execution
    if (mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &one) != 0 ||
        mysql_stmt_bind_param(stmt, binds.data()) != 0) {
      Error error = MakeError(stmt, "mysql_stmt_bind_param", "binding a row failed");
      throw error;
    }
    for (size_t i : long_positions) {
      ForEachPiece(*batch.column(i).Long(row), [&](std::string_view piece) {
        if (mysql_stmt_send_long_data(stmt, unsigned(i), piece.data(), piece.size()) != 0) {
          Error error = MakeError(stmt, "mysql_stmt_send_long_data", "sending a long value failed");
          NameRow(error, statement);
          throw error;
        }
      });
    }
    if (mysql_stmt_execute(stmt) != 0) {
      Error error = MakeError(stmt, "mysql_stmt_execute", "MariaDB refused the row");
      NameRow(error, statement);
      throw error;
    }
    unsigned warnings = mysql_warning_count(connection_.get());
    const uint64_t stored = mysql_stmt_affected_rows(stmt);
    if (OnlyComputedRounding(connection_, table_, warnings)) warnings = 0;
    if (warnings > 0 || (!upsert_ && stored != 1)) {
      throw WarningsError(connection_, "MariaDB did not store the row as sent", statement,
                          "mysql_stmt_execute");
    }
  }

  static bool IsFixed(Storage storage) {
    return storage == Storage::kBool || storage == Storage::kInt64 || storage == Storage::kUInt64 ||
           storage == Storage::kFloat64;
  }

  // The server refuses a parameter longer than its max_allowed_packet only after taking every
  // piece: say so first, naming the setting.
  void CheckPacket(const LongValue& value, const Batch& batch, size_t row, size_t position) {
    if (!max_packet_) {
      std::vector<SqlSession::Row> rows = connection_.Query("SELECT @@max_allowed_packet");
      max_packet_ = rows.empty() || !rows[0][0] ? 0 : std::stoull(*rows[0][0]);
    }
    if (*max_packet_ == 0 || value.size() <= *max_packet_) return;
    ErrorContext context;
    context.table = DisplayName(table_.name);
    context.column = table_.columns[size_t(columns_[position])].name;
    context.key = RenderKey(batch, key_positions_, KeyNames(table_, columns_, key_positions_), row);
    throw Error(ErrorCode::kData,
                fmt::format("a value of {} bytes is larger than the destination server's "
                            "max_allowed_packet ({} bytes); raise max_allowed_packet on the "
                            "destination server to copy it",
                            value.size(), *max_packet_),
                std::move(context));
  }

  Connection& connection_;
  const Table& table_;
  std::vector<int> columns_;
  std::vector<int> key_positions_;
  bool upsert_;
  size_t max_request_bytes_;
  std::string sql_;
  StmtHandle long_stmt_;  // rows with long values; closed before the transaction ends
  std::optional<uint64_t> max_packet_;
  std::vector<Parameter> parameters_;
  std::vector<size_t> variable_;  // parameters whose values vary in length
  size_t fixed_row_bytes_ = 0;    // request bytes of a row besides its variable-length values
  std::vector<MYSQL_BIND> binds_;
  UnitTransaction transaction_;
  StmtHandle stmt_;  // closed before the transaction ends
};

}  // namespace

bool SupportsBulkInsert(Connection& connection) {
  unsigned long capabilities = 0;
  if (mariadb_get_infov(connection.get(), MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES,
                        &capabilities) != 0) {
    return false;
  }
  unsigned long server = 0;
  mariadb_get_infov(connection.get(), MARIADB_CONNECTION_SERVER_CAPABILITIES, &server);
  // A MySQL server says so with CLIENT_MYSQL; MariaDB's extended capabilities name bulk.
  return !(server & CLIENT_MYSQL) &&
         (capabilities & (MARIADB_CLIENT_STMT_BULK_OPERATIONS >> 32)) != 0;
}

std::unique_ptr<RowWriter> MakeBulkInsertWriter(Connection& connection, const Dialect& dialect,
                                                const WriteRequest& request,
                                                size_t max_request_bytes) {
  return std::make_unique<BulkInsertWriter>(connection, dialect, request, max_request_bytes);
}

}  // namespace ferry::mariadb
