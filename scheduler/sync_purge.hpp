// A sync's change-log purges, on a thread of their own with a change tracker (and so a source
// session) of their own: a purge deletes the log entries every destination applied, which at the
// source costs about what reading them did, and nothing after it in the sync needs it done (the
// next table's sync, the next round's reads above the purged entries, the sync's record), so
// they need not wait for it. The sync waits for the last purge before it returns.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "copier/change_tracking.hpp"
#include "copier/endpoint.hpp"

namespace ferry {

class LogPurger {
 public:
  explicit LogPurger(Endpoint& source) : source_(source) {}
  ~LogPurger() { Finish(); }
  LogPurger(const LogPurger&) = delete;
  LogPurger& operator=(const LogPurger&) = delete;

  // Purges `table`'s log below what `consumer` applied, after the purges asked before it.
  // `table` must outlive the purger; `name` names it in Finish's warnings.
  void Purge(const std::string& name, const Table& table, const LogConsumer& consumer);

  // Waits for every purge asked; the warnings of those that failed (a read-only source, a lost
  // connection: the entries stay, below every applied sequence, for the next purge), by name.
  std::map<std::string, std::string> Finish();

 private:
  struct Request {
    std::string name;
    const Table* table;
    LogConsumer consumer;
  };
  void Loop();

  Endpoint& source_;
  std::unique_ptr<ChangeTracker> tracker_;  // the purge thread's
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  bool closing_ = false;
  std::map<std::string, std::string> warnings_;
  std::thread thread_;
};

}  // namespace ferry
