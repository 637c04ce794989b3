// The options table's rows for staging directories and the spool's disk: how much an export
// may write, how long it waits at that limit, and whether an import takes the files away.
#include <fmt/format.h>

#include "drivers/engine.hpp"
#include "tools/option_table.hpp"

namespace ferry {

namespace {
using C = Command;
}  // namespace

void AddStagingOptions(std::vector<OptionSpec>& t) {
  t.push_back({.names = "--max-disk",
               .value = "SIZE",
               .help = "An export into a staging directory keeps its files within SIZE (500GiB, "
                       "or bytes): at the limit it pauses until an import with "
                       "--remove-imported takes files away (exit 8, resumable, after "
                       "--max-disk-wait without one); with --spool, the spool's files take at "
                       "most SIZE (readers then wait for writers)",
               .default_value = "as much as the disk holds",
               .reason = "a staging disk shared with other work keeps its room",
               .env = "FERRY_MAX_DISK",
               .commands = {C::kRun}});
  t.push_back(
      {.names = "--max-disk-wait",
       .value = "SECONDS",
       .help = "How long an export paused at --max-disk waits with no import taking "
               "files away before it stops (exit 8; --resume goes on); 0 waits for as long as it "
               "takes",
       .default_value = fmt::format("{:.0f}", EndpointOptions{}.staging_drain_patience),
       .reason = "long enough to start an import at the other end of the disk; a "
                 "pause nobody ends must not hold the source's snapshot for ever",
       .env = "FERRY_MAX_DISK_WAIT",
       .commands = {C::kRun}});
  t.push_back({.names = "--remove-imported",
               .help = "An import from a staging directory removes each unit's chunk files once "
                       "the destination committed the unit, recording each in the directory's "
                       "imported/ folder (verify --files then counts it as imported and "
                       "removed); an export paused at --max-disk goes on as they go",
               .reason = "without it the files stay: the directory can be imported again, or "
                         "kept as the shipment's record",
               .env = "FERRY_REMOVE_IMPORTED",
               .commands = {C::kRun}});
}

}  // namespace ferry
