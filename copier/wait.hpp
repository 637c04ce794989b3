// A wait for another process: an import for the export it follows to write its next unit, an
// export at --max-disk for an import to take files away. The endpoint that waits knows what it
// waits for and how far the other side has come; how often to look, how long to wait without
// progress and a stop request are the scheduler's (scheduler/waiting.cpp), which alone knows
// threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace ferry {

class Wait {
 public:
  virtual ~Wait() = default;
  // Returns when it is time to look again. `progress` is any count that grows while the other
  // side works. False: no progress for the wait's patience (the caller gives up, saying why).
  // Throws Error(kInterrupted) when the run is asked to stop.
  virtual bool Next(uint64_t progress) = 0;
  // Seconds since the wait began.
  virtual double Waited() const = 0;
};

// Starts a wait that gives up after `patience` seconds without progress (0: never gives up).
using WaitPolicy = std::function<std::unique_ptr<Wait>(double patience)>;

}  // namespace ferry
