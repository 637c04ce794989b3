// The ODBC endpoint: catalog and DDL through the dialect, reads with block cursors, writes with
// parameter arrays, one connection per session. Native bulk paths for an engine derive from it
// and replace the sessions where the server's own protocol is faster.
#pragma once

#include <memory>
#include <string>

#include "drivers/odbc/connection.hpp"
#include "drivers/open.hpp"
#include "drivers/sql_endpoint.hpp"

namespace ferry {

// Where an ODBC endpoint connects: the full connection string (may hold a password) and
// how to show it, and what the user chose about it.
struct OdbcTarget {
  std::string odbc;
  std::string display;
  bool is_source = true;
  EndpointOptions options;
};

// Everything an ODBC endpoint is made of, gathered by OpenEndpoint.
struct OdbcEndpointParts {
  OdbcTarget target;
  std::unique_ptr<Dialect> dialect;
  std::unique_ptr<odbc::Connection> catalog;
  EndpointInfo info;
  bool can_position = false;      // SQLSetPos + SQLGetData work inside a rowset
  bool parameter_arrays = false;  // the driver executes parameter arrays natively
};

class OdbcEndpoint : public SqlEndpoint {
 public:
  explicit OdbcEndpoint(OdbcEndpointParts parts);

  std::unique_ptr<ReadSession> OpenReadSession() override;
  std::unique_ptr<WriteSession> OpenWriteSession() override;

 protected:
  // A session for snapshots and the like; derived endpoints may carry it by other means.
  std::unique_ptr<SqlSession> OpenSqlSession() override;
  const OdbcTarget& target() const { return target_; }

 private:
  // The ODBC connection this endpoint's own read and write sessions use, whatever
  // OpenSqlSession is overridden to return.
  std::unique_ptr<odbc::Connection> OpenOdbcConnection();

  OdbcTarget target_;
  bool can_position_;
  bool parameter_arrays_;
};

}  // namespace ferry
