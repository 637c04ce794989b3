// Native SQLite reader and writer. SQLite stores any value in any column, so the reader looks
// at each value's storage class and accepts it only where it means exactly what the declared
// type says; the writer binds values in the forms ferry documents (ISO text for dates and
// times, text for wide decimals and UUIDs) inside one transaction per work unit.
#include "drivers/sqlite/sqlite_endpoint.hpp"
#include "drivers/sqlite/sqlite_dialect.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "copier/secrets.hpp"
#include "copier/values.hpp"
#include "drivers/long_values.hpp"
#include "drivers/odbc/odbc_endpoint.hpp"
#include "drivers/run_store.hpp"
#include "drivers/sql/sql_endpoint.hpp"
#include "drivers/sqlite/sqlite_blobs.hpp"
#include "drivers/sqlite/sqlite_schema.hpp"
#include "drivers/sqlite/sqlite_session.hpp"

namespace ferry {

namespace {

using sqlite::Session;
using sqlite::Statement;

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

// Reads one non-NULL value into `out`; returns "" or why it does not fit the column's storage.
std::string ReadValue(sqlite3_stmt* stmt, int c, ColumnVector& out) {
  const int type = sqlite3_column_type(stmt, c);
  auto text = [&] {
    return std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                            size_t(sqlite3_column_bytes(stmt, c)));
  };
  auto blob = [&] {
    return std::string_view(static_cast<const char*>(sqlite3_column_blob(stmt, c)),
                            size_t(sqlite3_column_bytes(stmt, c)));
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
        int64_t v = sqlite3_column_int64(stmt, c);
        if (out.storage() == Storage::kBool && v != 0 && v != 1) {
          return fmt::format("{} in a boolean column is neither 0 nor 1", v);
        }
        out.AppendInt(v);
        return "";
      }
      if (type == SQLITE_FLOAT) {
        double d = sqlite3_column_double(stmt, c);
        std::string shown = FormatDouble(d);
        return ParseValue(shown, out) ? "" : unreadable(shown);
      }
      return ParseValue(text(), out) ? "" : unreadable(text());
    case Storage::kFloat64:
      if (type == SQLITE_FLOAT) {
        out.AppendFloat(sqlite3_column_double(stmt, c));
        return "";
      }
      if (type == SQLITE_INTEGER) {
        int64_t v = sqlite3_column_int64(stmt, c);
        if (int64_t(double(v)) != v) return fmt::format("integer {} has no exact double", v);
        out.AppendFloat(double(v));
        return "";
      }
      return ParseValue(text(), out) ? "" : unreadable(text());
    case Storage::kDecimal:
      if (type == SQLITE_INTEGER) {
        out.AppendBytes(std::to_string(sqlite3_column_int64(stmt, c)));
        return "";
      }
      if (type == SQLITE_FLOAT) {
        // A NUMERIC column holds its decimals as reals; the shortest text that reads back as
        // the same real is the decimal that was stored (15 digits survive).
        double d = sqlite3_column_double(stmt, c);
        if (!std::isfinite(d)) return unreadable(FormatDouble(d));
        out.AppendBytes(*CanonicalDecimal(FormatDouble(d)));
        return "";
      }
      return ParseValue(text(), out) ? "" : unreadable(text());
    case Storage::kText:
      if (type == SQLITE_BLOB) {
        out.AppendBytes(blob());
      } else if (type == SQLITE_FLOAT) {
        out.AppendBytes(FormatDouble(sqlite3_column_double(stmt, c)));
      } else {
        out.AppendBytes(text());
      }
      return "";
    case Storage::kBytes:
      out.AppendBytes(type == SQLITE_BLOB ? blob() : text());
      return "";
    case Storage::kUuid:
      if (type == SQLITE_BLOB && sqlite3_column_bytes(stmt, c) == 16) {
        out.AppendBytes(blob());
        return "";
      }
      return ParseValue(text(), out) ? "" : unreadable(text());
    case Storage::kDate:
    case Storage::kTime:
    case Storage::kTimestamp:
      if (type != SQLITE_TEXT) {
        return fmt::format("{} is stored as {}, not as ISO-8601 text",
                           type == SQLITE_FLOAT ? FormatDouble(sqlite3_column_double(stmt, c))
                                                : std::string(text()),
                           StorageClassName(type));
      }
      return ParseValue(text(), out) ? "" : unreadable(text());
  }
  return "unsupported storage";
}

