// Native SQLite reader. SQLite stores any value in any column, so the reader looks at each
// value's storage class and accepts it only where it means exactly what the declared type says.
#include "drivers/sqlite/sqlite_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "copier/secrets.hpp"
#include "copier/values.hpp"
#include "drivers/long_values.hpp"
#include "drivers/sql/sql_endpoint.hpp"
#include "drivers/sqlite/sqlite_any.hpp"
#include "drivers/sqlite/sqlite_blobs.hpp"

namespace ferry::sqlite {

namespace {

const char* StorageClassName(int type) {
  switch (type) {
    case SQLITE_INTEGER:
      return "an integer";
    case SQLITE_FLOAT:
      return "a real";
    case SQLITE_TEXT:
      return "text";
    case SQLITE_BLOB:
      return "a blob";
  }
  return "NULL";
}

// A value as a statement's column (the reader, through sqlite3_column_value) or as a SQL
// function's argument (ferry check --scan's ferry_readable): one reading of values for both.
struct ValueAccess {
  sqlite3_value* v;
  int type() const { return sqlite3_value_type(v); }
  int64_t int64() const { return sqlite3_value_int64(v); }
  double real() const { return sqlite3_value_double(v); }
  const unsigned char* text() const { return sqlite3_value_text(v); }
  const void* blob() const { return sqlite3_value_blob(v); }
  int bytes() const { return sqlite3_value_bytes(v); }
};

// A NUMERIC column holds its decimals as reals; the shortest text that reads back as the same
// real is the decimal that was stored (15 digits survive). std::to_chars writes that text (as
// FormatDouble does) with no leading or trailing zeros, so it is already CanonicalDecimal's form
// unless it is "-0" or in exponent notation: only those go through CanonicalDecimal, and the
// common value is appended without a string made for it.
void AppendDecimalOfReal(double d, ColumnVector& out) {
  char buf[32];
  const std::string_view text(buf, size_t(std::to_chars(buf, buf + sizeof buf, d).ptr - buf));
  if (text.find_first_of("eE") == std::string_view::npos && text != "-0") {
    out.AppendBytes(text);
  } else {
    out.AppendBytes(*CanonicalDecimal(text));
  }
}

// Reads one non-NULL value into `out`; returns "" or why it does not fit the column's storage.
template <typename Access>
std::string ReadValue(const Access& a, ColumnVector& out) {
  const int type = a.type();
  // The pointer first: asking for text may convert the value, and the size is the result's.
  auto text = [&] {
    const auto* p = reinterpret_cast<const char*>(a.text());
    return std::string_view(p, size_t(a.bytes()));
  };
  auto blob = [&] {
    const auto* p = static_cast<const char*>(a.blob());
    return std::string_view(p, size_t(a.bytes()));
  };
  auto unreadable = [&](std::string_view what) {
    // The value only with --show-values (copier/secrets.hpp); its size otherwise.
    std::string shown = ShowValues() ? fmt::format("'{}'", what.substr(0, 64))
                                     : fmt::format("of {} bytes", what.size());
    return fmt::format("{} {} cannot be read as this column's type", StorageClassName(type), shown);
  };
  switch (out.storage()) {
    case Storage::kInt64:
    case Storage::kUInt64:
    case Storage::kBool:
      if (type == SQLITE_INTEGER) {
        int64_t v = a.int64();
        if (out.storage() == Storage::kBool && v != 0 && v != 1) {
          return fmt::format("{} in a boolean column is neither 0 nor 1", v);
        }
        out.AppendInt(v);
        return "";
      }
      if (type == SQLITE_FLOAT) {
        double d = a.real();
        std::string shown = FormatDouble(d);
        return ParseValue(shown, out) ? "" : unreadable(shown);
      }
      return ParseValue(text(), out) ? "" : unreadable(text());
    case Storage::kFloat64:
      if (type == SQLITE_FLOAT) {
        out.AppendFloat(a.real());
        return "";
      }
      if (type == SQLITE_INTEGER) {
        int64_t v = a.int64();
        if (int64_t(double(v)) != v) return fmt::format("integer {} has no exact double", v);
        out.AppendFloat(double(v));
        return "";
      }
      return ParseValue(text(), out) ? "" : unreadable(text());
    case Storage::kDecimal:
      if (type == SQLITE_INTEGER) {
        char digits[24];
        out.AppendBytes(std::string_view(
            digits, size_t(std::to_chars(digits, digits + sizeof digits, a.int64()).ptr - digits)));
        return "";
      }
      if (type == SQLITE_FLOAT) {
        double d = a.real();
        if (!std::isfinite(d)) return unreadable(FormatDouble(d));
        AppendDecimalOfReal(d, out);
        return "";
      }
      return ParseValue(text(), out) ? "" : unreadable(text());
    case Storage::kText:
      if (type == SQLITE_BLOB) {
        out.AppendBytes(blob());
      } else if (type == SQLITE_FLOAT) {
        out.AppendBytes(FormatDouble(a.real()));
      } else {
        out.AppendBytes(text());
      }
      return "";
    case Storage::kBytes:
      out.AppendBytes(type == SQLITE_BLOB ? blob() : text());
      return "";
    case Storage::kUuid:
      if (type == SQLITE_BLOB && a.bytes() == 16) {
        out.AppendBytes(blob());
        return "";
      }
      return ParseValue(text(), out) ? "" : unreadable(text());
    case Storage::kDate:
    case Storage::kTime:
    case Storage::kTimestamp:
      if (type != SQLITE_TEXT) {
        return fmt::format("{} is stored as {}, not as ISO-8601 text",
                           type == SQLITE_FLOAT ? FormatDouble(a.real()) : std::string(text()),
                           StorageClassName(type));
      }
      return ParseValue(text(), out) ? "" : unreadable(text());
  }
  return "unsupported storage";
}

}  // namespace

bool Readable(sqlite3_value* value, Storage storage) {
  if (sqlite3_value_type(value) == SQLITE_NULL) return true;
  ColumnVector out(storage);
  return ReadValue(ValueAccess{value}, out).empty();
}

namespace {

class SqliteRowReader final : public RowReader {
 public:
  SqliteRowReader(Session& session, const Dialect& dialect, const ReadRequest& request)
      : session_(session),
        dialect_(dialect),
        table_(*request.table),
        columns_(request.columns),
        limits_(request.limits) {
    for (int column : columns_) {
      storages_.push_back(StorageOf(table_.columns[size_t(column)].type));
      any_.push_back(table_.columns[size_t(column)].type.kind == TypeKind::kAny);
    }
    std::string sql = dialect.SelectSql(table_, columns_, request.unit.range);
    try {
      const bool long_kinds = std::any_of(storages_.begin(), storages_.end(), [](Storage s) {
        return s == Storage::kText || s == Storage::kBytes;
      });
      // A WITHOUT ROWID table's long values are read whole by SQLite as its rows are stepped
      // over (then spilled): the only API that reaches part of a value, incremental blob I/O,
      // opens a row by its rowid and refuses tables without one, and every SQL function that
      // could cut a value (substr) or measure a text (length) has OP_Column load it whole first
      // (only typeof() and a blob's length() read just the record header). So such a value is
      // held once, by SQLite, while its row is read.
      if (long_kinds && sqlite::IsRowidTable(session_, table_.name)) {
        sql = LongValueSql(dialect, request.unit.range);
      }
      statement_.emplace(session_, sql);
    } catch (Error& e) {
      e.WithTable(DisplayName(table_.name));
      throw;
    }
    key_positions_ = KeyPositions(table_, columns_);
  }

