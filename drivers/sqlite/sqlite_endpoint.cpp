// Native SQLite endpoint and writer (the reader is sqlite_reader.cpp). The writer binds values in
// the forms ferry documents (ISO text for dates and times, text for wide decimals and UUIDs)
// inside one transaction per work unit.
#include "drivers/sqlite/sqlite_endpoint.hpp"
#include "drivers/sqlite/sqlite_dialect.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>

#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "copier/values.hpp"
#include "drivers/long_values.hpp"
#include "drivers/odbc/odbc_endpoint.hpp"
#include "drivers/run_store.hpp"
#include "drivers/sql/sql_endpoint.hpp"
#include "drivers/sqlite/sqlite_any.hpp"
#include "drivers/sqlite/sqlite_blobs.hpp"
#include "drivers/sqlite/sqlite_reader.hpp"
#include "drivers/sqlite/sqlite_schema.hpp"
#include "drivers/sqlite/sqlite_session.hpp"

namespace ferry {

namespace {

using sqlite::Session;
using sqlite::Statement;

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
      any_.push_back(table_.columns[size_t(column)].type.kind == TypeKind::kAny);
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
    sqlite3_stmt* stmt = statement_->get();
    std::vector<size_t> long_columns;
    const bool has_long = batch.has_long();
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      if (has_long) PlanLongValues(batch, r);
      long_columns.clear();
      for (size_t i = 0; i < columns_.size(); ++i) {
        const ColumnVector& in = batch.column(i);
        int rc;
        if (in.IsNull(r)) {
          rc = sqlite3_bind_null(stmt, int(i + 1));
        } else if (in.has_long() && in.Long(r)) {
          rc = BindLong(*in.Long(r), in.storage(), i);
          if (streams_[i]) long_columns.push_back(i);
        } else {
          rc = Bind(in, r, i);
        }
        if (rc != SQLITE_OK) Fail(batch, r, rc, "sqlite3_bind");
      }
      int rc = sqlite3_step(stmt);
      if (rc != SQLITE_DONE) Fail(batch, r, rc, "sqlite3_step");
      sqlite3_reset(stmt);
      held_.clear();
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
  // Binds the non-NULL, not long value of row `r` of `in` to parameter i + 1.
  int Bind(const ColumnVector& in, size_t r, size_t i) {
    sqlite3_stmt* stmt = statement_->get();
    const int p = int(i + 1);
    char text[64];
    switch (in.storage()) {
      case Storage::kBool:
      case Storage::kInt64:
        return sqlite3_bind_int64(stmt, p, in.Int(r));
      case Storage::kUInt64: {
        std::string v = std::to_string(in.UInt(r));
        return sqlite3_bind_text(stmt, p, v.data(), int(v.size()), SQLITE_TRANSIENT);
      }
      case Storage::kFloat64:
        return sqlite3_bind_double(stmt, p, in.Float(r));
      // A null pointer would bind NULL, and an empty value's pointer may be null.
      case Storage::kDecimal:
      case Storage::kText: {
        std::string_view v = in.Bytes(r);
        return sqlite3_bind_text(stmt, p, v.empty() ? "" : v.data(), int(v.size()), SQLITE_STATIC);
      }
      case Storage::kBytes: {
        std::string_view v = in.Bytes(r);
        if (any_[i]) return sqlite::BindAny(stmt, p, v);
        return sqlite3_bind_blob(stmt, p, v.empty() ? "" : v.data(), int(v.size()), SQLITE_STATIC);
      }
      case Storage::kDate:
        return sqlite3_bind_text(stmt, p, text, int(FormatDateTo(int32_t(in.Int(r)), text)),
                                 SQLITE_TRANSIENT);
      case Storage::kTime:
        return sqlite3_bind_text(stmt, p, text, int(FormatTimeTo(in.Int(r), text)),
                                 SQLITE_TRANSIENT);
      case Storage::kTimestamp: {
        size_t n = FormatTimestampTo(in.Int(r), text);
        if (with_zone_[i]) {
          std::memcpy(text + n, "+00:00", 6);
          n += 6;
        }
        return sqlite3_bind_text(stmt, p, text, int(n), SQLITE_TRANSIENT);
      }
      case Storage::kUuid: {
        size_t n = FormatUuidTo(reinterpret_cast<const unsigned char*>(in.Bytes(r).data()), text);
        return sqlite3_bind_text(stmt, p, text, int(n), SQLITE_TRANSIENT);
      }
    }
    return SQLITE_MISUSE;
  }

