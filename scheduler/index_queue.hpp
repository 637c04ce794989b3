// A bounded lock-free queue of indices (Boost.Lockfree) with a doorbell: a consumer with
// nothing to take sleeps in the kernel (a futex, through std::atomic::wait) instead of spinning
// on cores the databases need. The pipeline's queues carry pool slot indices with it.
#pragma once

#include <atomic>
#include <boost/lockfree/queue.hpp>
#include <chrono>
#include <cstdint>
#include <thread>

namespace ferry {

// A lock-free queue of indices with a doorbell, so a consumer with nothing to do sleeps in
// the kernel (futex) instead of spinning on cores the databases need.
class IndexQueue {
 public:
  explicit IndexQueue(size_t capacity) : queue_(capacity) {}

  void Push(uint32_t value) {
    while (!queue_.push(value)) std::this_thread::yield();  // fixed capacity: never hit
    bell_.fetch_add(1, std::memory_order_release);
    bell_.notify_all();
  }

  // Waits for an index; false when `stop` becomes true first.
  bool Pop(uint32_t& out, const std::atomic<bool>& stop, double* waited = nullptr) {
    using Clock = std::chrono::steady_clock;
    Clock::time_point start;
    bool timing = false;
    for (;;) {
      uint32_t seen = bell_.load(std::memory_order_acquire);
      if (queue_.pop(out)) {
        if (timing && waited) {
          *waited += std::chrono::duration<double>(Clock::now() - start).count();
        }
        return true;
      }
      if (stop.load(std::memory_order_acquire)) return false;
      if (!timing) {
        start = Clock::now();
        timing = true;
      }
      bell_.wait(seen, std::memory_order_acquire);
    }
  }

  bool TryPop(uint32_t& out) { return queue_.pop(out); }

  // Wakes every waiter, to look at a stop flag.
  void Ring() {
    bell_.fetch_add(1, std::memory_order_release);
    bell_.notify_all();
  }

 private:
  boost::lockfree::queue<uint32_t, boost::lockfree::fixed_sized<true>> queue_;
  std::atomic<uint32_t> bell_{0};
};

}  // namespace ferry
