#include "scheduler/server_watch.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "copier/endpoint.hpp"

namespace ferry {

ServerWatch::ServerWatch(std::vector<Endpoint*> ends, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  for (Endpoint* end : ends) {
    if (end) ends_.push_back(end);
  }
  if (timeout_.count() > 0 && !ends_.empty()) thread_ = std::thread([this] { Watch(); });
}

ServerWatch::~ServerWatch() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ServerWatch::Watch() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (wake_.wait_for(lock, timeout_, [this] { return done_; })) return;
    lock.unlock();
    for (Endpoint* end : ends_) {
      try {
        if (!end->ServerAnswers(timeout_)) {
          fmt::print(stderr,
                     "ferry: warning: {} did not answer a new connection within {:g} s "
                     "(--network-timeout): the server or the network to it is silent; its "
                     "connections were cut and are opened again as after a lost connection\n",
                     end->info().display, double(timeout_.count()) / 1000);
        }
      } catch (...) {
        // A probe that cannot even be tried says nothing about the server.
      }
    }
    lock.lock();
  }
}

std::chrono::milliseconds NetworkTimeout(double seconds) {
  return std::chrono::milliseconds(int64_t(seconds * 1000));
}

}  // namespace ferry
