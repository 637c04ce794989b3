#include "copier/run_state.hpp"

namespace ferry {

const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning: return "running";
    case RunStatus::kDone: return "done";
    case RunStatus::kFailed: return "failed";
    case RunStatus::kInterrupted: return "interrupted";
  }
  return "running";
}

std::optional<RunStatus> ParseRunStatus(const std::string& text) {
  for (RunStatus s : {RunStatus::kRunning, RunStatus::kDone, RunStatus::kFailed,
                      RunStatus::kInterrupted}) {
    if (text == RunStatusName(s)) return s;
  }
  return std::nullopt;
}

}  // namespace ferry