class SqliteRowReader final : public RowReader {
 public:
  SqliteRowReader(Session& session, const Dialect& dialect, const ReadRequest& request)
      : session_(session),
        table_(*request.table),
        columns_(request.columns),
        limits_(request.limits) {
    for (int column : columns_) storages_.push_back(StorageOf(table_.columns[size_t(column)].type));
    std::string sql = dialect.SelectSql(table_, columns_, request.unit.range);
    try {
      const bool blobs =
          std::find(storages_.begin(), storages_.end(), Storage::kBytes) != storages_.end();
      if (blobs && sqlite::IsRowidTable(session_, table_.name))
        sql = LongValueSql(dialect, request.unit.range);
      statement_.emplace(session_, sql);
    } catch (Error& e) {
      e.WithTable(DisplayName(table_.name));
      throw;
    }
    key_positions_ = KeyPositions(table_, columns_);
  }

  bool Next(Batch& batch) override {
    batch.Reset(storages_);
    if (done_ && long_rows_.empty()) return false;
    while (batch.num_rows() < limits_.max_rows && batch.ByteSize() < limits_.max_bytes) {
      int rc = SQLITE_DONE;
      try {
        if (!done_) rc = statement_->Step();
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
      if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
        out.AppendNull();
        continue;
      }
      if ((out.storage() == Storage::kText || out.storage() == Storage::kBytes) &&
          size_t(sqlite3_column_bytes(stmt, c)) > long_threshold_) {
        // SQLite has read it whole already; the copy goes to a spill file, not the batch.
        auto value = std::make_shared<SpillFile>();
        value->Append(
            sqlite3_column_type(stmt, c) == SQLITE_BLOB
                ? std::string_view(static_cast<const char*>(sqlite3_column_blob(stmt, c)),
                                   size_t(sqlite3_column_bytes(stmt, c)))
                : std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                                   size_t(sqlite3_column_bytes(stmt, c))));
        out.AppendLong(std::move(value));
        continue;
      }
      std::string why = ReadValue(stmt, c, out);
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

  // Blobs over the long-value threshold are left out (stepping over them would read them whole
  // into memory; typeof() and length() of a blob read only its header), with a last column giving
  // their row's rowid. Long text is read whole: SQLite 3.40 cannot measure text without reading it.
  std::string LongValueSql(const Dialect& dialect, const KeyRange& range) {
    const size_t threshold = LongValueThreshold(limits_.max_bytes);
    std::string select, test;
    for (size_t i = 0; i < columns_.size(); ++i) {
      const std::string name = dialect.Quote(table_.columns[size_t(columns_[i])].name);
      if (!select.empty()) select += ", ";
      if (storages_[i] == Storage::kBytes) {
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
    row_sql_ = "SELECT " + select + from_ + " WHERE rowid = ?";
    if (!test.empty()) select += ", CASE WHEN " + test + " THEN rowid END";
    const std::string where = dialect.RangePredicate(table_, range);
    return "SELECT " + select + from_ + (where.empty() ? "" : " " + where);
  }

  void ReadLongRow(sqlite3_int64 rowid, Batch& batch) {
    Statement row(session_, row_sql_);
    sqlite3_bind_int64(row.get(), 1, rowid);
    if (row.Step() != SQLITE_ROW) {
      throw Error(ErrorCode::kDriver, "a row with a long value changed while the table was read",
                  ErrorContext{DisplayName(table_.name), "", "", ""});
    }
    ReadRow(row.get(), batch);
    for (size_t i : long_columns_) {
      if (!batch.column(i).IsNull(batch.num_rows() - 1)) continue;
      // A NULL (or not a blob) cannot be opened: the value is what the row query gave.
      if (auto value = sqlite::ReadBlob(session_, table_.name,
                                        table_.columns[size_t(columns_[i])].name, rowid)) {
        batch.column(i).SetLastLong(std::move(value));
      }
    }
  }

  Session& session_;
  const Table& table_;
  std::vector<int> columns_;
  BatchLimits limits_;
  std::vector<Storage> storages_;
  std::vector<int> key_positions_;
  std::optional<Statement> statement_;
  bool done_ = false;
  size_t long_threshold_ = LongValueThreshold(limits_.max_bytes);
  std::vector<size_t> long_columns_;      // batch positions of blob columns
  std::vector<sqlite3_int64> long_rows_;  // rowids of rows left out for their long values
  std::string from_, row_sql_;
};

class SqliteRowWriter final : public RowWriter {
 public:
  SqliteRowWriter(Session& session, const Dialect& dialect, const WriteRequest& request)
      : session_(session),
        table_(*request.table),
        columns_(request.columns),
        key_positions_(request.key_positions),
        upsert_(request.upsert) {
    for (int column : columns_) {
      with_zone_.push_back(table_.columns[size_t(column)].type.kind == TypeKind::kTimestampTz);
    }
    // SQLite's own INSERT ... ON CONFLICT DO UPDATE: one statement per row either way.
    const std::string sql = request.upsert ? dialect.UpsertSql(table_, columns_, request.upsert_key)
                                           : dialect.InsertSql(table_, columns_);
    session_.Execute("BEGIN");
    in_transaction_ = true;
    const std::string replace = dialect.ReplaceRangeSql(table_, request.replace_range);
    if (!replace.empty()) session_.Execute(replace);
    statement_.emplace(session_, sql);
  }

  ~SqliteRowWriter() override {
    statement_.reset();
    if (in_transaction_) Rollback();
  }

  void Write(const Batch& batch) override {
    if (batch.has_long() && !LongBlobsOnly(batch)) {
      // Long text (SQLite has no way to make room for text it is given in pieces): whole.
      Write(WithLongValuesInMemory(batch));
      return;
    }
    sqlite3_stmt* stmt = statement_->get();
    char text[64];
    std::vector<size_t> long_columns;
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      long_columns.clear();
      for (size_t i = 0; i < columns_.size(); ++i) {
        const ColumnVector& in = batch.column(i);
        const int p = int(i + 1);
        int rc = SQLITE_OK;
        if (in.IsNull(r)) {
          rc = sqlite3_bind_null(stmt, p);
        } else {
          switch (in.storage()) {
            case Storage::kBool:
            case Storage::kInt64:
              rc = sqlite3_bind_int64(stmt, p, in.Int(r));
              break;
            case Storage::kUInt64: {
              std::string v = std::to_string(in.UInt(r));
              rc = sqlite3_bind_text(stmt, p, v.data(), int(v.size()), SQLITE_TRANSIENT);
              break;
            }
            case Storage::kFloat64:
              rc = sqlite3_bind_double(stmt, p, in.Float(r));
              break;
            // A null pointer would bind NULL, and an empty value's pointer may be null.
            case Storage::kDecimal:
            case Storage::kText: {
              std::string_view v = in.Bytes(r);
              rc = sqlite3_bind_text(stmt, p, v.empty() ? "" : v.data(), int(v.size()),
                                     SQLITE_STATIC);
              break;
            }
            case Storage::kBytes: {
              std::string_view v = in.Bytes(r);
              if (in.has_long() && in.Long(r) && StreamsBlobs()) {
                // Room for the value, written in pieces once the row has its rowid.
                rc = sqlite3_bind_zeroblob64(stmt, p, in.Long(r)->size());
                long_columns.push_back(i);
                break;
              }
              rc = sqlite3_bind_blob(stmt, p, v.empty() ? "" : v.data(), int(v.size()),
                                     SQLITE_STATIC);
              break;
            }
            case Storage::kDate: {
              size_t n = FormatDateTo(int32_t(in.Int(r)), text);
              rc = sqlite3_bind_text(stmt, p, text, int(n), SQLITE_TRANSIENT);
              break;
            }
            case Storage::kTime: {
              size_t n = FormatTimeTo(in.Int(r), text);
              rc = sqlite3_bind_text(stmt, p, text, int(n), SQLITE_TRANSIENT);
              break;
            }
            case Storage::kTimestamp: {
              size_t n = FormatTimestampTo(in.Int(r), text);
              if (with_zone_[i]) {
                std::memcpy(text + n, "+00:00", 6);
                n += 6;
              }
              rc = sqlite3_bind_text(stmt, p, text, int(n), SQLITE_TRANSIENT);
              break;
            }
            case Storage::kUuid: {
              size_t n =
                  FormatUuidTo(reinterpret_cast<const unsigned char*>(in.Bytes(r).data()), text);
              rc = sqlite3_bind_text(stmt, p, text, int(n), SQLITE_TRANSIENT);
              break;
            }
          }
        }
        if (rc != SQLITE_OK) Fail(batch, r, rc, "sqlite3_bind");
      }
      int rc = sqlite3_step(stmt);
      if (rc != SQLITE_DONE) Fail(batch, r, rc, "sqlite3_step");
      sqlite3_reset(stmt);
      if (!long_columns.empty()) WriteLongValues(batch, r, long_columns);
    }
  }

  std::string Method() const override {
    return upsert_ ? "SQLite prepared upsert" : "SQLite prepared insert";
  }

  void Commit(const std::vector<std::string>& finish_sql) override {
    for (const std::string& sql : finish_sql) session_.Execute(sql);
    session_.Execute("COMMIT");
    in_transaction_ = false;
  }

  void Rollback() override {
    if (!in_transaction_) return;
    sqlite3_exec(session_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    in_transaction_ = false;
  }

 private:
  // Whether the batch's long values are all blobs this writer can write in pieces.
  bool LongBlobsOnly(const Batch& batch) {
    for (size_t i = 0; i < batch.num_columns(); ++i) {
      const ColumnVector& c = batch.column(i);
      if (c.has_long() && (c.storage() != Storage::kBytes || !StreamsBlobs())) return false;
    }
    return true;
  }

  // Incremental blob I/O needs the inserted row's rowid: a plain insert into a rowid table.
  bool StreamsBlobs() {
    if (!streams_blobs_) streams_blobs_ = !upsert_ && sqlite::IsRowidTable(session_, table_.name);
    return *streams_blobs_;
  }

  void WriteLongValues(const Batch& batch, size_t row, const std::vector<size_t>& positions) {
    const sqlite3_int64 rowid = sqlite3_last_insert_rowid(session_.get());
    for (size_t i : positions) {
      const int rc =
          sqlite::WriteBlob(session_, table_.name, table_.columns[size_t(columns_[i])].name, rowid,
                            *batch.column(i).Long(row));
      if (rc != SQLITE_OK) Fail(batch, row, rc, "sqlite3_blob_write");
    }
  }

  [[noreturn]] void Fail(const Batch& batch, size_t row, int rc, const char* call) {
    sqlite3_reset(statement_->get());
    try {
      session_.Fail(rc, call);
    } catch (Error& e) {
      e.WithKey(RenderKey(batch, key_positions_, KeyNames(table_, columns_, key_positions_), row));
      throw;
    }
  }

  Session& session_;
  const Table& table_;
  std::vector<int> columns_;
  std::vector<int> key_positions_;
  bool upsert_;
  std::vector<bool> with_zone_;
  std::optional<Statement> statement_;
  bool in_transaction_ = false;
  std::optional<bool> streams_blobs_;
};

class SqliteReadSession final : public ReadSession {
 public:
  SqliteReadSession(std::unique_ptr<SqlSession> session, const Dialect& dialect)
      : session_(std::move(session)), dialect_(dialect) {}
  std::unique_ptr<RowReader> Read(const ReadRequest& request) override {
    return std::make_unique<SqliteRowReader>(static_cast<Session&>(*session_), dialect_, request);
  }

 private:
  std::unique_ptr<SqlSession> session_;
  const Dialect& dialect_;
};

class SqliteWriteSession final : public WriteSession {
 public:
  SqliteWriteSession(std::unique_ptr<SqlSession> session, const Dialect& dialect)
      : session_(std::move(session)), dialect_(dialect) {}
  std::unique_ptr<RowWriter> Write(const WriteRequest& request) override {
    return std::make_unique<SqliteRowWriter>(static_cast<Session&>(*session_), dialect_, request);
  }

 private:
  std::unique_ptr<SqlSession> session_;
  const Dialect& dialect_;
};

class SqliteEndpoint final : public SqlEndpoint {
 public:
  SqliteEndpoint(std::string path, bool is_source, std::unique_ptr<Dialect> dialect,
                 std::unique_ptr<Session> catalog, EndpointInfo info)
      : SqlEndpoint(std::move(dialect), std::move(catalog), std::move(info)),
        path_(std::move(path)),
        is_source_(is_source) {}

  // SQLite has no session locks: a file lock beside the database does their job.
  std::unique_ptr<RunStore> OpenRunStore(const std::string& prefix) override {
    const std::string lock_path = path_ + "." + prefix + "lock";
    return MakeSqlRunStore([this] { return OpenSqlSession(); }, dialect(), "main", "main", prefix,
                           [lock_path] { return TryFileLock(lock_path); });
  }

  // SQLite has no grants: reading needs the file (open already), writing needs the file and
  // its folder (where the journal goes) writable by this process.
  std::optional<bool> HasPrivilege(const TableName&, Privilege privilege) override {
    if (privilege == Privilege::kSelect) return true;
    std::filesystem::path file(path_);
    std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : ".";
    bool file_ok = !std::filesystem::exists(file) || access(path_.c_str(), W_OK) == 0;
    return file_ok && access(folder.c_str(), W_OK) == 0;
  }

  std::unique_ptr<ReadSession> OpenReadSession() override {
    std::unique_ptr<SqlSession> session = OpenSqlSession();
    JoinSnapshot(*session);
    return std::make_unique<SqliteReadSession>(std::move(session), dialect());
  }

  std::unique_ptr<WriteSession> OpenWriteSession() override {
    return std::make_unique<SqliteWriteSession>(OpenSqlSession(), dialect());
  }

  std::optional<SchemaDump> DumpSchema(const SchemaRequest& request) override {
    return DumpSqliteSchema(catalog(), dialect(), request);
  }
  std::unique_ptr<SchemaSession> OpenSchemaSession(const SchemaDump&) override {
    return MakeSqliteSchemaSession(OpenSqlSession());
  }

 protected:
  std::unique_ptr<SqlSession> OpenSqlSession() override {
    auto session = std::make_unique<Session>(path_, is_source_, info().display);
    dialect().SetUpSession(*session, is_source_);
    return session;
  }

 private:
  std::string path_;
  bool is_source_;
};

}  // namespace

namespace {

// `read_only`: a source ferry keeps no change logs in. `state_schema`: EndpointInfo's.
std::unique_ptr<Endpoint> OpenSqliteFile(const std::string& path, bool read_only,
                                         const std::string& display,
                                         const std::string& state_schema) {
  auto dialect = MakeSqliteDialect();
  auto catalog = std::make_unique<Session>(path, read_only, display);
  dialect->SetUpSession(*catalog, read_only);
  EndpointInfo info;
  info.product = "SQLite";
  info.version = sqlite3_libversion();
  info.display = display;
  info.state_schema = state_schema;
  // A second writer would wait on the database lock for as long as the first holds it.
  info.max_write_sessions = 1;
  return std::make_unique<SqliteEndpoint>(path, read_only, std::move(dialect), std::move(catalog),
                                          std::move(info));
}

// A sqlite: URL's file, or the file an SQLite ODBC data source names, read natively (see
// sqlite_session.hpp).
std::unique_ptr<Endpoint> OpenSqlite(EngineTarget target) {
  const bool read_only = target.role == EndpointRole::kSource;
  const std::string path = target.probe ? DatabaseName(*target.probe) : target.file;
  target.probe.reset();
  return OpenSqliteFile(path, read_only, target.display, target.options.state_schema);
}

}  // namespace

EngineFactory SqliteEngine() {
  EngineFactory factory;
  factory.engine = Engine::kSQLite;
  factory.product = "SQLite";
  factory.schemes = {{"sqlite", "SQLite3", "", true}};
  factory.product_words = {"sqlite"};
  factory.open = OpenSqlite;
  return factory;
}

}  // namespace ferry