  ~SqliteRowReader() override {
    if (old_length_limit_ >= 0)
      sqlite3_limit(session_.get(), SQLITE_LIMIT_LENGTH, old_length_limit_);
  }

  bool Next(Batch& batch) override {
    batch.Reset(storages_);
    if (done_ && long_rows_.empty()) return false;
    while (batch.num_rows() < limits_.max_rows && batch.ByteSize() < limits_.max_bytes) {
      int rc = SQLITE_DONE;
      try {
        if (!done_) rc = Step();
      } catch (Error& e) {
        e.WithTable(DisplayName(table_.name));
        throw;
      }
      if (rc == SQLITE_DONE) {
        done_ = true;
        // The rows the statement left out for their long values come now.
        if (long_rows_.empty()) break;
        ReadLongRow(long_rows_.back(), batch);
        long_rows_.pop_back();
        continue;
      }
      sqlite3_stmt* stmt = statement_->get();
      if (!long_columns_.empty() &&
          sqlite3_column_type(stmt, int(storages_.size())) != SQLITE_NULL) {
        long_rows_.push_back(sqlite3_column_int64(stmt, int(storages_.size())));
        continue;
      }
      ReadRow(stmt, batch);
    }
    return batch.num_rows() > 0;
  }

  std::string Method() const override { return "SQLite statement"; }

