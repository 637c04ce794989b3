#include "scheduler/check_connections.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>

namespace ferry {

namespace {

// Sessions a run opens at each end besides its readers or writers, the catalog session (which
// check holds too, so the headroom has it counted already) aside: at the source the session
// that holds the shared snapshot; at the destination the run state's and the run lock's.
// Measured: a run into a role with CONNECTION LIMIT 4 copies with one writer, with 3 it
// cannot start one.
constexpr int kBesideReaders = 1;
constexpr int kBesideWriters = 2;

void CheckEnd(Endpoint& end, const char* side, const std::string& worker, int asked, int beside,
              std::vector<Finding>& findings) {
  std::optional<int64_t> headroom;
  try {
    headroom = end.SessionHeadroom();
  } catch (const std::exception&) {
    return;  // the run finds out, as it would have without check
  }
  if (!headroom) return;
  const int64_t wanted = beside + int64_t(asked);
  if (*headroom >= wanted) return;
  const std::string limits =
      end.info().engine == Engine::kMariaDB
          ? "the account's MAX_USER_CONNECTIONS, max_user_connections or max_connections"
          : "the role's or the database's CONNECTION LIMIT, or max_connections";
  if (*headroom < beside + 1) {
    findings.push_back(
        {Severity::kBlocker, "connections", "", "",
         fmt::format("the {} lets this user open {} more session{} now ({}, less the sessions "
                     "open); a run needs {} there at the least: one of its {} and {} beside. "
                     "Raise the limit or end other sessions",
                     side, std::max<int64_t>(*headroom, 0), *headroom == 1 ? "" : "s", limits,
                     beside + 1, worker + "s", beside)});
    return;
  }
  const int64_t able = *headroom - beside;
  findings.push_back(
      {Severity::kWarning, "connections", "", "",
       fmt::format("the {} lets this user open {} more sessions now ({}, less the sessions "
                   "open); the run asks {} {} and {} beside them: it goes on with {} {} (the "
                   "others stand aside and join if sessions free up)",
                   side, *headroom, limits, asked, worker + (asked == 1 ? "" : "s"), beside, able,
                   worker + (able == 1 ? "" : "s"))});
}

}  // namespace

void CheckConnections(Endpoint& source, Endpoint& destination, int writers, CheckReport& report) {
  if (!report.pair_supported) return;
  CheckEnd(source, "source", "reader", report.readers, kBesideReaders, report.findings);
  CheckEnd(destination, "destination", "writer", std::max(writers, 1), kBesideWriters,
           report.findings);
}

}  // namespace ferry
