#include "drivers/mariadb/mariadb_endpoint.hpp"
#include "drivers/mariadb/mariadb_dialect.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "drivers/mariadb/bulk_insert_writer.hpp"
#include "drivers/mariadb/load_data_writer.hpp"
#include "drivers/mariadb/mariadb_catalog.hpp"
#include "drivers/mariadb/mariadb_client.hpp"
#include "drivers/mariadb/mariadb_params.hpp"
#include "drivers/mariadb/schema_dump.hpp"
#include "drivers/mariadb/streaming_reader.hpp"
#include "drivers/odbc/odbc_endpoint.hpp"
#include "drivers/silent_server.hpp"

namespace ferry {

namespace {

using mariadb::Connection;
using mariadb::ConnectParams;
using mariadb::Purpose;

// Creates cloned objects; an object's statements (a few SETs, then its CREATE) are separated by
// kStatementSeparator, and the session's own settings come back before the next object.
class MariaDbSchemaSession final : public SchemaSession {
 public:
  MariaDbSchemaSession(std::unique_ptr<Connection> connection, SqlEndpoint& endpoint)
      : connection_(std::move(connection)), endpoint_(endpoint) {
    auto rows = connection_->Query(
        "SELECT @@SESSION.sql_mode, @@SESSION.character_set_client, "
        "@@SESSION.collation_connection, @@SESSION.time_zone");
    for (size_t i = 0; i < 4; ++i) restore_.push_back(rows.at(0)[i].value_or(""));
  }
  void Run(const std::string& sql) override {
    const std::string separator = mariadb::kStatementSeparator;
    size_t at = 0;
    try {
      for (;;) {
        size_t end = sql.find(separator, at);
        connection_->Execute(sql.substr(at, end == std::string::npos ? end : end - at));
        if (end == std::string::npos) break;
        at = end + separator.size();
      }
    } catch (...) {
      Restore();
      throw;
    }
    Restore();
  }
  // The dump names the source's database; its statements run in this (destination) one, where
  // the lock holders are looked for.
  void RunAfterData(const SchemaObject& object) override {
    SchemaObject here = object;
    if (!here.table.name.empty()) here.table.schema = endpoint_.info().default_schema;
    endpoint_.CreateAfterData(*connection_, here, [&] { Run(object.sql); });
  }
  // DDL commits by itself in MariaDB.
  void Begin() override {}
  void Commit() override {}
  void Rollback() noexcept override {}

 private:
  void Restore() {
    auto literal = [](const std::string& text) {
      std::string out = "'";
      for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
      return out + "'";
    };
    connection_->Execute("SET SESSION sql_mode = " + literal(restore_[0]) +
                         ", character_set_client = " + literal(restore_[1]) +
                         ", collation_connection = " + literal(restore_[2]) +
                         ", time_zone = " + literal(restore_[3]) + ", foreign_key_checks = 0");
  }

  std::unique_ptr<Connection> connection_;
  std::vector<std::string> restore_;
  SqlEndpoint& endpoint_;
};

// How a destination is written, fastest first: bulk prepared inserts where the server runs them
// (MariaDB), LOAD DATA LOCAL where it allows it (MySQL), ODBC parameter arrays otherwise.
enum class WriteMethod { kBulkInsert, kLoadData, kOdbc };

// Requests of a bulk insert stay well below max_allowed_packet (16 MiB by default), and large
// enough that the round trip per request is noise.
constexpr size_t kBulkRequestBytes = 8u << 20;

// --mariadb-write-method bulk|load-data|odbc picks a method for measurements; it must be one
// the server supports.
std::optional<WriteMethod> RequestedWriteMethod(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (name == "bulk") return WriteMethod::kBulkInsert;
  if (name == "load-data") return WriteMethod::kLoadData;
  if (name == "odbc") return WriteMethod::kOdbc;
  throw Error(ErrorCode::kUsage,
              fmt::format("--mariadb-write-method (FERRY_MARIADB_WRITE_METHOD) is '{}'; it may be "
                          "bulk, load-data or odbc",
                          name));
}

class MariaDbReadSession final : public ReadSession {
 public:
  MariaDbReadSession(std::unique_ptr<Connection> connection, const Dialect& dialect)
      : connection_(std::move(connection)), dialect_(dialect) {}

  std::unique_ptr<RowReader> Read(const ReadRequest& request) override {
    if (request.pass_through) {
      throw Error(ErrorCode::kInternal, "MariaDB readers cannot pass rows through undecoded");
    }
    return mariadb::MakeStreamingReader(*connection_, dialect_, request);
  }
  ServerDigest Digest(const DigestRequest& request) override {
    return RunDigest(*connection_, dialect_, request);
  }

