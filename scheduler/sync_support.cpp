#include "scheduler/sync_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "copier/log_key_checks.hpp"

namespace ferry::sync {

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

PartitionOptions WholeTables() {
  PartitionOptions p;
  p.small_table_rows = INT64_MAX;
  p.small_table_bytes = INT64_MAX;
  return p;
}

SyncReport BusyReport() {
  SyncReport report;
  report.busy = true;
  return report;
}

LockedRunState LockRunState(Endpoint& destination) {
  LockedRunState state{destination.OpenRunStore(kDefaultStatePrefix), nullptr};
  state.store->Prepare();
  state.lock = state.store->TryLock();
  return state;
}

TrackedPosition ParsePosition(const std::string& text) {
  TrackedPosition p;
  try {
    const size_t slash = text.find('/');
    if (slash == std::string::npos) {
      p.applied = text.empty() ? 0 : std::stoll(text);
    } else {
      p.generation = std::stoll(text.substr(0, slash));
      p.applied = std::stoll(text.substr(slash + 1));
      if (const size_t gaps = text.find(" gaps "); gaps != std::string::npos) {
        p.gaps = ParseGaps(text.substr(gaps + 6));
      } else if (const size_t from = text.find(" export "); from != std::string::npos) {
        p.export_consumer = text.substr(from + 8);
      }
    }
  } catch (const std::exception&) {
    return TrackedPosition{};
  }
  return p;
}

std::string FormatPosition(int64_t generation, int64_t applied, const std::vector<LogGap>& gaps) {
  if (gaps.empty()) return fmt::format("{}/{}", generation, applied);
  return fmt::format("{}/{} gaps {}", generation, applied, FormatGaps(gaps));
}

std::string CopyAgainAdvice(const TableCopyPlan& copy) {
  return fmt::format(
      "copy it again (ferry run --truncate --include '{}' with the same source and "
      "destination); the next sync continues from that copy",
      DisplayName(copy.source.name));
}

bool CopiedSince(RunStore& store, const TableName& table, const std::string& since) {
  for (const RunRecord& r : store.Runs()) {
    if (r.command != "run" || r.status == RunStatus::kRunning || r.started_at <= since) continue;
    for (const TableRecord& t : store.Tables(r.id)) {
      if (t.destination == table && t.state == "done") return true;
    }
  }
  return false;
}

std::string ShapeText(const TablePlan& plan) {
  std::string out;
  for (const PlannedColumn& c : plan.columns) {
    out +=
        c.source + "\t" + c.destination + "\t" + c.source_type + "\t" + c.destination_type + "\n";
  }
  return out;
}

Plan PlanAsIs(Endpoint& source, Endpoint& destination, const Job& job,
              const PartitionOptions& partitions) {
  Job as_is = job;
  as_is.write_mode = WriteMode::kAppend;
  for (TableOverride& o : as_is.overrides) o.write_mode.reset();
  return BuildPlan(source, destination, as_is, partitions);
}

bool KeysMayRepeat(ChangeTracker& tracker, const Table& table) {
  auto* checks = dynamic_cast<LogKeyChecks*>(&tracker);
  return !checks || checks->KeysMayRepeat(table);
}

std::unordered_set<std::string> KeySet(const std::vector<std::vector<std::string>>& keys) {
  std::unordered_set<std::string> out;
  out.reserve(keys.size());
  for (const std::vector<std::string>& key : keys) {
    std::string text;
    for (const std::string& part : key) text += std::to_string(part.size()) + ":" + part;
    out.insert(std::move(text));
  }
  return out;
}

bool Overlap(const std::unordered_set<std::string>& a, const std::unordered_set<std::string>& b) {
  const auto& small = a.size() < b.size() ? a : b;
  const auto& large = a.size() < b.size() ? b : a;
  return std::any_of(small.begin(), small.end(),
                     [&](const std::string& k) { return large.count(k); });
}

}  // namespace ferry::sync
