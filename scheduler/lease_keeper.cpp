#include "scheduler/lease_keeper.hpp"

#include <chrono>

#include "copier/error.hpp"

namespace ferry {

LeaseKeeper::LeaseKeeper(RunStore& store, std::string run, std::string worker, int64_t lease_ms)
    : store_(store),
      run_(std::move(run)),
      worker_(std::move(worker)),
      lease_ms_(lease_ms),
      thread_([this] { Renew(); }) {}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard guard(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LeaseKeeper::Renew() {
  // Three renewals per lease: one lost to a slow or restarting destination still leaves two.
  const auto every = std::chrono::milliseconds(std::max<int64_t>(lease_ms_ / 3, 100));
  std::unique_lock guard(mutex_);
  for (;;) {
    wake_.wait_for(guard, every);
    if (done_) return;
    guard.unlock();
    try {
      store_.RenewLeases(run_, worker_, lease_ms_);
    } catch (const std::exception&) {
      // The next renewal tries again; a worker that cannot renew loses its units to others,
      // and its commits are refused (the fencing check), so nothing lands twice.
    }
    guard.lock();
  }
}

}  // namespace ferry