 private:
  std::unique_ptr<Connection> connection_;
  const Dialect& dialect_;
};

class MariaDbWriteSession final : public WriteSession {
 public:
  MariaDbWriteSession(std::unique_ptr<Connection> connection, const Dialect& dialect,
                      WriteMethod method, size_t max_request_bytes)
      : connection_(std::move(connection)),
        dialect_(dialect),
        method_(method),
        max_request_bytes_(max_request_bytes) {
    mariadb::ServeLoadDataFromMemory(*connection_, *source_);
  }

  std::unique_ptr<RowWriter> Write(const WriteRequest& request) override {
    if (request.pass_through) {
      throw Error(ErrorCode::kInternal, "MariaDB writers cannot take undecoded rows");
    }
    // Set for each unit of such a table: a reconnected session starts enforcing again.
    if (request.defer_checks || checks_deferred_) {
      connection_->Execute(dialect_.CheckEnforcementSql(!request.defer_checks));
      checks_deferred_ = request.defer_checks;
    }
    if (method_ == WriteMethod::kBulkInsert) {
      return mariadb::MakeBulkInsertWriter(*connection_, dialect_, request, max_request_bytes_);
    }
    return mariadb::MakeLoadDataWriter(*connection_, *source_, dialect_, request);
  }

 private:
  std::unique_ptr<Connection> connection_;
  // Allocated apart so its address, which the connection's handler keeps, never moves.
  std::unique_ptr<mariadb::InfileSource> source_ = std::make_unique<mariadb::InfileSource>();
  const Dialect& dialect_;
  WriteMethod method_;
  size_t max_request_bytes_;
  bool checks_deferred_ = false;
};

class MariaDbEndpoint final : public SqlEndpoint {
 public:
  // `write_method`: EndpointOptions::mariadb_write_method.
  MariaDbEndpoint(std::unique_ptr<Dialect> dialect, OdbcLink link, ConnectParams params,
                  const std::string& write_method)
      : SqlEndpoint(std::move(dialect), std::move(link.catalog), std::move(link.info)),
        target_(std::move(link.target)),
        params_(std::move(params)) {
    // Connect now, so a failure names the connection before any reader or writer starts, and
    // learn what the server allows.
    std::unique_ptr<Connection> probe = Native(Purpose::kCatalog);
    server_ = PeerOf(mysql_get_socket(probe->get()));
    auto rows = probe->Query("SELECT @@GLOBAL.local_infile, @@GLOBAL.max_allowed_packet");
    const bool local_infile = !rows.empty() && rows[0][0] && *rows[0][0] != "0";
    const size_t max_packet = rows.empty() || !rows[0][1] ? 0 : std::stoull(*rows[0][1]);
    max_request_bytes_ = std::min(kBulkRequestBytes, max_packet / 2);
    const bool bulk = mariadb::SupportsBulkInsert(*probe);
    write_method_ = bulk           ? WriteMethod::kBulkInsert
                    : local_infile ? WriteMethod::kLoadData
                                   : WriteMethod::kOdbc;
    if (std::optional<WriteMethod> requested = RequestedWriteMethod(write_method)) {
      if ((*requested == WriteMethod::kBulkInsert && !bulk) ||
          (*requested == WriteMethod::kLoadData && !local_infile)) {
        throw Error(ErrorCode::kUsage,
                    fmt::format("--mariadb-write-method asks for a method {} does not allow "
                                "(bulk inserts need MariaDB 10.2 or later, LOAD DATA LOCAL needs "
                                "local_infile=ON)",
                                target_.display));
      }
      write_method_ = *requested;
    }
  }

  // Readers join the snapshot on their libmariadb connection directly; MariaDB has no snapshot
  // to export, so the coordinator session BeginSnapshot opens (OpenSqlSession, ODBC) is closed
  // at once whatever carries it.
  std::unique_ptr<ReadSession> OpenReadSession() override {
    std::unique_ptr<Connection> connection = Native(Purpose::kRead);
    dialect().SetUpSession(*connection, target_.is_source);
    // A streaming result holds the server's send until ferry reads on; when writers fall behind
    // and the batch pool is full, that can take longer than net_write_timeout (60 s), after
    // which the server would drop the connection.
    connection->Execute("SET SESSION net_write_timeout = 86400");
    JoinSnapshot(*connection);
    return std::make_unique<MariaDbReadSession>(std::move(connection), dialect());
  }

  std::unique_ptr<WriteSession> OpenWriteSession() override {
    if (write_method_ == WriteMethod::kOdbc) {
      return MakeOdbcWriteSession(OpenOdbcConnection(target_, dialect()), dialect(),
                                  target_.parameter_arrays);
    }
    std::unique_ptr<Connection> connection = Native(Purpose::kWrite);
    dialect().SetUpSession(*connection, target_.is_source);
    return std::make_unique<MariaDbWriteSession>(std::move(connection), dialect(), write_method_,
                                                 max_request_bytes_);
  }

