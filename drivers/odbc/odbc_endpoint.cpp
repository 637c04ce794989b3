// The ODBC implementation of Endpoint: one catalog connection per endpoint, and one
// connection per read or write session, each used by one thread.
#include <fmt/format.h>

#include <algorithm>

#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "drivers/connection_string.hpp"
#include "drivers/long_values.hpp"
#include "drivers/odbc/codec.hpp"
#include "drivers/odbc/odbc_endpoint.hpp"
#include "drivers/sql/dialect.hpp"

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
      WireForm form = ReadForm(dialect.quirks().odbc, c.type);
      forms_.push_back(form);
      storages_.push_back(StorageOf(c.type));
      buffers.push_back(ReadBuffer(form, c.type));
      any_capped = any_capped || ReadBufferIsCapped(form, c.type);
      row_bytes += buffers.back().element_size + sizeof(SQLLEN);
    }
    const std::string sql = dialect.SelectSql(table_, columns_, request.unit.range);
    size_t rowset = std::clamp<size_t>(kRowsetBudget / std::max<size_t>(row_bytes, 1), 1,
                                       std::max<size_t>(limits_.max_rows, 1));
    // Without SQL_GD_BLOCK a long value can only be fetched from a one-row rowset.
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
            AppendFetched(*cursor_, i, rows, forms_[i], c.type,
                          LongValueThreshold(limits_.max_bytes), batch.column(i), &row);
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
    // The session runs with autocommit off: the delete belongs to the unit's transaction.
    const std::string replace = dialect.ReplaceRangeSql(table_, request.replace_range);
    if (!replace.empty()) connection_.Execute(replace);
    statement_.Prepare(sql);
    sql_ = sql;
    descriptions_ = descriptions;
    arrays_.emplace(statement_, std::move(descriptions), parameter_arrays);
  }

  void Write(const Batch& batch) override {
    if (!batch.has_long()) {
      WriteRows(batch, 0, batch.num_rows());
      return;
    }
    // A row with long values (copier/batch.hpp) goes alone, its long values sent in pieces.
    size_t begin = 0;
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      std::vector<odbc::ParameterArrays::Streamed> streamed;
      for (size_t i = 0; i < plans_.size(); ++i) {
        const LongValue* value = batch.column(i).Long(r);
        if (!value) continue;
        streamed.push_back(
            {i, value->size(), [value](const auto& piece) { ForEachPiece(*value, piece); }});
      }
      if (streamed.empty()) continue;
      WriteRows(batch, begin, r);
      WriteLongRow(batch, r, streamed);
      begin = r + 1;
    }
    WriteRows(batch, begin, batch.num_rows());
  }

  std::string Method() const override {
    return upsert_ ? "ODBC parameter arrays (upsert)" : "ODBC parameter arrays";
  }

  ~OdbcRowWriter() override {
    if (!finished_) connection_.Rollback();
  }

  void Commit(const std::vector<std::string>& finish_sql) override {
    for (const std::string& sql : finish_sql) connection_.Execute(sql);
    connection_.Commit();
    finished_ = true;
  }
  void Rollback() override {
    connection_.Rollback();
    finished_ = true;
  }

 private:
  void WriteLongRow(const Batch& batch, size_t row,
                    const std::vector<odbc::ParameterArrays::Streamed>& streamed) {
    std::vector<size_t> sizes(plans_.size());
    for (size_t i = 0; i < plans_.size(); ++i) {
      sizes[i] = ParameterElementSize(plans_[i], batch.column(i), row, row + 1);
    }
    // A statement of its own, made for the row and closed after it: reusing one (the array
    // statement or a statement for long rows) for data at execution made MariaDB Connector/ODBC
    // 3.1 store the previous long row with another parameter's value in a short column.
    long_statement_.emplace(connection_);
    long_statement_->Prepare(sql_);
    long_arrays_.emplace(*long_statement_, descriptions_, false);
    long_arrays_->Prepare(1, sizes);
    for (size_t i = 0; i < plans_.size(); ++i) {
      FillParameter(plans_[i], batch.column(i), row, row + 1, *long_arrays_, i);
    }
    try {
      long_arrays_->ExecuteStreaming(streamed);
    } catch (Error& e) {
      e.WithKey(RenderKey(batch, key_positions_, KeyNames(table_, columns_, key_positions_), row));
      throw;
    }
    long_statement_.reset();  // before the buffers it was bound to
    long_arrays_.reset();
  }

  // Rows [begin, end) of `batch`, none with a long value, by parameter arrays.
  void WriteRows(const Batch& batch, size_t begin, const size_t rows) {
    std::vector<size_t> sizes(plans_.size());
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
        if (failed) {
          e.WithKey(RenderKey(batch, key_positions_, KeyNames(table_, columns_, key_positions_),
                              begin + *failed));
        }
        throw;
      }
      begin = end;
    }
  }

  odbc::Connection& connection_;
  bool finished_ = false;
  odbc::Statement statement_;
  const Table& table_;
  std::vector<int> columns_;
  std::vector<int> key_positions_;
  bool upsert_;
  std::vector<ParameterPlan> plans_;
  std::optional<odbc::ParameterArrays> arrays_;
  // A row with long values, while it is written.
  std::string sql_;
  std::vector<odbc::ParameterDescription> descriptions_;
  std::optional<odbc::Statement> long_statement_;
  std::optional<odbc::ParameterArrays> long_arrays_;
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
    const std::string enforcement = dialect_.CheckEnforcementSql(!request.defer_checks);
    if ((request.defer_checks || checks_deferred_) && !enforcement.empty()) {
      connection_->Execute(enforcement);
      checks_deferred_ = request.defer_checks;
    }
    return std::make_unique<OdbcRowWriter>(*connection_, dialect_, request, parameter_arrays_);
  }

 private:
  std::unique_ptr<odbc::Connection> connection_;
  const Dialect& dialect_;
  bool parameter_arrays_;
  bool checks_deferred_ = false;
};

}  // namespace

