// The pieces the files of `ferry sync` share (scheduler/sync_run.hpp is the interface): the
// destination's run lock, a tracked table's position, the shape a table was synced with, and
// whether a table was copied again since. Internal to scheduler/.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/log_gaps.hpp"
#include "copier/plan.hpp"
#include "copier/run_state.hpp"
#include "copier/table_plan.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/sync_run.hpp"

namespace ferry::sync {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start);

// A sync reads rows by key, never by split: every table is one unit, so planning samples nothing
// (a no-change sync of a large table stays fast).
PartitionOptions WholeTables();

// The destination's run store, prepared, and its lock: null while another run holds it.
struct LockedRunState {
  std::unique_ptr<RunStore> store;
  std::unique_ptr<ScopeLock> lock;
};

LockedRunState LockRunState(Endpoint& destination);

// What a sync reports when another run or sync holds the run state: busy, nothing done.
SyncReport BusyReport();

// A tracked position: "<generation>/<applied sequence>", then " gaps <FormatGaps>" while gaps
// below the applied sequence are pending (copier/log_gaps.hpp). A position an older ferry wrote
// has no generation (0), which matches no tracking; nor does one whose gaps cannot be read.
//
// An import from a staging directory writes "<generation>/<applied> export <consumer>": the
// export's registration with the log (`consumer`), which the first sync replaces with the
// destination's own (the sync writes its positions without it).
struct TrackedPosition {
  int64_t generation = 0;
  int64_t applied = 0;
  std::vector<LogGap> gaps;
  std::string export_consumer;
};

TrackedPosition ParsePosition(const std::string& text);
std::string FormatPosition(int64_t generation, int64_t applied,
                           const std::vector<LogGap>& gaps = {});

// Whether a key whose last logged entry is a delete may still hold a row
// (copier/log_key_checks.hpp); yes where the tracker cannot tell.
bool KeysMayRepeat(ChangeTracker& tracker, const Table& table);

// A batch's keys, each as one string (its parts with their lengths, so no two keys are alike),
// and whether two such sets share a key.
std::unordered_set<std::string> KeySet(const std::vector<std::vector<std::string>>& keys);
bool Overlap(const std::unordered_set<std::string>& a, const std::unordered_set<std::string>& b);

// How to copy a table again so that sync continues from there.
std::string CopyAgainAdvice(const TableCopyPlan& copy);

// Whether a `ferry run` that started after `since` copied destination `table` completely.
// Timestamps are to the second, and a run of the same second as `since` may have started before
// it (the copy a refused sync followed, say): only a later second proves the copy came after.
bool CopiedSince(RunStore& store, const TableName& table, const std::string& since);

// The column pairs a table is synced with, names and declared types at both ends, one line each.
std::string ShapeText(const TablePlan& plan);

// The plan ferry verify compares `job`'s scope by: the destination as it is (no write mode
// applies), the source cut into ranges by `partitions`.
Plan PlanAsIs(Endpoint& source, Endpoint& destination, const Job& job,
              const PartitionOptions& partitions);

// A keyless table has no key to name changed rows by: both ends are read whole and compared as
// multisets of row hashes (ferry verify's keyless comparison), and a table that differs is
// replaced by the source's rows in one destination transaction (verify --repair).
// (scheduler/sync_diff.cpp)
void DiffKeyless(Endpoint& source, Endpoint& destination, const Plan& planned,
                 const TablePlan& table, const SyncOptions& options, TableSync& out);

}  // namespace ferry::sync