  // A long value: a zeroblob of its size, filled in pieces once the row has its rowid, where
  // PlanLongValues found it can be; otherwise the value itself, which SQLite copies into the
  // record it builds: bound from its spill file mapped into memory (SQLITE_STATIC, the mapping
  // lives until the row's step is done), so the only copy in ferry's own memory is SQLite's.
  int BindLong(const LongValue& value, Storage storage, size_t i) {
    sqlite3_stmt* stmt = statement_->get();
    const int p = int(i + 1);
    if (streams_[i]) return sqlite3_bind_zeroblob64(stmt, p, value.size() - (any_[i] ? 1 : 0));
    const std::string_view whole = held_.emplace_back(value).bytes();
    if (any_[i]) return sqlite::BindAny(stmt, p, whole);
    return storage == Storage::kBytes
               ? sqlite3_bind_blob64(stmt, p, whole.data(), whole.size(), SQLITE_STATIC)
               : sqlite3_bind_text64(stmt, p, whole.data(), whole.size(), SQLITE_STATIC,
                                     SQLITE_UTF8);
  }

  // Which long values of row `r` go in as zeroblobs (streams_). SQLite builds the record it
  // inserts whole in memory, except for zero bytes at its end: a zeroblob stays unmade only when
  // every field after it in the table's column order holds no bytes (NULL, empty, or another such
  // zeroblob). Text cannot go in that way at all (a zeroblob is a blob, and making it text
  // rewrites the record), nor can values whose row has no rowid to open it by.
  void PlanLongValues(const Batch& batch, size_t r) {
    streams_.assign(columns_.size(), 0);
    if (!StreamsBlobs()) return;
    if (record_order_.empty()) {
      // Written positions from the table's last column back; a column not written (a default,
      // a generated column) may hold bytes, so nothing before it streams.
      std::vector<int> position(table_.columns.size(), -1);
      for (size_t i = 0; i < columns_.size(); ++i) position[size_t(columns_[i])] = int(i);
      for (size_t c = table_.columns.size(); c-- > 0;) record_order_.push_back(position[c]);
    }
    for (int i : record_order_) {
      if (i < 0) return;
      const ColumnVector& in = batch.column(size_t(i));
      if (in.IsNull(r)) continue;
      if (in.has_long() && in.Long(r)) {
        // A kAny value streams when it is a blob (its first byte, the class, is not written).
        if (in.storage() != Storage::kBytes) return;
        if (any_[size_t(i)] && sqlite::AnyClass(*in.Long(r)) != sqlite::kAnyBlob) return;
        streams_[size_t(i)] = 1;
        continue;
      }
      const bool bytes = in.storage() == Storage::kText || in.storage() == Storage::kBytes;
      if (!bytes || !in.Bytes(r).empty()) return;
    }
  }

  // Incremental blob I/O needs the inserted row's rowid: a plain insert into a rowid table.
  bool StreamsBlobs() {
    if (!streams_blobs_) streams_blobs_ = !upsert_ && sqlite::IsRowidTable(session_, table_.name);
    return *streams_blobs_;
  }

