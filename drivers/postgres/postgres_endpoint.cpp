#include "drivers/postgres/postgres_endpoint.hpp"
#include "drivers/postgres/postgres_dialect.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "drivers/postgres/copy_reader.hpp"
#include "drivers/postgres/copy_writer.hpp"
#include "drivers/postgres/large_objects.hpp"
#include "drivers/postgres/pg_clone_needs.hpp"
#include "drivers/postgres/pg_dump.hpp"
#include "drivers/postgres/pg_types.hpp"
#include "drivers/postgres/pq_connection.hpp"
#include "drivers/postgres/pq_probe.hpp"

namespace ferry {

namespace {

class CopyReadSession final : public ReadSession {
 public:
  CopyReadSession(std::unique_ptr<pq::Connection> connection, const Dialect& dialect)
      : connection_(std::move(connection)), dialect_(dialect) {}

  std::unique_ptr<RowReader> Read(const ReadRequest& request) override {
    return pg::OpenCopyReader(*connection_, dialect_, request);
  }
  ServerDigest Digest(const DigestRequest& request) override {
    return RunDigest(*connection_, dialect_, request);
  }

 private:
  std::unique_ptr<pq::Connection> connection_;
  const Dialect& dialect_;
};

class CopyWriteSession final : public WriteSession {
 public:
  CopyWriteSession(std::unique_ptr<pq::Connection> connection, const Dialect& dialect)
      : connection_(std::move(connection)), dialect_(dialect) {}

  std::unique_ptr<RowWriter> Write(const WriteRequest& request) override {
    return pg::OpenCopyWriter(*connection_, dialect_, request);
  }

 private:
  std::unique_ptr<pq::Connection> connection_;
  const Dialect& dialect_;
};

// pg_dump's setup turns lock_timeout off (`SET lock_timeout = 0`): an object of the destination
// that another session holds locked (a table it is creating or altering in a transaction left
// open) would hold the clone, and check's trial of it, for as long as that session lives. Every
// statement waits --lock-wait at most, as pg_dump and a catalog read do, then fails Error(kBusy);
// objects after the data wait as the endpoint's lock waits do (CreateAfterData).
class PgSchemaSession final : public SchemaSession {
 public:
  PgSchemaSession(std::unique_ptr<pq::Connection> connection, const SchemaDump& dump,
                  SqlEndpoint& endpoint, const Dialect& dialect, int lock_wait)
      : connection_(std::move(connection)),
        endpoint_(endpoint),
        dialect_(dialect),
        lock_wait_(lock_wait) {
    for (const std::string& sql : dump.session_setup) connection_->Execute(sql);
  }
  void Run(const std::string& sql) override {
    if (!bounded_) {
      for (const std::string& limit : dialect_.LockTimeoutSql(lock_wait_)) {
        connection_->Execute(limit);
      }
      bounded_ = true;
    }
    try {
      connection_->Execute(sql);
    } catch (const Error& e) {
      if (!dialect_.IsLockTimeout(e)) throw;
      throw Error(ErrorCode::kBusy,
                  fmt::format("another session holds a lock on it (a transaction left open "
                              "that creates, alters or locks it), waited for {} s (--lock-wait) "
                              "in vain; end or commit that transaction (pg_locks and "
                              "pg_stat_activity name its session), then run again: {}",
                              lock_wait_, e.message()),
                  e.context(), e.diagnostics());
    }
  }
  void RunAfterData(const SchemaObject& object) override {
    bounded_ = false;  // the endpoint's tries set their own lock_timeout
    endpoint_.CreateAfterData(*connection_, object, [&] { connection_->Execute(object.sql); });
  }
  void Begin() override { connection_->Execute("BEGIN"); }
  void Commit() override { connection_->Execute("COMMIT"); }
  bool Savepoints() const override { return true; }
  void Rollback() noexcept override {
    try {
      connection_->Execute("ROLLBACK");
    } catch (...) {
    }
  }