 private:
  void ReadRow(sqlite3_stmt* stmt, Batch& batch) {
    const int columns = int(storages_.size());
    std::string reason;
    int bad_column = -1;
    for (int c = 0; c < columns; ++c) {
      ColumnVector& out = batch.column(size_t(c));
      // The column's value object, read through sqlite3_value_*: each sqlite3_column_* call
      // looks the column up again and checks the connection's malloc state, which took a fifth
      // of the reader's CPU. The connection is opened without a mutex (SQLITE_OPEN_NOMUTEX), so
      // the unprotected value may be read this way (sqlite3_column_value's documentation).
      sqlite3_value* value = sqlite3_column_value(stmt, c);
      const int type = sqlite3_value_type(value);
      if (type == SQLITE_NULL) {
        out.AppendNull();
        continue;
      }
      if (any_[size_t(c)]) {
        ReadAny(stmt, c, out);
        continue;
      }
      if ((out.storage() == Storage::kText || out.storage() == Storage::kBytes) &&
          (type == SQLITE_TEXT || type == SQLITE_BLOB) &&
          size_t(sqlite3_value_bytes(value)) > long_threshold_) {
        // SQLite has read it whole already; the copy goes to a spill file, not the batch.
        auto spilled = std::make_shared<SpillFile>();
        spilled->Append(
            type == SQLITE_BLOB
                ? std::string_view(static_cast<const char*>(sqlite3_value_blob(value)),
                                   size_t(sqlite3_value_bytes(value)))
                : std::string_view(reinterpret_cast<const char*>(sqlite3_value_text(value)),
                                   size_t(sqlite3_value_bytes(value))));
        out.AppendLong(std::move(spilled));
        continue;
      }
      std::string why = ReadValue(ValueAccess{value}, out);
      if (!why.empty()) {
        out.AppendNull();
        if (reason.empty()) {
          reason = std::move(why);
          bad_column = c;
        }
      }
    }
    if (!reason.empty()) {
      ErrorContext context;
      context.table = DisplayName(table_.name);
      context.column = table_.columns[size_t(columns_[size_t(bad_column)])].name;
      context.key = RenderKey(batch, key_positions_, KeyNames(table_, columns_, key_positions_),
                              batch.num_rows() - 1);
      throw Error(ErrorCode::kData, "cannot read value: " + reason, std::move(context));
    }
  }

  // A value of a kAny column with its storage class (sqlite_any.hpp), asked for before anything
  // else: asking for a value's bytes may convert it, after which its type is unknown.
  void ReadAny(sqlite3_stmt* stmt, int c, ColumnVector& out) {
    const int type = sqlite3_column_type(stmt, c);
    if (type == SQLITE_INTEGER) {
      const int64_t v = sqlite3_column_int64(stmt, c);
      AppendAnyNumber(out, kAnyInteger, &v);
      return;
    }
    if (type == SQLITE_FLOAT) {
      const double v = sqlite3_column_double(stmt, c);
      AppendAnyNumber(out, kAnyReal, &v);
      return;
    }
    const bool blob = type == SQLITE_BLOB;
    const void* data = blob ? sqlite3_column_blob(stmt, c) : sqlite3_column_text(stmt, c);
    const size_t size = size_t(sqlite3_column_bytes(stmt, c));
    if (size > long_threshold_) {
      // SQLite has read it whole already; the copy goes to a spill file, not the batch.
      auto value = std::make_shared<SpillFile>();
      value->Append(std::string_view(blob ? &kAnyBlob : &kAnyText, 1));
      value->Append(std::string_view(static_cast<const char*>(data), size));
      out.AppendLong(std::move(value));
      return;
    }
    AppendAnyBytes(out, blob ? kAnyBlob : kAnyText, data, size);
  }

