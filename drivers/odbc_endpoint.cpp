// The ODBC implementation of Endpoint: one catalog connection per endpoint, and one
// connection per read or write session, each used by one thread.
#include <fmt/format.h>

#include <algorithm>

#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "drivers/dialect.hpp"
#include "drivers/mariadb/mariadb_endpoint.hpp"
#include "drivers/odbc_codec.hpp"
#include "drivers/odbc_endpoint.hpp"
#include "drivers/open.hpp"
#include "drivers/postgres/postgres_endpoint.hpp"
#include "drivers/sqlite/sqlite_endpoint.hpp"

namespace ferry {

namespace {

// Bytes of fetch buffers a reader may hold; decides how many rows a rowset has.
constexpr size_t kRowsetBudget = 16u << 20;
// Bytes of parameter arrays a writer may hold per execution.
constexpr size_t kParameterBudget = 16u << 20;
// Rows per parameter-array execution; more rows help little and make a failing statement's
// error harder to place.
constexpr size_t kParameterRows = 1000;

class OdbcRowReader final : public RowReader {
 public:
  OdbcRowReader(odbc::Connection& connection, const Dialect& dialect, const ReadRequest& request,
                bool can_position)
      : statement_(connection),
        table_(*request.table),
        columns_(request.columns),
        limits_(request.limits) {
    std::vector<odbc::BufferDescription> buffers;
    bool any_capped = false;
    size_t row_bytes = 0;
    for (int column : columns_) {
      const Column& c = table_.columns[size_t(column)];
      WireForm form = dialect.ReadForm(c.type);
      forms_.push_back(form);
      storages_.push_back(StorageOf(c.type));
      buffers.push_back(ReadBuffer(form, c.type));
      any_capped = any_capped || ReadBufferIsCapped(form, c.type);
      row_bytes += buffers.back().element_size + sizeof(SQLLEN);
    }
    const std::string sql = dialect.SelectSql(table_, columns_, request.unit.range);
    size_t rowset = std::clamp<size_t>(kRowsetBudget / std::max<size_t>(row_bytes, 1), 1,
                                       std::max<size_t>(limits_.max_rows, 1));
    // Without SQL_GD_BLOCK a long value can only be fetched whole from a one-row rowset.
    if (any_capped && !can_position) rowset = 1;
    statement_.SetAttribute(SQL_ATTR_CURSOR_TYPE, SQL_CURSOR_FORWARD_ONLY, "SQL_ATTR_CURSOR_TYPE");
    try {
      statement_.ExecDirect(sql);
    } catch (Error& e) {
      e.WithTable(DisplayName(table_.name));
      throw;
    }
    cursor_.emplace(statement_, std::move(buffers), rowset, can_position);
    key_positions_ = KeyPositions(table_, columns_);
  }

  bool Next(Batch& batch) override {
    batch.Reset(storages_);
    if (done_) return false;
    const size_t rowset = cursor_->rowset_size();
    while (batch.num_rows() + rowset <= std::max(limits_.max_rows, rowset) &&
           batch.ByteSize() < limits_.max_bytes) {
      size_t rows;
      try {
        rows = cursor_->Fetch();
      } catch (Error& e) {
        e.WithTable(DisplayName(table_.name));
        throw;
      }
      if (rows == 0) {
        done_ = true;
        break;
      }
      const size_t first = batch.num_rows();
      std::string reason;
      size_t bad_row = 0;
      int bad_column = -1;
      for (size_t i = 0; i < forms_.size(); ++i) {
        const Column& c = table_.columns[size_t(columns_[i])];
        size_t row = 0;
        std::string why =
            AppendFetched(*cursor_, i, rows, forms_[i], c.type, batch.column(i), &row);
        if (!why.empty() && reason.empty()) {
          reason = std::move(why);
          bad_row = first + row;
          bad_column = int(i);
        }
      }
      if (!reason.empty()) {
        std::vector<std::string> names = KeyNames(table_, columns_, key_positions_);
        ErrorContext context;
        context.table = DisplayName(table_.name);
        context.column = table_.columns[size_t(columns_[size_t(bad_column)])].name;
        context.key = RenderKey(batch, key_positions_, names, bad_row);
        throw Error(ErrorCode::kData, "cannot read value: " + reason, std::move(context));
      }
    }
    return batch.num_rows() > 0;
  }