  void WriteLongValues(const Batch& batch, size_t row, const std::vector<size_t>& positions) {
    const sqlite3_int64 rowid = sqlite3_last_insert_rowid(session_.get());
    for (size_t i : positions) {
      const LongValue& stored = *batch.column(i).Long(row);
      const sqlite::AnyPayload payload(stored);
      const LongValue& value = any_[i] ? static_cast<const LongValue&>(payload) : stored;
      const int rc = sqlite::WriteBlob(session_, table_.name,
                                       table_.columns[size_t(columns_[i])].name, rowid, value);
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
  std::vector<char> any_;  // per written column: a kAny column (sqlite_any.hpp)
  std::optional<Statement> statement_;
  bool in_transaction_ = false;
  std::optional<bool> streams_blobs_;
  std::vector<int> record_order_;    // see PlanLongValues
  std::vector<char> streams_;        // per written column, for the row being written
  std::deque<WholeLongValue> held_;  // long values of the row being written that do not stream
};

class SqliteReadSession final : public ReadSession {
 public:
  SqliteReadSession(std::unique_ptr<SqlSession> session, const Dialect& dialect)
      : session_(std::move(session)), dialect_(dialect) {}
  std::unique_ptr<RowReader> Read(const ReadRequest& request) override {
    return sqlite::MakeReader(static_cast<Session&>(*session_), dialect_, request);
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
    if (request.defer_checks || checks_deferred_) {
      session_->Execute(dialect_.CheckEnforcementSql(!request.defer_checks));
      checks_deferred_ = request.defer_checks;
    }
    return std::make_unique<SqliteRowWriter>(static_cast<Session&>(*session_), dialect_, request);
  }

 private:
  std::unique_ptr<SqlSession> session_;
  const Dialect& dialect_;
  bool checks_deferred_ = false;
};

class SqliteEndpoint final : public SqlEndpoint {
 public:
  SqliteEndpoint(std::string path, bool is_source, std::unique_ptr<Dialect> dialect,
                 std::unique_ptr<Session> catalog, EndpointInfo info)
      : SqlEndpoint(std::move(dialect), std::move(catalog), std::move(info)),
        path_(std::move(path)),
        is_source_(is_source) {}

  // SQLite has no session locks: a file lock beside the database does their job, one whatever
  // the --state-prefix, beside the file itself however its path is spelt (through a symlink,
  // relative or absolute), so that every spelling takes the same lock.
  std::unique_ptr<RunStore> OpenRunStore(const std::string& prefix) override {
    std::error_code unresolved;
    std::filesystem::path file = std::filesystem::canonical(path_, unresolved);
    if (unresolved) file = path_;
    const std::string lock_path = file.string() + "." + kRunLockName + "lock";
    return MakeSqlRunStore([this] { return OpenSqlSession(); }, dialect(), "main", "main", prefix,
                           [lock_path] { return TryFileLock(lock_path); }, {},
                           [lock_path] { return FileLockHolder(lock_path); });
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

  // SQLite reaches part of a stored value only by incremental blob I/O, which opens a row by its
  // rowid and writes over bytes a row already holds; everything else (a bound parameter, the
  // record an INSERT or UPDATE builds, substr()) holds the whole value. See the README's known
  // limits for what was measured.
  HeldWhole LongValuesHeldWhole(const Table& table, int column, bool as_source) override {
    const Storage storage = StorageOf(table.columns[size_t(column)].type);
    if (storage != Storage::kText && storage != Storage::kBytes) return {};
    const std::optional<bool> rowid = sqlite::RowidTable(catalog(), table.name);
    if (as_source) {
      if (rowid.value_or(true)) return {};
      return {
          "SQLite reads a value of a WITHOUT ROWID table whole: incremental blob I/O, its one "
          "way to read part of a value, needs a rowid"};
    }
    if (storage == Storage::kText) {
      return {
          "SQLite builds each row it inserts whole in memory, and text cannot be filled in "
          "afterwards by incremental blob I/O: only a zeroblob can, and it stays a blob"};
    }
    if (!rowid.value_or(true)) {
      return {
          "SQLite builds each row it inserts whole in memory, and a WITHOUT ROWID table's "
          "blobs cannot be filled in afterwards by incremental blob I/O"};
    }
    if (size_t(column) + 1 == table.columns.size()) return {};
    return {
        "SQLite builds each row it inserts whole in memory; a blob is left as zeros and filled "
        "in afterwards only where no column after it in the table holds bytes"};
  }
  std::unique_ptr<SchemaSession> OpenSchemaSession(const SchemaDump&) override {
    ShapesChanging();
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
  // A tracked source is opened for writing (its change logs), as is a destination, which would
  // make a misspelt file as an empty database, and track, sync or find nothing in it.
  const bool tracked = target.role == EndpointRole::kTrackedSource;
  if ((tracked || target.options.existing_only) && !path.empty() && path != ":memory:" &&
      path.rfind("file:", 0) != 0 && !std::filesystem::exists(path)) {
    throw Error(ErrorCode::kConnection,
                fmt::format("cannot open {}: there is no such file (a {} must be an existing "
                            "SQLite file{})",
                            target.display, tracked ? "source" : "destination",
                            tracked ? "" : ": this command makes none"));
  }
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