 private:
  std::unique_ptr<pq::Connection> connection_;
  SqlEndpoint& endpoint_;
  const Dialect& dialect_;
  const int lock_wait_;
  bool bounded_ = false;  // the session's lock_timeout is --lock-wait
};

// "schema"."name" as a text literal for regclass.
std::string RegclassLiteral(const Dialect& dialect, const TableName& name) {
  return dialect.TextLiteral(dialect.QualifiedName(name));
}

}  // namespace

std::optional<SchemaDump> PostgresEndpoint::DumpSchema(const SchemaRequest& request) {
  return pg::DumpSchema(params_, info().version, catalog(), request, info().display, pg_dump_,
                        lock_wait());
}

std::optional<SchemaDump> PostgresEndpoint::ColumnTypes(const std::vector<TableName>& tables) {
  std::unique_ptr<pq::Connection> session = OpenLibpq();
  // Every name the catalog's functions print comes out qualified.
  session->Query("SELECT pg_catalog.set_config('search_path', '', false)");
  SchemaDump types = pg::ColumnTypes(*session, tables);
  if (types.before_data.empty()) return std::nullopt;
  return types;
}

std::vector<std::string> PostgresEndpoint::UnmetNeeds(const std::vector<CloneNeed>& needs) {
  return pg::UnmetNeeds(catalog(), needs);
}

std::unique_ptr<SchemaSession> PostgresEndpoint::OpenSchemaSession(const SchemaDump& dump) {
  ShapesChanging();
  return std::make_unique<PgSchemaSession>(
      std::make_unique<pq::Connection>(params_, target_.display), dump, *this, dialect(),
      lock_wait());
}

std::vector<SequenceState> PostgresEndpoint::ReadSequences(const std::vector<TableName>& names) {
  std::vector<SequenceState> out;
  auto is_true = [](const std::optional<std::string>& v) { return v && (*v == "1" || *v == "t"); };
  for (const TableName& name : names) {
    auto rows =
        catalog().Query("SELECT last_value, is_called FROM " + dialect().QualifiedName(name));
    if (rows.empty() || !rows[0][0]) continue;
    SequenceState state;
    state.name = name;
    state.last_value = *rows[0][0];
    state.is_called = is_true(rows[0][1]);
    auto definition = catalog().Query(
        "SELECT s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcycle, EXISTS (SELECT 1 "
        "FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND "
        "d.objid = s.seqrelid AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')) "
        "FROM pg_catalog.pg_sequence s WHERE s.seqrelid = " +
        RegclassLiteral(dialect(), name) + "::regclass");
    if (!definition.empty()) {
      state.start = std::stoll(definition[0][0].value_or("1"));
      state.increment = std::stoll(definition[0][1].value_or("1"));
      state.min_value = std::stoll(definition[0][2].value_or("1"));
      state.max_value = std::stoll(definition[0][3].value_or("9223372036854775807"));
      state.cycle = is_true(definition[0][4]);
      state.owned = is_true(definition[0][5]);
    }
    out.push_back(std::move(state));
  }
  return out;
}

// Sequences are made and set one after another after the copy, on the catalog session (a
// session of their own cost a connection each, as SqlEndpoint::SyncIdentity says).
void PostgresEndpoint::CreateSequence(const SequenceState& state) {
  catalog().Execute(fmt::format(
      "CREATE SEQUENCE IF NOT EXISTS {} AS bigint START WITH {} INCREMENT BY {} MINVALUE {} "
      "MAXVALUE {}{}",
      dialect().QualifiedName(state.name), state.start, state.increment, state.min_value,
      state.max_value, state.cycle ? " CYCLE" : ""));
}

void PostgresEndpoint::SetSequence(const SequenceState& state) {
  catalog().Query("SELECT pg_catalog.setval(" + RegclassLiteral(dialect(), state.name) + ", " +
                  dialect().TextLiteral(state.last_value) + "::bigint, " +
                  (state.is_called ? "true" : "false") + ")");
}

std::vector<TableName> PostgresEndpoint::ListSequences(const std::vector<std::string>& schemas) {
  std::vector<TableName> out;
  for (const std::string& schema : schemas) {
    for (auto& r : catalog().Query(
             "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON "
             "n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = ? ORDER BY 1",
             {schema})) {
      out.push_back({schema, *r[0]});
    }
  }
  return out;
}

PostgresEndpoint::PostgresEndpoint(std::unique_ptr<Dialect> dialect, OdbcLink link,
                                   pq::ConnectParams params, std::string pg_dump,
                                   std::unique_ptr<pq::Connection> spare)
    : SqlEndpoint(std::move(dialect), std::move(link.catalog), std::move(link.info)),
      target_(std::move(link.target)),
      params_(std::move(params)),
      pg_dump_(std::move(pg_dump)),
      spare_(std::move(spare)) {
  if (spare_) server_ = PeerOf(PQsocket(spare_->get()));
  BoundCatalogLockWaits(catalog());
}

// A catalog read that needs a table's lock (pg_table_size, a view's definition, a sample) waits
// for a session that holds it exclusively (a migration's ALTER TABLE, a TRUNCATE, a LOCK TABLE
// left open) only --lock-wait, then fails naming the table (SqlEndpoint::DescribeTable), instead
// of waiting for as long as that session lives.
void PostgresEndpoint::BoundCatalogLockWaits(SqlSession& session) const {
  for (const std::string& sql : dialect().LockTimeoutSql(lock_wait())) session.Execute(sql);
}

void PostgresEndpoint::SetLockWait(int seconds) {
  SqlEndpoint::SetLockWait(seconds);
  BoundCatalogLockWaits(catalog());
}

std::optional<Table> PostgresEndpoint::DescribeTable(const TableName& name) {
  try {
    return SqlEndpoint::DescribeTable(name);
  } catch (const Error& e) {
    if (!dialect().IsLockTimeout(e)) throw;
    throw CatalogLockError(name, e);
  }
}

// Reading a table's catalog entry gave up waiting for a lock another session holds on it
// (BoundCatalogLockWaits): the table and the sessions holding it, with what to do.
Error PostgresEndpoint::CatalogLockError(const TableName& name, const Error& e) {
  const std::string list = LockHolderLines(catalog(), {name});
  const std::string shown = DisplayName(name);
  return Error(ErrorCode::kBusy,
               fmt::format("cannot read the catalog entry of table {} at {}: another session "
                           "holds a lock on it that reading its size or definition waits for, "
                           "and the wait timed out ({}); they are:{}",
                           shown, info().display, e.message(), list),
               ErrorContext{shown, "", "", ""}, e.diagnostics())
      .WithAdvice(
          "end or commit those sessions' transactions (an ALTER TABLE, TRUNCATE or LOCK "
          "TABLE left open), then run again");
}

std::unique_ptr<SqlSession> PostgresEndpoint::ReopenCatalog() {
  std::unique_ptr<SqlSession> session = OpenOdbcConnection(target_, dialect());
  BoundCatalogLockWaits(*session);
  return session;
}

bool PostgresEndpoint::ServerAnswers(std::chrono::milliseconds timeout) {
  if (pq::AnswersWithin(params_, timeout)) return true;
  CutConnectionsTo(server_);
  return false;
}

std::optional<int64_t> PostgresEndpoint::SessionHeadroom() {
  std::optional<int64_t> headroom = SqlEndpoint::SessionHeadroom();
  std::lock_guard<std::mutex> lock(spare_mutex_);
  if (headroom && spare_) ++*headroom;
  return headroom;
}

std::unique_ptr<pq::Connection> PostgresEndpoint::OpenLibpq() {
  std::unique_ptr<pq::Connection> connection;
  {
    std::lock_guard<std::mutex> lock(spare_mutex_);
    connection = std::move(spare_);
  }
  if (!connection) connection = std::make_unique<pq::Connection>(params_, target_.display);
  dialect().SetUpSession(*connection, target_.is_source);
  return connection;
}

std::unique_ptr<ReadSession> PostgresEndpoint::OpenReadSession() {
  std::unique_ptr<pq::Connection> connection = OpenLibpq();
  JoinSnapshot(*connection);
  return std::make_unique<CopyReadSession>(std::move(connection), dialect());
}

std::unique_ptr<WriteSession> PostgresEndpoint::OpenWriteSession() {
  std::unique_ptr<pq::Connection> connection = OpenLibpq();
  // A unit's commit need not wait for its WAL to reach the disk: a server crash can lose only
  // whole transactions, and a unit's rows and its "done" mark are one transaction, so a lost
  // unit is copied again on --resume. What makes the run durable is the run state's own
  // synchronous commits (a table done, the run finished), which flush all WAL before them.
  // The writer then goes on to its next unit while the WAL writer flushes this one's.
  connection->Execute("SET synchronous_commit = off");
  return std::make_unique<CopyWriteSession>(std::move(connection), dialect());
}

std::unique_ptr<LargeObjectStore> PostgresEndpoint::OpenLargeObjects() {
  return pg::MakeLargeObjectStore(OpenLibpq());
}

std::vector<std::string> PostgresEndpoint::LargeObjectColumns(const std::string& schema) {
  std::vector<std::string> out;
  for (auto& row : catalog().Query(pg::LargeObjectColumnsQuery(), {schema})) {
    if (row[0]) out.push_back(*row[0]);
  }
  return out;
}

namespace {

std::unique_ptr<Endpoint> OpenPostgres(EngineTarget target) {
  std::unique_ptr<Dialect> dialect = MakePostgresDialect(target.options.pg_toast_compression);
  OdbcLink link = ConnectOdbc(std::move(target.probe), target.odbc, target.display,
                              target.role != EndpointRole::kDestination, *dialect,
                              ConnectTimeout(target.options));
  pq::ConnectParams params = pq::LibpqParams(link.target.odbc);
  // libpq counts 1 as 2; its own parameter given in the connection string wins.
  pq::SetUnlessGiven(params, "connect_timeout",
                     std::to_string(std::max(2, ConnectTimeout(target.options))));
  auto probe = std::make_unique<pq::Connection>(params, link.target.display);
  // Binary COPY tuples of identical column types go through undecoded between two of these.
  link.info.binary_copy_pass_through = true;
  link.info.sync_writers = 2;
  link.info.keys_after_load = true;
  link.info.server_row_hash_faster = true;
  link.info.state_schema = target.options.state_schema;
  return std::make_unique<PostgresEndpoint>(std::move(dialect), std::move(link), std::move(params),
                                            target.options.pg_dump, std::move(probe));
}

}  // namespace

// lower() and upper() follow each column's collation, the database's LC_CTYPE for "default";
// a SQL_ASCII database changes the case of ASCII letters only, whatever its locale.
std::string PostgresEndpoint::CaseFolding(const TableName* table) {
  std::vector<SqlSession::Row> rows;
  if (table) {
    rows = catalog().Query(
        "SELECT DISTINCT CASE WHEN c.collname = 'default' THEN d.datctype ELSE "
        "coalesce(c.collctype, c.collname) END, pg_encoding_to_char(d.encoding) FROM "
        "pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation JOIN pg_database d ON "
        "d.datname = current_database() WHERE a.attrelid = (quote_ident(?) || '.' || "
        "quote_ident(?))::regclass AND a.attnum > 0 AND NOT a.attisdropped",
        {table->schema, table->name});
  } else {
    rows = catalog().Query(
        "SELECT datctype, pg_encoding_to_char(encoding) FROM pg_database WHERE datname = "
        "current_database()");
  }
  for (const SqlSession::Row& r : rows) {
    if (r[1] && *r[1] == "SQL_ASCII") return "ASCII letters only (encoding SQL_ASCII)";
    if (!r[0]) continue;
    if (std::string folding = CaseFoldingOf(*r[0]); !folding.empty()) return folding;
  }
  return "";
}

EngineFactory PostgresEngine() {
  EngineFactory factory;
  factory.engine = Engine::kPostgres;
  factory.product = "PostgreSQL";
  factory.schemes = {{"postgresql", "PostgreSQL Unicode", "5432", false},
                     {"postgres", "PostgreSQL Unicode", "5432", false}};
  for (UrlScheme& scheme : factory.schemes) {
    scheme.parameters = pq::UrlParameters();
    scheme.attributes = pq::UrlAttributes;
  }
  factory.product_words = {"postgres"};
  factory.open = OpenPostgres;
  return factory;
}

}  // namespace ferry