  std::string Method() const override { return "ODBC block cursor"; }

 private:
  odbc::Statement statement_;
  const Table& table_;
  std::vector<int> columns_;
  BatchLimits limits_;
  std::vector<WireForm> forms_;
  std::vector<Storage> storages_;
  std::vector<int> key_positions_;
  std::optional<odbc::BlockCursor> cursor_;
  bool done_ = false;
};

class OdbcRowWriter final : public RowWriter {
 public:
  OdbcRowWriter(odbc::Connection& connection, const Dialect& dialect, const WriteRequest& request,
                bool parameter_arrays)
      : connection_(connection),
        statement_(connection),
        table_(*request.table),
        columns_(request.columns),
        key_positions_(request.key_positions),
        upsert_(request.upsert) {
    std::vector<odbc::ParameterDescription> descriptions;
    for (int column : columns_) {
      plans_.push_back(PlanParameter(dialect, table_.columns[size_t(column)].type));
      descriptions.push_back(plans_.back().description);
    }
    const std::string sql = request.upsert ? dialect.UpsertSql(table_, columns_, request.upsert_key)
                                           : dialect.InsertSql(table_, columns_);
    try {
      // The session runs with autocommit off: the delete belongs to the unit's transaction.
      const std::string replace = dialect.ReplaceRangeSql(table_, request.replace_range);
      if (!replace.empty()) connection_.Execute(replace);
      statement_.Prepare(sql);
    } catch (Error& e) {
      e.WithTable(DisplayName(table_.name));
      throw;
    }
    arrays_.emplace(statement_, std::move(descriptions), parameter_arrays);
  }

  void Write(const Batch& batch) override {
    const size_t rows = batch.num_rows();
    std::vector<size_t> sizes(plans_.size());
    size_t begin = 0;
    while (begin < rows) {
      // Grow the chunk while its parameter arrays stay within budget.
      size_t end = begin;
      std::fill(sizes.begin(), sizes.end(), 0);
      while (end < rows && end - begin < kParameterRows) {
        size_t width = 0;
        for (size_t i = 0; i < plans_.size(); ++i) {
          width +=
              std::max(sizes[i], ParameterElementSize(plans_[i], batch.column(i), end, end + 1));
        }
        if (end > begin && width * (end - begin + 1) > kParameterBudget) break;
        for (size_t i = 0; i < plans_.size(); ++i) {
          sizes[i] =
              std::max(sizes[i], ParameterElementSize(plans_[i], batch.column(i), end, end + 1));
        }
        ++end;
      }
      arrays_->Prepare(end - begin, sizes);
      for (size_t i = 0; i < plans_.size(); ++i) {
        FillParameter(plans_[i], batch.column(i), begin, end, *arrays_, i);
      }
      std::optional<size_t> failed;
      try {
        arrays_->Execute(end - begin, &failed);
      } catch (Error& e) {
        e.WithTable(DisplayName(table_.name));
        if (failed) {
          e.WithKey(RenderKey(batch, key_positions_, KeyNames(table_, columns_, key_positions_),
                              begin + *failed));
        }
        throw;
      }
      begin = end;
    }
  }

  std::string Method() const override {
    return upsert_ ? "ODBC parameter arrays (upsert)" : "ODBC parameter arrays";
  }

  ~OdbcRowWriter() override {
    if (!finished_) connection_.Rollback();
  }

