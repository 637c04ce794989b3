// PostgreSQL endpoint: catalog, DDL and type mapping through the dialect on a psqlODBC catalog
// session (an OdbcLink, drivers/odbc); data through libpq, where COPY is far faster than
// psqlODBC's inserts (which it sends as one textual INSERT per row) and than its cursor reads.
// Read and write sessions, and the session that exports the run's snapshot, are libpq
// connections with the dialect's session settings.
#pragma once

#include <memory>
#include <mutex>

#include "drivers/engine.hpp"
#include "drivers/odbc/odbc_endpoint.hpp"
#include "drivers/postgres/libpq_params.hpp"
#include "drivers/postgres/pq_connection.hpp"
#include "drivers/silent_server.hpp"

namespace ferry {

class PostgresEndpoint final : public SqlEndpoint {
 public:
  // `pg_dump`: EndpointOptions::pg_dump; `spare`: the factory's libpq probe, which the first
  // session opened takes over instead of connecting again.
  PostgresEndpoint(std::unique_ptr<Dialect> dialect, OdbcLink link, pq::ConnectParams params,
                   std::string pg_dump, std::unique_ptr<pq::Connection> spare = nullptr);

  std::unique_ptr<ReadSession> OpenReadSession() override;
  std::unique_ptr<WriteSession> OpenWriteSession() override;

  // The schema through pg_dump (drivers/postgres/pg_dump.hpp); objects are created on libpq
  // connections, which take pg_dump's multi-statement entries as they are.
  // A catalog read that timed out waiting for a lock another session holds: Error(kBusy) naming
  // the table and the sessions holding it.
  std::optional<Table> DescribeTable(const TableName& name) override;
  std::optional<SchemaDump> DumpSchema(const SchemaRequest& request) override;
  // From the catalog, on a session of its own (drivers/postgres/pg_types.hpp).
  std::optional<SchemaDump> ColumnTypes(const std::vector<TableName>& tables) override;
  std::unique_ptr<SchemaSession> OpenSchemaSession(const SchemaDump& dump) override;
  std::vector<std::string> UnmetNeeds(const std::vector<CloneNeed>& needs) override;
  std::vector<SequenceState> ReadSequences(const std::vector<TableName>& names) override;
  void SetSequence(const SequenceState& state) override;
  void CreateSequence(const SequenceState& state) override;
  std::vector<TableName> ListSequences(const std::vector<std::string>& schemas) override;
  std::string CaseFolding(const TableName* table) override;
  // The spare libpq session (the one that probed the server) counts as room: the run's next
  // session takes it.
  std::optional<int64_t> SessionHeadroom() override;
  // Foreign keys set aside for a load (postgres_foreign_keys.cpp).
  std::vector<HeldForeignKey> ForeignKeysOn(const std::vector<TableName>& tables) override;
  void DropForeignKey(const HeldForeignKey& key) override;
  void RestoreForeignKey(const HeldForeignKey& key) override;
  bool ServerAnswers(std::chrono::milliseconds timeout) override;
  // Large objects through libpq's large-object calls (drivers/postgres/large_objects.hpp).
  std::unique_ptr<LargeObjectStore> OpenLargeObjects() override;
  std::vector<std::string> LargeObjectColumns(const std::string& schema) override;
  // A catalog read and pg_dump wait --lock-wait at once for a lock another session holds.
  void SetLockWait(int seconds) override;

 protected:
  // A libpq connection, so BeginSnapshot exports the snapshot the COPY readers import.
  std::unique_ptr<SqlSession> OpenSqlSession() override { return OpenLibpq(); }
  std::unique_ptr<SqlSession> ReopenCatalog() override;

 private:
  std::unique_ptr<pq::Connection> OpenLibpq();
  void BoundCatalogLockWaits(SqlSession& session) const;
  Error CatalogLockError(const TableName& name, const Error& e);
  Error ForeignKeyViolation(SqlSession& session, const HeldForeignKey& key);

  OdbcTarget target_;
  pq::ConnectParams params_;
  std::string pg_dump_;
  std::mutex spare_mutex_;
  std::unique_ptr<pq::Connection> spare_;
  // The server's address as the first connection met it, whose connections a silent server's
  // are (drivers/silent_server.hpp).
  ServerAddress server_;
};

// The engine's factory: derives the libpq parameters from the ODBC target and checks that
// libpq can connect with them, so a data path that cannot connect fails before anything is
// planned or written.
EngineFactory PostgresEngine();

}  // namespace ferry
