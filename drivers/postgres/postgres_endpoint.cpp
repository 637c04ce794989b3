#include "drivers/postgres/postgres_endpoint.hpp"

#include "drivers/postgres/copy_reader.hpp"
#include "drivers/postgres/copy_writer.hpp"
#include "drivers/postgres/pq_connection.hpp"

namespace ferry {

namespace {

class CopyReadSession final : public ReadSession {
 public:
  CopyReadSession(std::unique_ptr<SqlSession> connection, const Dialect& dialect)
      : connection_(std::move(connection)), dialect_(dialect) {}

  std::unique_ptr<RowReader> Read(const ReadRequest& request) override {
    return pg::OpenCopyReader(static_cast<pq::Connection&>(*connection_), dialect_, request);
  }
  ServerDigest Digest(const DigestRequest& request) override {
    return RunDigest(*connection_, dialect_, request);
  }

 private:
  std::unique_ptr<SqlSession> connection_;
  const Dialect& dialect_;
};

class CopyWriteSession final : public WriteSession {
 public:
  CopyWriteSession(std::unique_ptr<SqlSession> connection, const Dialect& dialect)
      : connection_(std::move(connection)), dialect_(dialect) {}

  std::unique_ptr<RowWriter> Write(const WriteRequest& request) override {
    return pg::OpenCopyWriter(static_cast<pq::Connection&>(*connection_), dialect_, request);
  }

 private:
  std::unique_ptr<SqlSession> connection_;
  const Dialect& dialect_;
};

}  // namespace

PostgresEndpoint::PostgresEndpoint(OdbcEndpointParts parts, pq::ConnectParams params)
    : OdbcEndpoint(std::move(parts)), params_(std::move(params)) {}

std::unique_ptr<SqlSession> PostgresEndpoint::OpenSqlSession() {
  auto connection = std::make_unique<pq::Connection>(params_, target().display);
  dialect().SetUpSession(*connection, target().is_source);
  return connection;
}

std::unique_ptr<ReadSession> PostgresEndpoint::OpenReadSession() {
  std::unique_ptr<SqlSession> connection = OpenSqlSession();
  JoinSnapshot(*connection);
  return std::make_unique<CopyReadSession>(std::move(connection), dialect());
}

std::unique_ptr<WriteSession> PostgresEndpoint::OpenWriteSession() {
  std::unique_ptr<SqlSession> connection = OpenSqlSession();
  // A unit's commit need not wait for its WAL to reach the disk: a server crash can lose only
  // whole transactions, and a unit's rows and its "done" mark are one transaction, so a lost
  // unit is copied again on --resume. What makes the run durable is the run state's own
  // synchronous commits (a table done, the run finished), which flush all WAL before them.
  // The writer then goes on to its next unit while the WAL writer flushes this one's.
  connection->Execute("SET synchronous_commit = off");
  return std::make_unique<CopyWriteSession>(std::move(connection), dialect());
}

std::unique_ptr<Endpoint> MakePostgresEndpoint(OdbcEndpointParts parts) {
  pq::ConnectParams params = pq::LibpqParams(parts.target.odbc);
  pq::Connection probe(params, parts.target.display);
  // Binary COPY tuples of identical column types go through undecoded between two of these.
  parts.info.binary_copy_pass_through = true;
  parts.info.keys_after_load = true;
  parts.info.server_row_hash_faster = true;
  return std::make_unique<PostgresEndpoint>(std::move(parts), std::move(params));
}

}  // namespace ferry