std::string DbmsName(const odbc::Connection& connection) {
  return connection.InfoString(SQL_DBMS_NAME);
}

std::string DatabaseName(const odbc::Connection& connection) {
  return connection.InfoString(SQL_DATABASE_NAME);
}

OdbcLink ConnectOdbc(std::unique_ptr<odbc::Connection> probe, const std::string& odbc,
                     const std::string& display, bool is_source, const Dialect& dialect,
                     int login_timeout) {
  OdbcLink link;
  link.target.is_source = is_source;
  link.target.login_timeout = login_timeout;
  link.target.display = display;
  link.target.odbc = odbc;
  for (const auto& [key, value] : dialect.ConnectionAttributes(is_source)) {
    link.target.odbc = WithAttribute(link.target.odbc, key, value);
  }
  if (probe && link.target.odbc == odbc) {
    link.catalog = std::move(probe);
  } else {
    probe.reset();
    link.catalog =
        std::make_unique<odbc::Connection>(link.target.odbc, display, link.target.login_timeout);
  }
  dialect.SetUpSession(*link.catalog, is_source);
  link.info.product = link.catalog->InfoString(SQL_DBMS_NAME);
  link.info.version = link.catalog->InfoString(SQL_DBMS_VER);
  if (const std::string sql = dialect.ServerVersionSql(); !sql.empty()) {
    auto rows = link.catalog->Query(sql);
    if (!rows.empty() && !rows[0].empty() && rows[0][0]) link.info.version = *rows[0][0];
  }
  link.info.display = display;
  const SQLUINTEGER getdata = link.catalog->InfoUInt(SQL_GETDATA_EXTENSIONS);
  link.target.can_position = (getdata & SQL_GD_BLOCK) && (getdata & SQL_GD_BOUND) &&
                             dialect.quirks().odbc.positions_in_rowset;
  link.target.parameter_arrays = link.catalog->InfoUInt(SQL_PARAM_ARRAY_ROW_COUNTS) != 0;
  return link;
}

std::unique_ptr<odbc::Connection> OpenOdbcConnection(const OdbcTarget& target,
                                                     const Dialect& dialect) {
  auto connection =
      std::make_unique<odbc::Connection>(target.odbc, target.display, target.login_timeout);
  dialect.SetUpSession(*connection, target.is_source);
  return connection;
}

std::unique_ptr<ReadSession> MakeOdbcReadSession(std::unique_ptr<odbc::Connection> connection,
                                                 const Dialect& dialect, bool can_position) {
  return std::make_unique<OdbcReadSession>(std::move(connection), dialect, can_position);
}

std::unique_ptr<WriteSession> MakeOdbcWriteSession(std::unique_ptr<odbc::Connection> connection,
                                                   const Dialect& dialect, bool parameter_arrays) {
  return std::make_unique<OdbcWriteSession>(std::move(connection), dialect, parameter_arrays);
}

OdbcEndpoint::OdbcEndpoint(std::unique_ptr<Dialect> dialect, OdbcLink link)
    : SqlEndpoint(std::move(dialect), std::move(link.catalog), std::move(link.info)),
      target_(std::move(link.target)) {}

std::unique_ptr<SqlSession> OdbcEndpoint::OpenSqlSession() {
  return OpenOdbcConnection(target_, dialect());
}

std::unique_ptr<ReadSession> OdbcEndpoint::OpenReadSession() {
  std::unique_ptr<odbc::Connection> connection = OpenOdbcConnection(target_, dialect());
  JoinSnapshot(*connection);
  return MakeOdbcReadSession(std::move(connection), dialect(), target_.can_position);
}

// ferry fetches a long value in pieces (SQLGetData), but MariaDB Connector/ODBC has the whole
// result by then: 3.1 stores every row of a result at execution, and the streaming its 3.1.17
// added (NO_CACHE, forward-only cursors) still grows the network buffer to the longest row.
// libmariadb, behind a mysql:// URL, leaves long values out of the result and reads them in
// pieces. Other drivers are not known to hold results whole.
HeldWhole OdbcEndpoint::LongValuesHeldWhole(const Table& table, int column, bool as_source) {
  const ColumnType& type = table.columns[size_t(column)].type;
  const Storage storage = StorageOf(type);
  if (!as_source || info().engine != Engine::kMariaDB ||
      (storage != Storage::kText && storage != Storage::kBytes)) {
    return {};
  }
  // A column that cannot hold more than the smallest long-value threshold never has long values.
  const int64_t most = type.max_bytes >= 0 ? type.max_bytes
                       : type.length >= 0  ? type.length * 4
                                           : -1;
  if (most >= 0 && most <= int64_t(LongValueThreshold(0))) return {};
  return {
      "MariaDB Connector/ODBC holds each row it fetches whole in memory; a mysql:// URL, or a "
      "connection string the libmariadb path takes, reads long values in pieces",
      true};
}

std::unique_ptr<WriteSession> OdbcEndpoint::OpenWriteSession() {
  return MakeOdbcWriteSession(OpenOdbcConnection(target_, dialect()), dialect(),
                              target_.parameter_arrays);
}

}  // namespace ferry
