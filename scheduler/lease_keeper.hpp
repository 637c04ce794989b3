// Keeps a shared run's worker alive in the destination: a thread that renews every lease the
// worker holds (its units, its build leases, its own row) a few times per lease, so a long
// unit or an index build never lets them lapse while the process lives. A frozen or cut-off
// process renews nothing: its leases run out and other workers take its units over.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "copier/run_state.hpp"

namespace ferry {

class LeaseKeeper {
 public:
  LeaseKeeper(RunStore& store, std::string run, std::string worker, int64_t lease_ms);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

 private:
  void Renew();

  RunStore& store_;
  const std::string run_;
  const std::string worker_;
  const int64_t lease_ms_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace ferry
