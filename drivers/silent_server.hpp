// A server that stops answering without closing its connections: a cable pulled, a firewall
// that drops packets, a proxy or a server process that hangs while its host's kernel still
// acknowledges. TCP keepalives notice the first two (drivers/postgres/libpq_params.cpp,
// drivers/mariadb/mariadb_client.cpp); nothing at the TCP level notices the others, and a long
// statement (an index build) looks the same from the client as a silent server. What tells
// them apart is a new connection: a busy server still logs it in and answers a trivial query.
// An endpoint that finds its server silent that way cuts every connection this process holds
// to it, so each call waiting on one fails as a lost connection, and is retried as one.
#pragma once

#include <sys/socket.h>

namespace ferry {

// Where a connection leads: the server's address (TCP or a Unix socket) as the kernel sees it.
struct ServerAddress {
  sockaddr_storage address{};
  socklen_t length = 0;

  bool known() const { return length > 0; }
};

// The peer of socket `fd`; unknown when `fd` is not a connected socket.
ServerAddress PeerOf(int fd);

// Shuts down, both ways, every socket of this process connected to `server` (whatever library
// made it: libpq, libmariadb, an ODBC driver): each call blocked on one returns as the server
// having closed it, and the library that owns the socket closes it as a lost connection.
// Returns how many it cut.
int CutConnectionsTo(const ServerAddress& server);

}  // namespace ferry
