// A process-wide request to stop copying, set from a signal handler (SIGINT, SIGTERM): the
// engine stops handing out work, rolls back the units in flight and returns, so the run can
// be recorded as interrupted and resumed later.
#pragma once

namespace ferry {

// Async-signal-safe.
void RequestStop() noexcept;
bool StopRequested() noexcept;
// For tests and long-lived processes that run again after a stop.
void ClearStopRequest() noexcept;
// Sleeps `seconds`, waking within a tenth of a second of a stop request.
void PauseUnlessStopped(double seconds);

}  // namespace ferry
