#include "scheduler/waiting.hpp"

#include <chrono>

#include "copier/error.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

namespace {

using Clock = std::chrono::steady_clock;

class PolledWait final : public Wait {
 public:
  explicit PolledWait(double patience) : patience_(patience) {}

  bool Next(uint64_t progress) override {
    const Clock::time_point now = Clock::now();
    if (!seen_ || progress != progress_) {
      seen_ = true;
      progress_ = progress;
      moved_at_ = now;
    } else if (patience_ > 0 && Seconds(moved_at_, now) >= patience_) {
      return false;
    }
    PauseUnlessStopped(kWaitLookSeconds);
    if (StopRequested()) throw Error(ErrorCode::kInterrupted, "stopped while waiting");
    return true;
  }

  double Waited() const override { return Seconds(started_, Clock::now()); }

 private:
  static double Seconds(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
  }

  double patience_;
  Clock::time_point started_ = Clock::now();
  Clock::time_point moved_at_ = started_;
  uint64_t progress_ = 0;
  bool seen_ = false;
};

}  // namespace

std::unique_ptr<Wait> StartWait(double patience) {
  return std::make_unique<PolledWait>(patience);
}

}  // namespace ferry