  // The schema as the server's SHOW CREATE writes it (drivers/mariadb/schema_dump.hpp), for
  // tables of this connection's database.
  std::optional<SchemaDump> DumpSchema(const SchemaRequest& request) override {
    for (const TableName& t : request.tables) {
      if (t.schema != info().default_schema) return std::nullopt;
    }
    std::unique_ptr<Connection> connection = Native(Purpose::kCatalog);
    return mariadb::DumpSchema(*connection, request);
  }
  std::vector<std::pair<std::string, std::string>> Definers(const std::string& schema) override {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& r : catalog().Query(
             "SELECT CONCAT('view ', TABLE_SCHEMA, '.', TABLE_NAME), DEFINER FROM "
             "information_schema.VIEWS WHERE TABLE_SCHEMA = ? UNION ALL SELECT "
             "CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_SCHEMA, '.', ROUTINE_NAME), DEFINER FROM "
             "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? UNION ALL SELECT "
             "CONCAT('trigger ', TRIGGER_NAME, ' on ', EVENT_OBJECT_SCHEMA, '.', "
             "EVENT_OBJECT_TABLE), DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA "
             "= ? UNION ALL SELECT CONCAT('event ', EVENT_SCHEMA, '.', EVENT_NAME), DEFINER FROM "
             "information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY 1",
             {schema, schema, schema, schema})) {
      if (!r[0] || !r[1] || NamesFerryObject(*r[0])) continue;
      out.emplace_back(*r[0], *r[1]);
    }
    return out;
  }
  // LOWER and UPPER follow each column's collation. Tables ferry creates are utf8mb4_nopad_bin,
  // which maps case as Unicode does.
  std::string CaseFolding(const TableName* table) override {
    if (!table) return "";
    for (auto& r : catalog().Query(
             "SELECT DISTINCT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA "
             "= ? AND TABLE_NAME = ? AND COLLATION_NAME IS NOT NULL",
             {table->schema, table->name})) {
      if (!r[0]) continue;
      if (std::string folding = CaseFoldingOf(*r[0]); !folding.empty()) return folding;
    }
    return "";
  }
  // mysql.user lists every account (and role); a user without the right to read it cannot tell.
  std::optional<bool> HasAccount(const std::string& account) override {
    const size_t at = account.rfind('@');
    if (at == std::string::npos) return std::nullopt;
    try {
      return !catalog()
                  .Query("SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?",
                         {account.substr(0, at), account.substr(at + 1)})
                  .empty();
    } catch (const Error&) {
      return std::nullopt;
    }
  }
  std::unique_ptr<SchemaSession> OpenSchemaSession(const SchemaDump&) override {
    ShapesChanging();
    std::unique_ptr<Connection> connection = Native(Purpose::kWrite);
    dialect().SetUpSession(*connection, target_.is_source);
    return std::make_unique<MariaDbSchemaSession>(std::move(connection), *this);
  }
  // MariaDB sequences: the next value not yet handed to any server cache, set back with SETVAL
  // as mariadb-dump does (is_used = 0: that value is the next one drawn).
  std::vector<SequenceState> ReadSequences(const std::vector<TableName>& names) override {
    std::vector<SequenceState> out;
    std::unique_ptr<Connection> connection = Native(Purpose::kCatalog);
    for (const TableName& name : names) {
      auto rows = connection->Query(
          "SELECT next_not_cached_value, start_value, increment, minimum_value, maximum_value, "
          "cycle_option FROM " +
          dialect().QualifiedName(name));
      if (rows.empty() || !rows[0][0]) continue;
      SequenceState state{name, *rows[0][0], false};
      state.start = std::stoll(rows[0][1].value_or("1"));
      state.increment = std::stoll(rows[0][2].value_or("1"));
      state.min_value = std::stoll(rows[0][3].value_or("1"));
      state.max_value = std::stoll(rows[0][4].value_or("9223372036854775806"));
      state.cycle = rows[0][5].value_or("0") != "0";
      out.push_back(std::move(state));
    }
    return out;
  }
  std::vector<TableName> ListSequences(const std::vector<std::string>& schemas) override {
    std::vector<TableName> out;
    std::unique_ptr<Connection> connection = Native(Purpose::kCatalog);
    for (const std::string& schema : schemas) {
      for (auto& r : mariadb::QueryWhole(*connection,
                                         "SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                                         "TABLE_SCHEMA = ? AND TABLE_TYPE = 'SEQUENCE' ORDER BY 1",
                                         {schema})) {
        out.push_back({schema, *r[0]});
      }
    }
    return out;
  }
  // MariaDB keeps one value below the largest bigint for itself.
  void CreateSequence(const SequenceState& state) override {
    std::unique_ptr<Connection> connection = Native(Purpose::kWrite);
    const TableName here{info().default_schema, state.name.name};
    connection->Execute(fmt::format(
        "CREATE SEQUENCE IF NOT EXISTS {} START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {}{}",
        dialect().QualifiedName(here), state.start, state.increment,
        std::max<int64_t>(state.min_value, INT64_MIN + 1),
        std::min<int64_t>(state.max_value, INT64_MAX - 1), state.cycle ? " CYCLE" : ""));
  }
  void SetSequence(const SequenceState& state) override {
    std::unique_ptr<Connection> connection = Native(Purpose::kWrite);
    const TableName here{info().default_schema, state.name.name};
    connection->Query(fmt::format("SELECT SETVAL({}, {}, {})", dialect().QualifiedName(here),
                                  std::stoll(state.last_value), state.is_called ? 1 : 0));
  }

