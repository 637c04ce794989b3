// Test support: a TCP proxy between ferry and a database server that forwards bytes both ways
// (a thread per connection) and can lose a reply: told what a statement contains, it drops the
// connection right after forwarding a client query message holding it (a PostgreSQL simple
// Query 'Q', a MariaDB COM_QUERY or COM_STMT_PREPARE sent with its execution), so the server
// runs it and the client never hears back. That is a lost COMMIT reply: the server committed, the
// client saw a broken connection. It can also go silent: stop forwarding either way while
// keeping every connection open, as a firewall dropping packets or a hung proxy looks to both
// ends (connections made meanwhile are accepted and get nothing).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/test_database.hpp"

namespace ferry::test {

class TcpProxy {
 public:
  // Listens on a free port of 127.0.0.1 and forwards to 127.0.0.1:`target_port`.
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  // `db`'s URL with the port replaced by the proxy's.
  std::string Url(const TestDatabase& db) const;

  // Drops connections after forwarding a query whose text contains every one of `needles`:
  // skips the first `skip` such queries, then drops at the next `times` (and forwards the
  // rest).
  void DropAfter(std::vector<std::string> needles, int skip, int times);
  // How many connections it dropped that way.
  int drops() const { return drops_.load(); }
  // The server going away for a while, as a restart looks to its clients: every open
  // connection is cut now (the server rolls back what they had under way), and connections made
  // during the next `length` are closed as soon as they are accepted.
  void Outage(std::chrono::milliseconds length);
  // The same outage, started when a query holding every one of `needles` passes (after `skip`
  // such queries): the fault meets the program at a known step, however fast it runs.
  void OutageAfter(std::vector<std::string> needles, int skip, std::chrono::milliseconds length);
  // How many outages started that way.
  int outages() const { return outages_.load(); }
  // Returns once the server is back (no outage under way).
  void WaitUntilBack();
  // Forwards nothing either way for `length`, every connection left open; bytes held meanwhile
  // (in the sockets' buffers) go on afterwards.
  void Silence(std::chrono::milliseconds length);
  // The same silence, started when a query holding every one of `needles` has been forwarded
  // (after `skip` such queries): the server runs it, its reply waits.
  void SilenceAfter(std::vector<std::string> needles, int skip, std::chrono::milliseconds length);
  // Ends a silence now.
  void Speak();
  // How many silences started on a query.
  int silences() const { return silences_.load(); }
  bool silent();

 private:
  void AcceptLoop();
  void Serve(int client);
  // Whether `data` holds a query message starting with the statement to drop after (and the
  // drop is due).
  bool ShouldDrop(const char* data, size_t size);

  int listener_ = -1;
  int port_ = 0;
  int target_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> workers_;
  std::vector<int> sockets_;
  std::vector<std::string> needles_;
  int skip_ = 0;
  int times_ = 0;
  std::atomic<int> drops_{0};
  std::chrono::milliseconds outage_length_{0};  // under mutex_; 0: a match drops one connection
  std::atomic<int> outages_{0};
  std::chrono::steady_clock::time_point outage_until_;  // under mutex_
  bool silence_on_match_ = false;                       // under mutex_
  std::atomic<int> silences_{0};
  std::chrono::steady_clock::time_point silent_until_;  // under mutex_
};

// The server port of `db` (PostgreSQL or MariaDB).
int ServerPort(Db db);

}  // namespace ferry::test
