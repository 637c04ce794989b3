// ODBC as a carrier: the catalog session of every server engine, and the endpoint of a server
// ferry has no native data path for. Engine endpoints (drivers/postgres, drivers/mariadb) *use*
// what is here: an OdbcLink for their catalog session, and the ODBC read and write sessions
// where their own protocol cannot be used.
#pragma once

#include <memory>
#include <string>

#include "drivers/odbc/connection.hpp"
#include "drivers/sql/sql_endpoint.hpp"

namespace ferry {

// Where an ODBC session connects (the full connection string, which may hold a password, and
// how to show it) and what its driver can do, learned once when the endpoint opens.
struct OdbcTarget {
  std::string odbc;
  std::string display;
  bool is_source = true;
  bool can_position = false;      // SQLSetPos + SQLGetData work inside a rowset
  bool parameter_arrays = false;  // the driver executes parameter arrays natively
  int login_timeout = odbc::Connection::kDefaultLoginTimeout;  // seconds
};

// An engine's ODBC side, connected: the target, the catalog session (with the dialect's
// session settings) and the endpoint info the server reports (product, version, display).
struct OdbcLink {
  OdbcTarget target;
  std::unique_ptr<odbc::Connection> catalog;
  EndpointInfo info;
};

// The product an ODBC connection reports (SQL_DBMS_NAME), and the database it names
// (SQL_DATABASE_NAME: a file for SQLite's driver).
std::string DbmsName(const odbc::Connection& connection);
std::string DatabaseName(const odbc::Connection& connection);

// Adds the dialect's connection attributes to `odbc` and connects the catalog session, reusing
// `probe` when the attributes change nothing (psqlODBC reads them only at connect time); without
// a probe (a URL named the engine) it connects.
// `login_timeout`: seconds, as EndpointOptions::network_timeout gives them (ConnectTimeout).
OdbcLink ConnectOdbc(std::unique_ptr<odbc::Connection> probe, const std::string& odbc,
                     const std::string& display, bool is_source, const Dialect& dialect,
                     int login_timeout = odbc::Connection::kDefaultLoginTimeout);

// A new connection to `target` with the dialect's session settings.
std::unique_ptr<odbc::Connection> OpenOdbcConnection(const OdbcTarget& target,
                                                     const Dialect& dialect);
// Read sessions over block cursors and write sessions over parameter arrays, one connection
// each; `dialect` must outlive them.
std::unique_ptr<ReadSession> MakeOdbcReadSession(std::unique_ptr<odbc::Connection> connection,
                                                 const Dialect& dialect, bool can_position);
std::unique_ptr<WriteSession> MakeOdbcWriteSession(std::unique_ptr<odbc::Connection> connection,
                                                   const Dialect& dialect, bool parameter_arrays);

// A server reached through ODBC alone: catalog, DDL, reads and writes all through its driver.
class OdbcEndpoint final : public SqlEndpoint {
 public:
  OdbcEndpoint(std::unique_ptr<Dialect> dialect, OdbcLink link);

  std::unique_ptr<ReadSession> OpenReadSession() override;
  std::unique_ptr<WriteSession> OpenWriteSession() override;
  HeldWhole LongValuesHeldWhole(const Table& table, int column, bool as_source) override;

 protected:
  std::unique_ptr<SqlSession> OpenSqlSession() override;
  std::unique_ptr<SqlSession> ReopenCatalog() override { return OpenSqlSession(); }

 private:
  OdbcTarget target_;
};

}  // namespace ferry
