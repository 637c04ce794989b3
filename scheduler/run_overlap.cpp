#include "scheduler/run_overlap.hpp"

#include <fmt/format.h>

#include <optional>
#include <set>

#include "copier/error.hpp"
#include "scheduler/copy_run.hpp"

namespace ferry {

void RefuseAppendOverInterrupted(RunStore& store, const std::vector<RunRecord>& runs,
                                 const Plan& plan, const std::string& display,
                                 const std::function<bool(const RunRecord&)>& superseded) {
  if (plan.schema_only) return;
  for (const RunRecord& r : runs) {
    if (r.command != "run" || r.status != RunStatus::kInterrupted) continue;
    // A table's record may still say pending after units of it committed (table records are
    // written when a table ends, and a killed run ended none): its committed units say more.
    std::set<int> committed;
    for (const UnitRecord& u : store.Units(r.id)) {
      if (u.state == UnitRecordState::kDone) committed.insert(u.table);
    }
    std::optional<TableName> touched;
    for (const TableRecord& t : store.Tables(r.id)) {
      const std::optional<TableState> state = ParseTableState(t.state);
      const bool wrote = committed.count(t.index) > 0 ||
                         (state != TableState::kPending && state != TableState::kSkipped);
      if (touched || !wrote) continue;
      for (const TablePlan& p : plan.tables) {
        if (p.write_mode == WriteMode::kAppend && p.strategy != Strategy::kSkip &&
            p.destination == t.destination) {
          touched = t.destination;
        }
      }
    }
    if (!touched || superseded(r)) continue;
    throw Error(
        ErrorCode::kSchema,
        fmt::format("{} holds interrupted run {} (`ferry run` from {} into {}, started "
                    "{}), which wrote into {}: this run would append every row to the "
                    "rows that run committed. Continue that run with `ferry run "
                    "--resume` and the source, destination and tables it was started "
                    "with, copy again with --truncate, or start over with `ferry reset "
                    "--yes`",
                    display, r.id, r.source, r.destination, r.started_at, DisplayName(*touched)),
        ErrorContext{DisplayName(*touched), "", "", ""});
  }
}

Error ResumeOfAnotherCopy(const RunRecord& r, const std::string& source,
                          const std::string& destination) {
  std::string tables;
  try {
    const std::vector<TablePlan> stored =
        PlanFromJson(r.plan, "the stored plan of run " + r.id).tables;
    for (size_t i = 0; i < stored.size() && i < 8; ++i) {
      tables += (tables.empty() ? "" : ", ") + DisplayName(stored[i].source);
    }
    if (stored.size() > 8) tables += fmt::format(" and {} more", stored.size() - 8);
  } catch (const Error&) {
    tables = "tables its stored plan names";
  }
  return Error(ErrorCode::kUsage,
               fmt::format("--resume found no interrupted run of this copy (these ends and tables) "
                           "in {}, but interrupted run {} of another copy is there: `ferry run` "
                           "from {} (here: {}), started {}, copying {}. Resume it with the "
                           "source, destination and tables it was started with (`ferry run "
                           "--resume {}` and those options), or copy again without --resume "
                           "(with --truncate), or start over with `ferry reset --yes`",
                           destination, r.id, r.source, source, r.started_at, tables, r.id));
}

}  // namespace ferry
