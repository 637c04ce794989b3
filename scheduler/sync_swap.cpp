#include "scheduler/sync_swap.hpp"

#include <fmt/format.h>

#include "copier/change_tracking.hpp"
#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "scheduler/empty_source.hpp"
#include "scheduler/planning.hpp"

namespace ferry {

namespace {

// The source's identity as a change-log consumer: kept in its sync state where a sync or a
// tracked copy wrote into it ("" where it holds none).
std::string IdentityOf(Endpoint& source) {
  if (!source.info().traits.change_tracking) return "";
  try {
    std::unique_ptr<SyncStateStore> state = source.OpenSyncState(kDefaultStatePrefix);
    if (!state) return "";
    std::optional<SyncPosition> at = state->Get(TableName{"", ""});
    return at && at->mode == "identity" ? at->position : "";
  } catch (const Error&) {
    return "";  // no sync state there
  }
}

}  // namespace

void RefuseSwappedEnds(Endpoint& source, Endpoint& destination, const Job& job,
                       const std::string& watermark) {
  // Only a database ferry can track holds change logs (not a staging directory).
  if (!destination.info().traits.change_tracking) return;
  std::unique_ptr<ChangeTracker> there = destination.OpenChangeTracker();
  std::unique_ptr<ChangeTracker> here =
      source.info().traits.change_tracking ? source.OpenChangeTracker() : nullptr;
  std::optional<std::string> identity;
  for (const ReadAndWritten& t :
       TablesReadAndWritten(source, destination, job, TablesInScope(source, job))) {
    Table written;
    written.name = t.destination;
    try {
      if (!there->Enabled(written)) continue;
    } catch (const Error&) {
      continue;
    }
    if (!identity) identity = IdentityOf(source);
    bool registered = false;
    if (!identity->empty()) {
      for (const LogConsumer& c : there->Status(written).consumers) registered |= c.id == *identity;
    }
    Table read;
    read.name = t.source;
    const bool tracked_mode =
        watermark.empty() &&
        !job.OverrideFor(t.source, source.info().default_schema).watermark.has_value();
    const bool untracked = tracked_mode && here && !here->Enabled(read);
    if (!registered && !untracked) continue;
    throw Error(
        ErrorCode::kUsage,
        fmt::format(
            "source and destination seem swapped: destination table {} is the one ferry tracks "
            "(its change log is there{}), and {}; a sync writes into the destination, which "
            "would be the real source",
            DisplayName(t.destination),
            registered ? fmt::format(", and {} is registered with it as a destination",
                                     source.info().display)
                       : "",
            registered ? fmt::format("source table {} is the copy's", DisplayName(t.source))
                       : fmt::format("source table {} has no change log", DisplayName(t.source))))
        .WithAdvice(fmt::format("give the ends the other way round: --source {} --dest {}",
                                destination.info().display, source.info().display));
  }
}

}  // namespace ferry