  void Commit(const std::vector<std::string>& finish_sql) override {
    try {
      for (const std::string& sql : finish_sql) connection_.Execute(sql);
      connection_.Commit();
      finished_ = true;
    } catch (Error& e) {
      e.WithTable(DisplayName(table_.name));
      throw;
    }
  }
  void Rollback() override {
    connection_.Rollback();
    finished_ = true;
  }

 private:
  odbc::Connection& connection_;
  bool finished_ = false;
  odbc::Statement statement_;
  const Table& table_;
  std::vector<int> columns_;
  std::vector<int> key_positions_;
  bool upsert_;
  std::vector<ParameterPlan> plans_;
  std::optional<odbc::ParameterArrays> arrays_;
};

class OdbcReadSession final : public ReadSession {
 public:
  OdbcReadSession(std::unique_ptr<odbc::Connection> connection, const Dialect& dialect,
                  bool can_position)
      : connection_(std::move(connection)), dialect_(dialect), can_position_(can_position) {}

  std::unique_ptr<RowReader> Read(const ReadRequest& request) override {
    if (request.pass_through) {
      throw Error(ErrorCode::kInternal, "ODBC readers cannot pass rows through undecoded");
    }
    return std::make_unique<OdbcRowReader>(*connection_, dialect_, request, can_position_);
  }
  ServerDigest Digest(const DigestRequest& request) override {
    return RunDigest(*connection_, dialect_, request);
  }

 private:
  std::unique_ptr<odbc::Connection> connection_;
  const Dialect& dialect_;
  bool can_position_;
};

class OdbcWriteSession final : public WriteSession {
 public:
  OdbcWriteSession(std::unique_ptr<odbc::Connection> connection, const Dialect& dialect,
                   bool parameter_arrays)
      : connection_(std::move(connection)), dialect_(dialect), parameter_arrays_(parameter_arrays) {
    connection_->SetAutocommit(false);
  }

  std::unique_ptr<RowWriter> Write(const WriteRequest& request) override {
    if (request.pass_through) {
      throw Error(ErrorCode::kInternal, "ODBC writers cannot take undecoded rows");
    }
    return std::make_unique<OdbcRowWriter>(*connection_, dialect_, request, parameter_arrays_);
  }