  // Blobs over the long-value threshold are left out (stepping over them would read them whole
  // into memory; typeof() and length() of a blob read only its header), with a column giving their
  // row's rowid. SQLite 3.40 cannot measure text without reading it, but it refuses to read a
  // value over its length limit (SQLITE_LIMIT_LENGTH): with the limit at the threshold, a step
  // that meets a long text fails before reading it. The statement goes in rowid order, so the row
  // it stopped at is the next rowid in the range: it is read after the statement like the blob
  // rows, and the statement goes on after it (Step). A range the plan reads through an index (a
  // key that is not the rowid) is turned into rowid order by taking the range's rowids first
  // (`rowid IN (SELECT rowid ... WHERE range)`, which SQLite walks in rowid order from a list it
  // builds of them, a few bytes a row), or long text would be read whole.
  std::string LongValueSql(const Dialect& dialect, const KeyRange& range) {
    const size_t threshold = LongValueThreshold(limits_.max_bytes);
    std::string select, test;
    for (size_t i = 0; i < columns_.size(); ++i) {
      const std::string name = dialect.Quote(table_.columns[size_t(columns_[i])].name);
      if (!select.empty()) select += ", ";
      if (storages_[i] == Storage::kBytes && (!any_[i] || BlobAffinity(i))) {
        const std::string t =
            fmt::format("(typeof({0}) = 'blob' AND length({0}) > {1})", name, threshold);
        select += fmt::format("CASE WHEN {} THEN NULL ELSE {} END", t, name);
        test += (test.empty() ? "" : " OR ") + t;
        long_columns_.push_back(i);
      } else {
        select += name;
      }
    }
    from_ = " FROM " + dialect.RowsOf(table_);
    if (!test.empty()) select += ", CASE WHEN " + test + " THEN rowid END";
    const std::string where = dialect.RangePredicate(table_, range);
    const std::string sql = "SELECT " + select + from_ + (where.empty() ? "" : " " + where);
    // The range as a condition (the predicate without its WHERE), in rowid order.
    std::string range_test = where.empty() ? "" : "(" + where.substr(6) + ")";
    std::string order;
    if (!InRowidOrder(sql)) {
      if (where.empty()) return sql;
      range_test = "rowid IN (SELECT rowid" + from_ + " " + where + ")";
      order = " ORDER BY rowid";
      if (!InRowidOrder("SELECT " + select + from_ + " WHERE " + range_test + order)) return sql;
    }
    encoding_ = Encoding();
    if (encoding_.empty()) return sql;
    // Measured: the rowid of every row, and the statement that goes on after a long text.
    rowid_column_ = int(storages_.size() + (test.empty() ? 0 : 1));
    select += ", rowid";
    const std::string and_range = range_test.empty() ? "" : range_test + " AND ";
    resume_sql_ = "SELECT " + select + from_ + " WHERE " + and_range + "rowid > ? ORDER BY rowid";
    next_rowid_sql_ =
        "SELECT rowid" + from_ + " WHERE " + and_range + "rowid > ? ORDER BY rowid LIMIT 1";
    old_length_limit_ = sqlite3_limit(session_.get(), SQLITE_LIMIT_LENGTH, int(threshold));
    return "SELECT " + select + from_ + (range_test.empty() ? "" : " WHERE " + range_test) + order;
  }

  // Whether the kAny column at batch position `i` declares a type of BLOB affinity (BLOB, or
  // none), where blobs are what it is for: its long blobs are left out by the test above. Other
  // columns' values are rarely blobs, and the test costs every row: a long one there stops the
  // step at the length limit like a long text, or is read whole by SQLite where that limit is
  // not set (see below).
  bool BlobAffinity(size_t i) const {
    std::string declared = table_.columns[size_t(columns_[i])].type.native;
    for (char& ch : declared) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    // SQLite's affinity rules, in their order.
    for (const char* word : {"int", "char", "clob", "text"}) {
      if (declared.find(word) != std::string::npos) return false;
    }
    return declared.find("blob") != std::string::npos ||
           declared.find_first_not_of(" \t") == std::string::npos;
  }

  // Whether `sql` reads the table in rowid order: its outer loop scans the table or searches it
  // by rowid (a subquery may use an index: it only makes the list of rowids), and nothing is
  // sorted afterwards (the plan names an index or a temporary b-tree otherwise).
  bool InRowidOrder(const std::string& sql) {
    for (const SqlSession::Row& step : session_.Query("EXPLAIN QUERY PLAN " + sql)) {
      const std::string parent = step.size() > 1 && step[1] ? *step[1] : "";
      const std::string detail = step.size() > 3 && step[3] ? *step[3] : "";
      if (detail.find("TEMP") != std::string::npos) return false;
      if (parent == "0" && detail.find("INDEX") != std::string::npos) return false;
    }
    return true;
  }

  // The database's text encoding as SQLite names it ("UTF-8", "UTF-16le", "UTF-16be"), or ""
  // for one the reader cannot turn into UTF-8 a piece at a time.
  std::string Encoding() {
    auto rows = session_.Query("PRAGMA encoding");
    const std::string name = !rows.empty() && rows[0][0] ? *rows[0][0] : "";
    return name == "UTF-8" || name == "UTF-16le" || name == "UTF-16be" ? name : "";
  }