  // libmariadb's connections, and Connector/ODBC's, to this server, cut when it is silent.
  bool ServerAnswers(std::chrono::milliseconds timeout) override {
    if (mariadb::AnswersWithin(params_, timeout)) return true;
    CutConnectionsTo(server_);
    return false;
  }

 protected:
  std::unique_ptr<SqlSession> OpenSqlSession() override {
    return OpenOdbcConnection(target_, dialect());
  }
  std::unique_ptr<SqlSession> ReopenCatalog() override { return OpenSqlSession(); }

 private:
  std::unique_ptr<Connection> Native(Purpose purpose) const {
    return std::make_unique<Connection>(params_, target_.display, purpose);
  }

  OdbcTarget target_;
  ConnectParams params_;
  ServerAddress server_;  // as the first connection met it (drivers/silent_server.hpp)
  WriteMethod write_method_ = WriteMethod::kOdbc;
  size_t max_request_bytes_ = kBulkRequestBytes;
};

// A server that sends no greeting, silent or waiting for the client to speak first as
// PostgreSQL does (a mysql:// URL at PostgreSQL's port), would hold Connector/ODBC's handshake
// for ever (it reads without a timeout): a probe bounded by the connect timeout asks first.
void RefuseSilentServer(const EngineTarget& target) {
  std::string why;
  std::optional<ConnectParams> params = mariadb::ParamsFromOdbc(target.odbc, &why);
  if (!params) return;
  const int seconds = ConnectTimeout(target.options);
  if (params->connect_timeout == 0) params->connect_timeout = unsigned(seconds);
  if (mariadb::AnswersWithin(*params, std::chrono::seconds(params->connect_timeout))) return;
  ErrorContext context;
  context.call = "mysql_real_connect";
  throw Error(ErrorCode::kConnection,
              fmt::format("cannot connect to {}: the server sent no MariaDB/MySQL greeting within "
                          "{} s",
                          target.display, params->connect_timeout),
              std::move(context))
      .WithAdvice(
          "is it another engine's port (PostgreSQL listens on 5432 by default, MariaDB/MySQL on "
          "3306), or a host that drops the connection silently? A mysql:// URL needs a MariaDB "
          "or MySQL server; --network-timeout sets how long ferry waits");
}

// A MariaDbEndpoint when the ODBC target's attributes can be reproduced with libmariadb, else
// the plain ODBC endpoint, so a connection is never made differently from what the user asked.
std::unique_ptr<Endpoint> OpenMariaDb(EngineTarget target) {
  std::unique_ptr<Dialect> dialect = MakeMariaDbDialect();
  RefuseSilentServer(target);
  OdbcLink link = ConnectOdbc(std::move(target.probe), target.odbc, target.display,
                              target.role != EndpointRole::kDestination, *dialect,
                              ConnectTimeout(target.options));
  link.info.state_schema = target.options.state_schema;
  std::string why;
  std::optional<ConnectParams> params = mariadb::ParamsFromOdbc(link.target.odbc, &why);
  if (!params) return std::make_unique<OdbcEndpoint>(std::move(dialect), std::move(link));
  if (params->connect_timeout == 0)
    params->connect_timeout = unsigned(ConnectTimeout(target.options));
  return std::make_unique<MariaDbEndpoint>(std::move(dialect), std::move(link), std::move(*params),
                                           target.options.mariadb_write_method);
}

}  // namespace

EngineFactory MariaDbEngine() {
  EngineFactory factory;
  factory.engine = Engine::kMariaDB;
  factory.product = "MariaDB/MySQL";
  factory.schemes = {{"mysql", "MariaDB Unicode", "3306", false},
                     {"mariadb", "MariaDB Unicode", "3306", false}};
  for (UrlScheme& scheme : factory.schemes) scheme.parameters = mariadb::UrlParameters();
  factory.product_words = {"mariadb", "mysql"};
  factory.open = OpenMariaDb;
  return factory;
}

}  // namespace ferry
