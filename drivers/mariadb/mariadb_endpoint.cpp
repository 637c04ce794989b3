#include "drivers/mariadb/mariadb_endpoint.hpp"

#include "copier/error.hpp"
#include "drivers/mariadb/mariadb_client.hpp"
#include "drivers/mariadb/mariadb_params.hpp"
#include "drivers/mariadb/mariadb_reader.hpp"
#include "drivers/mariadb/mariadb_writer.hpp"

namespace ferry {

namespace {

using mariadb::Connection;
using mariadb::ConnectParams;
using mariadb::Purpose;

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

 private:
  std::unique_ptr<Connection> connection_;
  const Dialect& dialect_;
};

class MariaDbWriteSession final : public WriteSession {
 public:
  MariaDbWriteSession(std::unique_ptr<Connection> connection, const Dialect& dialect)
      : connection_(std::move(connection)), dialect_(dialect) {
    mariadb::ServeLoadDataFromMemory(*connection_, *source_);
  }

  std::unique_ptr<RowWriter> Write(const WriteRequest& request) override {
    if (request.pass_through) {
      throw Error(ErrorCode::kInternal, "MariaDB writers cannot take undecoded rows");
    }
    return mariadb::MakeLoadDataWriter(*connection_, *source_, dialect_, request);
  }

 private:
  std::unique_ptr<Connection> connection_;
  // Allocated apart so its address, which the connection's handler keeps, never moves.
  std::unique_ptr<mariadb::InfileSource> source_ = std::make_unique<mariadb::InfileSource>();
  const Dialect& dialect_;
};

class MariaDbEndpoint final : public OdbcEndpoint {
 public:
  MariaDbEndpoint(OdbcEndpointParts parts, ConnectParams params)
      : OdbcEndpoint(std::move(parts)), params_(std::move(params)) {
    // Fail now, with the connection named, rather than in the first reader or writer.
    Native(Purpose::kCatalog);
    // LOAD DATA LOCAL needs the server's consent; without it parameter arrays still work.
    auto rows = catalog().Query("SELECT @@GLOBAL.local_infile");
    local_infile_ = !rows.empty() && rows[0][0] && *rows[0][0] != "0";
  }

  std::unique_ptr<ReadSession> OpenReadSession() override {
    std::unique_ptr<Connection> connection = Native(Purpose::kRead);
    dialect().SetUpSession(*connection, target().is_source);
    JoinSnapshot(*connection);
    return std::make_unique<MariaDbReadSession>(std::move(connection), dialect());
  }

  std::unique_ptr<WriteSession> OpenWriteSession() override {
    if (!local_infile_) return OdbcEndpoint::OpenWriteSession();
    std::unique_ptr<Connection> connection = Native(Purpose::kWrite);
    dialect().SetUpSession(*connection, target().is_source);
    return std::make_unique<MariaDbWriteSession>(std::move(connection), dialect());
  }

 protected:
  // Snapshot coordinators and other plain sessions use libmariadb too.
  std::unique_ptr<SqlSession> OpenSqlSession() override {
    std::unique_ptr<Connection> connection = Native(Purpose::kCatalog);
    dialect().SetUpSession(*connection, target().is_source);
    return connection;
  }

 private:
  std::unique_ptr<Connection> Native(Purpose purpose) const {
    return std::make_unique<Connection>(params_, target().display, purpose);
  }

  ConnectParams params_;
  bool local_infile_ = false;
};

}  // namespace

std::unique_ptr<Endpoint> MakeMariaDbEndpoint(OdbcEndpointParts parts) {
  std::string why;
  std::optional<ConnectParams> params = mariadb::ParamsFromOdbc(parts.target.odbc, &why);
  if (!params) return std::make_unique<OdbcEndpoint>(std::move(parts));
  return std::make_unique<MariaDbEndpoint>(std::move(parts), std::move(*params));
}

}  // namespace ferry
