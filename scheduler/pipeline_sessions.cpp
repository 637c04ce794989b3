// Readers' and writers' sessions (copy_engine.hpp): a server that refuses one more connection
// while the run's other sessions work is at a connection limit (PostgreSQL's max_connections or
// a role's CONNECTION LIMIT, MariaDB's max_connections or max_user_connections), not down. The
// run then goes on with the sessions it has instead of failing every unit after
// --reconnect-wait; the refused workers keep trying, and join when a connection frees up.
#include <algorithm>
#include <thread>

#include "copier/backoff.hpp"
#include "scheduler/copy_engine.hpp"

namespace ferry::copy_engine {

namespace {

// What the server said, without ferry's advice and context.
std::string ServerWords(const Error& e) {
  return e.diagnostics().empty() ? e.message() : e.diagnostics().front().message;
}

}  // namespace

std::unique_ptr<ReadSession> CopyEngine::OpenReader(int reader) {
  return OpenSession<ReadSession>(
      Side::kReader, reader, [this] { return source_.OpenReadSession(); },
      [this] {
        // Nothing left to read that a reader with a session would not take.
        std::lock_guard lock(retry_mutex_);
        return stop_ || (next_job_.load() >= jobs_.size() && retries_.empty());
      });
}

std::unique_ptr<WriteSession> CopyEngine::OpenWriter(int writer) {
  return OpenSession<WriteSession>(
      Side::kWriter, writer, [this] { return destination_.OpenWriteSession(); },
      [this] { return stop_ || writers_end_.load(); });
}

template <typename Session>
std::unique_ptr<Session> CopyEngine::OpenSession(
    Side side, int index, const std::function<std::unique_ptr<Session>()>& open,
    const std::function<bool()>& work_done) {
  std::atomic<int>& open_now = sessions_open_[side == Side::kReader ? 0 : 1];
  const char* const worker = side == Side::kReader ? "reader" : "writer";
  const int workers = side == Side::kReader ? readers_ : writers_;
  const auto patience =
      std::chrono::milliseconds(int64_t(std::max(options_.reconnect_wait, 0.0) * 1000));
  Clock::time_point give_up = Clock::now() + patience;
  bool aside = false;
  for (int attempt = 1;; ++attempt) {
    try {
      std::unique_ptr<Session> session = open();
      const int now_open = open_now.fetch_add(1) + 1;
      if (aside) {
        Note(fmt::format("{} {} of {} connected after all: {} {}{} at work", worker, index + 1,
                         workers, now_open, worker, now_open == 1 ? "" : "s"));
      }
      return session;
    } catch (const Error& e) {
      if (!IsTransient(e) || stop_) throw;
      if (open_now.load() == 0) {
        // No session of this side works: the server may be restarting; wait for it as long
        // as --reconnect-wait allows, counted from when the last session of this side went.
        if (Clock::now() >= give_up) throw;
      } else {
        give_up = Clock::now() + patience;
        if (!aside) {
          aside = true;
          const int others = open_now.load();
          Note(fmt::format(
              "{} {} of {} stands aside: the {} refused its connection ({}) while {} other {}{} "
              "had theirs; the run goes on without it, and it tries again every few seconds",
              worker, index + 1, workers, side == Side::kReader ? "source" : "destination",
              ServerWords(e), others, worker, others == 1 ? "" : "s"));
        }
      }
    }
    const auto until = Clock::now() + std::min<std::chrono::milliseconds>(
                                          BackoffDelay(std::chrono::milliseconds(250), attempt),
                                          std::chrono::seconds(4));
    while (Clock::now() < until) {
      if (aside && work_done()) return nullptr;
      if (stop_) return nullptr;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace ferry::copy_engine
