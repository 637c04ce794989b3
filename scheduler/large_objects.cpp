#include "scheduler/large_objects.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <map>
#include <set>

#include "copier/progress.hpp"
#include "copier/text.hpp"
#include "scheduler/copy_run_phases.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

namespace {

// A destination transaction holds up to this many objects or bytes: few commits for many small
// objects, and little to write again after a kill for large ones.
constexpr int64_t kBatchObjects = 100;
constexpr int64_t kBatchBytes = 4 << 20;

}  // namespace

bool PointsAtLargeObjects(Endpoint& source, const std::vector<TableName>& scope) {
  std::set<std::string> schemas;
  for (const TableName& t : scope) schemas.insert(t.schema);
  for (const std::string& schema : schemas) {
    for (const std::string& column : source.LargeObjectColumns(schema)) {
      for (const TableName& t : scope) {
        if (column.rfind(t.schema + "." + t.name + ".", 0) == 0) return true;
      }
    }
  }
  return false;
}

std::optional<LargeObjectCopy> CopyLargeObjects(Endpoint& source, Endpoint& destination,
                                                const TestHooks& hooks) {
  std::unique_ptr<LargeObjectStore> from = source.OpenLargeObjects();
  if (!from) return std::nullopt;
  std::unique_ptr<LargeObjectStore> to = destination.OpenLargeObjects();
  if (!to) return std::nullopt;
  LargeObjectCopy out;
  try {
    const std::vector<LargeObject> objects = from->List();
    out.source = int64_t(objects.size());
    std::set<uint32_t> there;
    for (const LargeObject& o : to->List()) there.insert(o.oid);
    int64_t batch_objects = 0, batch_bytes = 0;
    int written = 0;              // by this attempt, for the crash hook
    std::vector<uint32_t> batch;  // the OIDs written since the last commit
    auto commit = [&] {
      to->Commit();
      out.copied += batch_objects;
      batch_objects = batch_bytes = 0;
      from->Delivered(batch);
      batch.clear();
    };
    std::vector<uint32_t> present;
    for (const LargeObject& o : objects) {
      if (there.count(o.oid)) present.push_back(o.oid);
    }
    from->Delivered(present);
    for (const LargeObject& o : objects) {
      // An earlier attempt's object is whole: it was committed with its batch.
      if (there.count(o.oid)) {
        ++out.present;
        continue;
      }
      if (StopRequested()) {
        if (batch_objects > 0) commit();
        out.error = fmt::format(
            "stopped by a signal with {} of {} large objects at the destination (--resume "
            "copies the rest)",
            out.present + out.copied, out.source);
        break;
      }
      if (batch_objects == 0) to->Begin();
      to->Create(o);
      batch.push_back(o.oid);
      ++written;
      int64_t bytes = 0;
      from->Read(o.oid, [&](std::string_view piece) {
        to->Append(piece);
        bytes += int64_t(piece.size());
        if (hooks.crash_in_large_object == written) _exit(86);
      });
      if (hooks.crash_in_large_object == written) _exit(86);
      ++batch_objects;
      batch_bytes += bytes;
      out.bytes += bytes;
      if (batch_objects >= kBatchObjects || batch_bytes >= kBatchBytes) commit();
    }
    if (batch_objects > 0) commit();
  } catch (const Error& e) {
    to->Rollback();
    out.error = fmt::format(
        "large objects: {} ({} of {} at the destination; --resume copies "
        "the rest)",
        e.what(), out.present + out.copied, out.source);
  }
  out.notes = to->TakeNotes();
  return out;
}

std::optional<LargeObjectComparison> CompareLargeObjects(Endpoint& source, Endpoint& destination,
                                                         size_t max_listed) {
  std::unique_ptr<LargeObjectStore> from = source.OpenLargeObjects();
  if (!from) return std::nullopt;
  std::unique_ptr<LargeObjectStore> to = destination.OpenLargeObjects();
  if (!to) return std::nullopt;
  LargeObjectComparison out;
  try {
    std::map<uint32_t, LargeObjectDigest> there;
    for (LargeObjectDigest& d : to->Digests()) there.emplace(d.oid, std::move(d));
    out.destination = int64_t(there.size());
    auto list = [&](std::vector<uint32_t>& listed, int64_t& count, uint32_t oid) {
      if (listed.size() < max_listed) listed.push_back(oid);
      ++count;
    };
    for (const LargeObjectDigest& d : from->Digests()) {
      ++out.source;
      auto found = there.find(d.oid);
      if (found == there.end()) {
        list(out.listed_missing, out.missing, d.oid);
        continue;
      }
      if (!(found->second == d)) list(out.listed_different, out.different, d.oid);
      there.erase(found);
    }
    for (const auto& [oid, d] : there) list(out.listed_extra, out.extra, oid);
  } catch (const Error& e) {
    out.error = e.what();
  }
  return out;
}

std::string DescribeLargeObjectCopy(const LargeObjectCopy& copy) {
  return fmt::format("{} large object{} ({} copied, {} already there, {})", Grouped(copy.source),
                     copy.source == 1 ? "" : "s", Grouped(copy.copied), Grouped(copy.present),
                     FormatBytes(copy.bytes));
}

// After the tables' data and their keys, before the run is recorded finished: a run killed
// while it copies the objects is resumed, and its resume copies those not there yet.
void CopyRun::CarryLargeObjects() {
  // Also after a stop request: the copy then says how many objects are there, and fails.
  if (plan_.schema_only) return;
  std::vector<TableName> scope;
  for (const TablePlan& t : plan_.tables) {
    if (t.strategy != Strategy::kSkip) scope.push_back(t.source);
  }
  if (scope.empty()) return;
  try {
    if (!PointsAtLargeObjects(source_, scope)) return;
  } catch (const Error& e) {
    report_.schema_errors.push_back(
        fmt::format("large objects: could not tell whether the tables point at any: {}", e.what()));
    return;
  }
  observer_.Note("copying the source's large objects");
  report_.large_objects = CopyLargeObjects(source_, destination_, engine_.test_hooks);
  if (!report_.large_objects) return;
  for (const std::string& note : report_.large_objects->notes) {
    report_.warnings.push_back("large objects: not carried: " + note);
  }
  if (!report_.large_objects->error.empty()) {
    report_.schema_errors.push_back(report_.large_objects->error);
  }
}

}  // namespace ferry
