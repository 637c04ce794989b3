// Keeps a command from waiting for good on a server gone silent (drivers/silent_server.hpp):
// a thread that asks each end, every --network-timeout, whether its server answers a new
// connection within that time. An end whose server does not cuts its own connections to it,
// so the calls waiting on them fail as lost connections and are retried as after a restart;
// a silence that outlasts those retries ends the command with the connection error. A long
// statement is never cut: its server still answers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace ferry {

class Endpoint;

class ServerWatch {
 public:
  // Watches `ends` (null entries ignored); a `timeout` of 0 watches nothing.
  ServerWatch(std::vector<Endpoint*> ends, std::chrono::milliseconds timeout);
  ~ServerWatch();
  ServerWatch(const ServerWatch&) = delete;
  ServerWatch& operator=(const ServerWatch&) = delete;

 private:
  void Watch();

  std::vector<Endpoint*> ends_;
  const std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

// `seconds` of --network-timeout as the watch takes it.
std::chrono::milliseconds NetworkTimeout(double seconds);

}  // namespace ferry