 private:
  std::unique_ptr<odbc::Connection> connection_;
  const Dialect& dialect_;
  bool parameter_arrays_;
};

}  // namespace

OdbcEndpoint::OdbcEndpoint(OdbcEndpointParts parts)
    : SqlEndpoint(std::move(parts.dialect), std::move(parts.catalog), std::move(parts.info)),
      target_(std::move(parts.target)),
      can_position_(parts.can_position),
      parameter_arrays_(parts.parameter_arrays) {}

std::unique_ptr<odbc::Connection> OdbcEndpoint::OpenOdbcConnection() {
  auto connection = std::make_unique<odbc::Connection>(target_.odbc, target_.display);
  dialect().SetUpSession(*connection, target_.is_source);
  return connection;
}

std::unique_ptr<SqlSession> OdbcEndpoint::OpenSqlSession() {
  return OpenOdbcConnection();
}

std::unique_ptr<ReadSession> OdbcEndpoint::OpenReadSession() {
  std::unique_ptr<odbc::Connection> connection = OpenOdbcConnection();
  JoinSnapshot(*connection);
  return std::make_unique<OdbcReadSession>(std::move(connection), dialect(), can_position_);
}

std::unique_ptr<WriteSession> OdbcEndpoint::OpenWriteSession() {
  return std::make_unique<OdbcWriteSession>(OpenOdbcConnection(), dialect(), parameter_arrays_);
}

namespace {

std::unique_ptr<Dialect> DialectFor(const std::string& dbms_name, const EndpointOptions& options) {
  std::string name;
  for (char c : dbms_name) name += char(std::tolower(static_cast<unsigned char>(c)));
  if (name.find("postgres") != std::string::npos) {
    return MakePostgresDialect(options.pg_toast_compression);
  }
  if (name.find("mariadb") != std::string::npos || name.find("mysql") != std::string::npos) {
    return MakeMariaDbDialect();
  }
  if (name.find("sqlite") != std::string::npos) return MakeSqliteDialect();
  return nullptr;
}

}  // namespace

std::unique_ptr<Endpoint> OpenEndpoint(const std::string& text, EndpointRole role,
                                       const EndpointOptions& endpoint_options) {
  const bool is_source = role != EndpointRole::kDestination;
  // A SQLite file is opened read-only as a source, unless ferry keeps change logs in it.
  const bool sqlite_read_only = role == EndpointRole::kSource;
  ConnectionOptions options;
  options.role = is_source ? "source" : "destination";
  options.password_env = is_source ? "FERRY_SOURCE_PASSWORD" : "FERRY_DEST_PASSWORD";
  options.allow_inline_password = endpoint_options.allow_inline_password;
  ResolvedConnection resolved = ResolveConnection(text, options);
  if (!resolved.sqlite_path.empty()) {
    return OpenSqliteEndpoint(resolved.sqlite_path, sqlite_read_only, resolved.display,
                              endpoint_options.state_schema);
  }

  // Connect once to learn the engine, then again with the attributes its dialect needs
  // (they must be in the connection string: psqlODBC reads them only at connect time).
  auto probe = std::make_unique<odbc::Connection>(resolved.odbc, resolved.display);
  std::string dbms = probe->InfoString(SQL_DBMS_NAME);
  std::unique_ptr<Dialect> dialect = DialectFor(dbms, endpoint_options);
  if (!dialect) {
    throw Error(ErrorCode::kUsage,
                fmt::format("{} is a {} server, which ferry does not support yet (PostgreSQL, "
                            "MariaDB/MySQL and SQLite are)",
                            resolved.display, dbms));
  }
  if (dialect->engine() == Engine::kSQLite) {
    // An SQLite DSN or connection string: read the file natively (see sqlite_session.hpp).
    std::string path = probe->InfoString(SQL_DATABASE_NAME);
    return OpenSqliteEndpoint(path, sqlite_read_only, resolved.display,
                              endpoint_options.state_schema);
  }
  OdbcTarget session;
  session.is_source = is_source;
  session.display = resolved.display;
  session.odbc = resolved.odbc;
  session.options = endpoint_options;
  for (const auto& [key, value] : dialect->ConnectionAttributes(is_source)) {
    session.odbc = WithAttribute(session.odbc, key, value);
  }
  std::unique_ptr<odbc::Connection> catalog;
  if (session.odbc == resolved.odbc) {
    catalog = std::move(probe);
  } else {
    probe.reset();
    catalog = std::make_unique<odbc::Connection>(session.odbc, session.display);
  }
  dialect->SetUpSession(*catalog, is_source);
  EndpointInfo info;
  info.product = catalog->InfoString(SQL_DBMS_NAME);
  info.version = catalog->InfoString(SQL_DBMS_VER);
  info.display = session.display;
  info.state_schema = endpoint_options.state_schema;
  SQLUINTEGER getdata = catalog->InfoUInt(SQL_GETDATA_EXTENSIONS);
  bool can_position =
      (getdata & SQL_GD_BLOCK) && (getdata & SQL_GD_BOUND) && dialect->CanPositionInRowset();
  bool parameter_arrays = catalog->InfoUInt(SQL_PARAM_ARRAY_ROW_COUNTS) != 0;
  OdbcEndpointParts parts{std::move(session), std::move(dialect), std::move(catalog),
                          std::move(info),    can_position,       parameter_arrays};
  switch (parts.dialect->engine()) {
    case Engine::kPostgres:
      return MakePostgresEndpoint(std::move(parts));
    case Engine::kMariaDB:
      return MakeMariaDbEndpoint(std::move(parts));
    default:
      return std::make_unique<OdbcEndpoint>(std::move(parts));
  }
}

}  // namespace ferry
