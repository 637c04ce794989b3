#include "scheduler/sync_purge.hpp"

#include "copier/error.hpp"

namespace ferry {

void LogPurger::Purge(const std::string& name, const Table& table, const LogConsumer& consumer) {
  std::lock_guard lock(mutex_);
  queue_.push_back(Request{name, &table, consumer});
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  cv_.notify_all();
}

std::map<std::string, std::string> LogPurger::Finish() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  return warnings_;
}

void LogPurger::Loop() {
  for (;;) {
    Request request;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;
      request = std::move(queue_.front());
      queue_.pop_front();
    }
    std::string warning;
    try {
      if (!tracker_) tracker_ = source_.OpenChangeTracker();
      tracker_->Purge(*request.table, request.consumer);
    } catch (const std::exception& e) {
      warning = "the change log was not purged: " + std::string(e.what());
      tracker_.reset();  // a lost session is not used again
    }
    std::lock_guard lock(mutex_);
    if (warning.empty()) {
      warnings_.erase(request.name);  // a later purge of the table went through
    } else {
      warnings_[request.name] = std::move(warning);
    }
  }
}

}  // namespace ferry