  // The main statement's next row. A value over the length limit in it (a long text: see
  // LongValueSql) sets its row aside for ReadLongRow and goes on after it.
  int Step() {
    for (;;) {
      const int rc = sqlite3_step(statement_->get());
      if (rc == SQLITE_ROW && rowid_column_ >= 0) {
        last_rowid_ = sqlite3_column_int64(statement_->get(), rowid_column_);
      }
      if (rc == SQLITE_ROW || rc == SQLITE_DONE) return rc;
      if (rc != SQLITE_TOOBIG || rowid_column_ < 0) session_.Fail(rc, "sqlite3_step");
      Statement next(session_, next_rowid_sql_);
      sqlite3_bind_int64(next.get(), 1, last_rowid_);
      if (next.Step() != SQLITE_ROW) session_.Fail(rc, "sqlite3_step");
      last_rowid_ = sqlite3_column_int64(next.get(), 0);
      long_rows_.push_back(last_rowid_);
      statement_.emplace(session_, resume_sql_);
      sqlite3_bind_int64(statement_->get(), 1, last_rowid_);
    }
  }

  // A row left out for its long values: those of its text and blob values that are longer than
  // the threshold are measured without reading them (blob I/O opens text too) and read in pieces
  // into spill files; the rest come from a query of the row.
  void ReadLongRow(sqlite3_int64 rowid, Batch& batch) {
    std::string select;
    std::vector<size_t> long_positions;
    for (size_t i = 0; i < columns_.size(); ++i) {
      const std::string& name = table_.columns[size_t(columns_[i])].name;
      bool is_long = false;
      if ((storages_[i] == Storage::kText || storages_[i] == Storage::kBytes) &&
          (rowid_column_ >= 0 || IsBlob(rowid, i))) {
        const std::optional<size_t> size = sqlite::CellBytes(session_, table_.name, name, rowid);
        is_long = size && *size > long_threshold_;
      }
      if (is_long) long_positions.push_back(i);
      select += std::string(select.empty() ? "" : ", ") + (is_long ? "NULL" : Quote(name));
    }
    Statement row(session_, "SELECT " + select + from_ + " WHERE rowid = ?");
    sqlite3_bind_int64(row.get(), 1, rowid);
    if (row.Step() != SQLITE_ROW) {
      throw Error(ErrorCode::kDriver, "a row with a long value changed while the table was read",
                  ErrorContext{DisplayName(table_.name), "", "", ""});
    }
    ReadRow(row.get(), batch);
    for (size_t i : long_positions) {
      // Blob I/O gives text as the database stores it: UTF-16 is turned into UTF-8 on the way.
      const bool blob = IsBlob(rowid, i);
      const std::string utf16 =
          encoding_.rfind("UTF-16", 0) == 0 && !blob ? encoding_ : std::string();
      const std::string_view tag = !any_[i] ? "" : blob ? "b" : "t";
      if (auto value = sqlite::ReadBlob(
              session_, table_.name, table_.columns[size_t(columns_[i])].name, rowid, utf16, tag)) {
        batch.column(i).SetLastLong(std::move(value));
      }
    }
  }

  // Whether the value in batch position `i` of row `rowid` is a blob (its header says).
  bool IsBlob(sqlite3_int64 rowid, size_t i) {
    Statement type(session_, "SELECT typeof(" + Quote(table_.columns[size_t(columns_[i])].name) +
                                 ")" + from_ + " WHERE rowid = ?");
    sqlite3_bind_int64(type.get(), 1, rowid);
    return type.Step() == SQLITE_ROW &&
           std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(type.get(), 0))) ==
               "blob";
  }

  std::string Quote(const std::string& name) const { return dialect_.Quote(name); }

  Session& session_;
  const Dialect& dialect_;
  const Table& table_;
  std::vector<int> columns_;
  BatchLimits limits_;
  std::vector<Storage> storages_;
  std::vector<char> any_;  // per batch column: a kAny column (ReadAny)
  std::vector<int> key_positions_;
  std::optional<Statement> statement_;
  bool done_ = false;
  size_t long_threshold_ = LongValueThreshold(limits_.max_bytes);
  std::vector<size_t> long_columns_;      // batch positions of blob columns
  std::vector<sqlite3_int64> long_rows_;  // rowids of rows left out for their long values
  std::string from_;
  // Long text measured (LongValueSql): the rowid column, the last rowid stepped, the statements
  // that find the row a step stopped at and go on after it, and the length limit to restore.
  int rowid_column_ = -1;
  sqlite3_int64 last_rowid_ = std::numeric_limits<sqlite3_int64>::min();
  std::string resume_sql_, next_rowid_sql_;
  int old_length_limit_ = -1;
  std::string encoding_;  // the database's, once long text is measured (see Encoding)
};

}  // namespace

std::unique_ptr<RowReader> MakeReader(Session& session, const Dialect& dialect,
                                      const ReadRequest& request) {
  return std::make_unique<SqliteRowReader>(session, dialect, request);
}

}  // namespace ferry::sqlite
