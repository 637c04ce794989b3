#include "drivers/mariadb/mariadb_endpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "copier/error.hpp"
#include "drivers/mariadb/bulk_insert_writer.hpp"
#include "drivers/mariadb/load_data_writer.hpp"
#include "drivers/mariadb/mariadb_client.hpp"
#include "drivers/mariadb/mariadb_params.hpp"
#include "drivers/mariadb/streaming_reader.hpp"

namespace ferry {

namespace {

using mariadb::Connection;
using mariadb::ConnectParams;
using mariadb::Purpose;

// How a destination is written, fastest first: bulk prepared inserts where the server runs them
// (MariaDB), LOAD DATA LOCAL where it allows it (MySQL), ODBC parameter arrays otherwise.
enum class WriteMethod { kBulkInsert, kLoadData, kOdbc };

// Requests of a bulk insert stay well below max_allowed_packet (16 MiB by default), and large
// enough that the round trip per request is noise.
constexpr size_t kBulkRequestBytes = 8u << 20;

// FERRY_MARIADB_WRITE_METHOD=bulk|load-data|odbc picks a method for measurements; it must be
// one the server supports.
std::optional<WriteMethod> RequestedWriteMethod() {
  const char* text = std::getenv("FERRY_MARIADB_WRITE_METHOD");
  if (!text || !*text) return std::nullopt;
  const std::string name = text;
  if (name == "bulk") return WriteMethod::kBulkInsert;
  if (name == "load-data") return WriteMethod::kLoadData;
  if (name == "odbc") return WriteMethod::kOdbc;
  throw Error(
      ErrorCode::kUsage,
      fmt::format("FERRY_MARIADB_WRITE_METHOD is '{}'; it may be bulk, load-data or odbc", name));
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
};

class MariaDbEndpoint final : public OdbcEndpoint {
 public:
  MariaDbEndpoint(OdbcEndpointParts parts, ConnectParams params)
      : OdbcEndpoint(std::move(parts)), params_(std::move(params)) {
    // Connect now, so a failure names the connection before any reader or writer starts, and
    // learn what the server allows.
    std::unique_ptr<Connection> probe = Native(Purpose::kCatalog);
    auto rows = probe->Query("SELECT @@GLOBAL.local_infile, @@GLOBAL.max_allowed_packet");
    const bool local_infile = !rows.empty() && rows[0][0] && *rows[0][0] != "0";
    const size_t max_packet = rows.empty() || !rows[0][1] ? 0 : std::stoull(*rows[0][1]);
    max_request_bytes_ = std::min(kBulkRequestBytes, max_packet / 2);
    const bool bulk = mariadb::SupportsBulkInsert(*probe);
    write_method_ = bulk           ? WriteMethod::kBulkInsert
                    : local_infile ? WriteMethod::kLoadData
                                   : WriteMethod::kOdbc;
    if (std::optional<WriteMethod> requested = RequestedWriteMethod()) {
      if ((*requested == WriteMethod::kBulkInsert && !bulk) ||
          (*requested == WriteMethod::kLoadData && !local_infile)) {
        throw Error(ErrorCode::kUsage,
                    fmt::format("FERRY_MARIADB_WRITE_METHOD asks for a method {} does not allow "
                                "(bulk inserts need MariaDB 10.2 or later, LOAD DATA LOCAL needs "
                                "local_infile=ON)",
                                target().display));
      }
      write_method_ = *requested;
    }
  }

  // OpenSqlSession stays ODBC's: OdbcEndpoint's own sessions (the ODBC write fallback) take
  // what it returns for an ODBC connection. Readers join the snapshot on their libmariadb
  // connection directly; MariaDB has no snapshot to export, so the coordinator session
  // BeginSnapshot opens is closed at once whatever carries it.
  std::unique_ptr<ReadSession> OpenReadSession() override {
    std::unique_ptr<Connection> connection = Native(Purpose::kRead);
    dialect().SetUpSession(*connection, target().is_source);
    // A streaming result holds the server's send until ferry reads on; when writers fall behind
    // and the batch pool is full, that can take longer than net_write_timeout (60 s), after
    // which the server would drop the connection.
    connection->Execute("SET SESSION net_write_timeout = 86400");
    JoinSnapshot(*connection);
    return std::make_unique<MariaDbReadSession>(std::move(connection), dialect());
  }

  std::unique_ptr<WriteSession> OpenWriteSession() override {
    if (write_method_ == WriteMethod::kOdbc) return OdbcEndpoint::OpenWriteSession();
    std::unique_ptr<Connection> connection = Native(Purpose::kWrite);
    dialect().SetUpSession(*connection, target().is_source);
    return std::make_unique<MariaDbWriteSession>(std::move(connection), dialect(), write_method_,
                                                 max_request_bytes_);
  }

 private:
  std::unique_ptr<Connection> Native(Purpose purpose) const {
    return std::make_unique<Connection>(params_, target().display, purpose);
  }

  ConnectParams params_;
  WriteMethod write_method_ = WriteMethod::kOdbc;
  size_t max_request_bytes_ = kBulkRequestBytes;
};

}  // namespace

std::unique_ptr<Endpoint> MakeMariaDbEndpoint(OdbcEndpointParts parts) {
  std::string why;
  std::optional<ConnectParams> params = mariadb::ParamsFromOdbc(parts.target.odbc, &why);
  if (!params) return std::make_unique<OdbcEndpoint>(std::move(parts));
  return std::make_unique<MariaDbEndpoint>(std::move(parts), std::move(*params));
}

}  // namespace ferry
