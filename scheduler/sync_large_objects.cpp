#include "scheduler/sync_large_objects.hpp"

#include <fmt/format.h>

#include <map>

#include "copier/error.hpp"
#include "copier/large_objects.hpp"
#include "copier/progress.hpp"
#include "copier/text.hpp"
#include "scheduler/large_objects.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

std::optional<LargeObjectSync> SyncLargeObjects(Endpoint& source, Endpoint& destination,
                                                const Plan& plan) {
  std::vector<TableName> scope;
  for (const TablePlan& t : plan.tables) {
    if (t.strategy != Strategy::kSkip) scope.push_back(t.source);
  }
  LargeObjectSync out;
  std::unique_ptr<LargeObjectStore> from, to;
  try {
    // The destination first: most engines keep none, and say so without a connection.
    if (scope.empty() || !(to = destination.OpenLargeObjects())) return std::nullopt;
    if (!PointsAtLargeObjects(source, scope) || !(from = source.OpenLargeObjects())) {
      return std::nullopt;
    }
  } catch (const Error& e) {
    out.error = fmt::format("could not tell whether the tables point at any: {}", e.what());
    return out;
  }
  try {
    std::map<uint32_t, LargeObjectDigest> there;
    for (LargeObjectDigest& d : to->Digests()) there.emplace(d.oid, std::move(d));
    std::map<uint32_t, LargeObjectDigest> here;
    for (LargeObjectDigest& d : from->Digests()) here.emplace(d.oid, std::move(d));
    out.source = int64_t(here.size());
    for (const LargeObject& o : from->List()) {
      auto digest = here.find(o.oid);
      auto found = there.find(o.oid);
      if (digest == here.end()) continue;  // made since Digests: the next sync takes it
      if (found != there.end() && found->second == digest->second) continue;
      if (StopRequested()) throw Error(ErrorCode::kInterrupted, "stopped by a signal");
      to->Begin();
      if (found != there.end() && !to->Unlink(o.oid)) {
        throw Error(ErrorCode::kSchema, "the destination cannot remove large objects");
      }
      to->Create(o);
      from->Read(o.oid, [&](std::string_view piece) {
        to->Append(piece);
        out.bytes += int64_t(piece.size());
      });
      to->Commit();
      ++(found == there.end() ? out.copied : out.rewritten);
    }
    std::vector<uint32_t> gone;
    for (const auto& [oid, digest] : there) {
      if (!here.count(oid)) gone.push_back(oid);
    }
    if (!gone.empty()) {
      to->Begin();
      for (uint32_t oid : gone) {
        if (!to->Unlink(oid)) throw Error(ErrorCode::kSchema, "the destination cannot remove them");
        ++out.removed;
      }
      to->Commit();
    }
  } catch (const Error& e) {
    to->Rollback();
    out.error = e.what();
  }
  out.notes = to->TakeNotes();
  return out;
}

std::string DescribeLargeObjectSync(const LargeObjectSync& sync) {
  return fmt::format(
      "large objects: {} at the source, {} copied, {} written again, {} removed ({}){}",
      Grouped(sync.source), Grouped(sync.copied), Grouped(sync.rewritten), Grouped(sync.removed),
      FormatBytes(sync.bytes), sync.error.empty() ? "" : "; FAILED: " + sync.error);
}

}  // namespace ferry
