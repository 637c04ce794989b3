#include "drivers/files/follow.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "copier/error.hpp"
#include "drivers/files/disk.hpp"
#include "drivers/files/manifest_journal.hpp"
#include "drivers/files/staging_dir.hpp"

namespace ferry::staging {

namespace {

std::string Stamp(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "";
  return fmt::format("{}:{}:{}.{}", st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

size_t UnitsWritten(const Manifest& m) {
  size_t n = 0;
  for (const TableEntry& t : m.tables) n += t.units.size();
  return n;
}

}  // namespace

ExportFollower::ExportFollower(std::string folder, std::string display, const Manifest& first,
                               FollowHooks hooks)
    : folder_(std::move(folder)), display_(std::move(display)), hooks_(std::move(hooks)) {
  // The export records its run (and the plan it runs) before it creates anything.
  auto found = WaitFor("the export's plan",
                       [](const IndexedManifest& m) { return !m.manifest().runs.empty(); });
  const Manifest* m = found->manifest().runs.empty() ? &first : &found->manifest();
  if (m->runs.empty()) {
    throw Error(ErrorCode::kIo,
                fmt::format("the export into {} finished without recording a run", display_));
  }
  const RunRecord& run = m->runs.back();
  run_ = run.id;
  plan_ = PlanFromJson(run.plan, folder_ + "/" + kManifestName);
  for (size_t t = 0; t < plan_.tables.size(); ++t) plan_at_.emplace(plan_.tables[t].destination, t);
  auto units = m->run_units.find(run_);
  if (units != m->run_units.end()) {
    for (const UnitRecord& u : units->second) {
      if (u.table >= 0 && size_t(u.table) < plan_.tables.size()) {
        ++parts_[plan_.tables[size_t(u.table)].destination];
      }
    }
  }
  // Every table the export copies is in the manifest before its first unit is written.
  WaitFor("the export's tables", [&](const IndexedManifest& m) {
    for (const TablePlan& t : plan_.tables) {
      if (t.strategy != Strategy::kSkip && !m.Find(t.destination)) return false;
    }
    return true;
  });
}

std::shared_ptr<const IndexedManifest> ExportFollower::Latest() {
  std::lock_guard lock(mutex_);
  const std::string path = folder_ + "/" + kManifestName;
  // The manifest, and the journal the last one read names: a unit's commit appends to it.
  std::string stamp = Stamp(path);
  if (latest_ && !latest_->manifest().journal.empty()) {
    stamp += " " + Stamp(folder_ + "/" + latest_->manifest().journal);
  }
  if (latest_ && stamp == latest_stamp_) return latest_;
  std::optional<Manifest> m = LoadManifest(folder_);
  if (!m) ThrowIo("cannot read", path, ENOENT);
  latest_ = std::make_shared<const IndexedManifest>(std::move(*m));
  latest_stamp_ = stamp;
  return latest_;
}

const TablePlan* ExportFollower::PlanOf(const TableName& table) const {
  auto it = plan_at_.find(table);
  return it == plan_at_.end() ? nullptr : &plan_.tables[it->second];
}

int ExportFollower::PartsOf(const TableName& table) const {
  auto it = parts_.find(table);
  return it == parts_.end() ? 0 : it->second;
}

std::vector<KeyRange> ExportFollower::PlannedUnits(const TableEntry& table) const {
  return PlannedOf(table)->units;
}

std::shared_ptr<const ExportFollower::Planned> ExportFollower::PlannedOf(
    const TableEntry& table) const {
  std::lock_guard lock(planned_mutex_);
  if (auto it = planned_.find(table.shape.name); it != planned_.end()) return it->second;
  auto out = std::make_shared<Planned>();
  const TablePlan* t = PlanOf(table.shape.name);
  std::vector<int> key;
  // A plan re-cut at run time (its partition count edited) lists units the export did not
  // run: the table is then read whole, once every unit it wrote is there.
  bool listed = t && t->units.size() > 1 && int(t->units.size()) == PartsOf(table.shape.name);
  for (size_t i = 0; listed && i < t->split_key.size(); ++i) {
    auto c = table.shape.FindColumn(t->split_key[i]);
    if (c) key.push_back(*c);
    listed = c.has_value();
  }
  for (size_t i = 0; listed && i < t->units.size(); ++i) {
    const PlannedUnit& p = t->units[i];
    KeyRange r;
    if (!p.by_location) r.key_columns = key;
    r.lo = p.lo;
    r.hi = p.hi;
    r.null_keys = p.null_keys;
    r.by_location = p.by_location;
    out->parts.emplace(RangeKey{r.key_columns, r.lo, r.hi, r.null_keys, r.by_location}, int(i));
    out->units.push_back(std::move(r));
  }
  planned_.emplace(table.shape.name, out);
  return out;
}

void ExportFollower::AddPlannedObjects(Table& shape) const {
  const TablePlan* t = PlanOf(shape.name);
  if (!t) return;
  auto columns = [&](const std::vector<std::string>& names, std::vector<int>& out) {
    for (const std::string& n : names) {
      auto c = shape.FindColumn(n);
      if (!c) return false;
      out.push_back(*c);
    }
    return true;
  };
  for (const PlannedIndex& p : t->indexes) {
    auto& list = p.unique ? shape.unique_indexes : shape.indexes;
    if (std::any_of(list.begin(), list.end(), [&](const Index& i) { return i.name == p.name; }))
      continue;
    Index index{p.name, {}, p.unique, p.native_definition};
    if (columns(p.columns, index.columns)) list.push_back(std::move(index));
  }
  for (const PlannedForeignKey& p : t->foreign_keys) {
    if (!p.partition.name.empty()) continue;  // a partition's own: no table of the directory's
    auto& list = shape.foreign_keys;
    if (std::any_of(list.begin(), list.end(),
                    [&](const ForeignKey& f) { return f.name == p.name; }))
      continue;
    ForeignKey fk{p.name,      {},          p.references, p.referenced_columns,
                  p.on_delete, p.on_update, p.deferrable};
    if (columns(p.columns, fk.columns)) list.push_back(std::move(fk));
  }
}

int64_t ExportFollower::PlannedRows(const TableName& table) const {
  const TablePlan* t = PlanOf(table);
  return t ? t->estimated_rows : -1;
}

std::shared_ptr<const IndexedManifest> ExportFollower::WaitForUnit(const TableName& table,
                                                                   const KeyRange& range) {
  auto m = Latest();
  const TableEntry* entry = m->Find(table);
  if (!entry) {
    throw Error(ErrorCode::kNotFound, "the staging directory holds no such table",
                ErrorContext{DisplayName(table), "", "", ""});
  }
  const std::shared_ptr<const Planned> planned = PlannedOf(*entry);
  auto found = planned->parts.find(
      RangeKey{range.key_columns, range.lo, range.hi, range.null_keys, range.by_location});
  const int part = found == planned->parts.end() ? -1 : found->second;
  const int parts = std::max(PartsOf(table), 1);
  const std::string what =
      part >= 0 ? fmt::format("unit {} of {} of {}", part + 1, parts, DisplayName(table))
                : fmt::format("every unit of {}", DisplayName(table));
  return WaitFor(what, [&](const IndexedManifest& m) {
    const TableEntry* t = m.Find(table);
    if (!t) return false;
    if (part >= 0) return t->FindUnit(part) != nullptr;
    return int(t->units.size()) >= parts;
  });
}

std::shared_ptr<const IndexedManifest> ExportFollower::WaitForComplete(const std::string& why) {
  return WaitFor("its end (" + why + ")",
                 [](const IndexedManifest& m) { return m.manifest().status == "complete"; });
}

std::shared_ptr<const IndexedManifest> ExportFollower::WaitFor(
    const std::string& what, const std::function<bool(const IndexedManifest&)>& ready) {
  std::unique_ptr<Wait> wait;
  for (;;) {
    std::shared_ptr<const IndexedManifest> m = Latest();
    if (m->manifest().status == "complete" || ready(*m)) return m;
    if (!ExportRunning(folder_)) {
      // It may have finished between the two looks.
      m = Latest();
      if (m->manifest().status == "complete" || ready(*m)) return m;
      throw Error(ErrorCode::kInterrupted,
                  fmt::format("the export into {} stopped unfinished before it wrote {}: no "
                              "ferry process holds its run lock any more (killed, or stopped); "
                              "what this import committed is kept: finish the export with "
                              "`ferry run --resume`, then run this import again with --resume",
                              display_, what),
                  ErrorContext{}, {Diagnostic{kExportStoppedState, 0, "export stopped"}});
    }
    if (hooks_.notice) {
      size_t total = 0;
      for (const auto& [table, parts] : parts_) total += size_t(parts);
      hooks_.notice(fmt::format(
          "waiting for the export into {} (still running): {} is not written yet; {} of {} "
          "units written so far",
          display_, what, UnitsWritten(m->manifest()), total));
    }
    // No patience: the wait ends when the export does, or when its process is gone.
    if (!wait) wait = hooks_.wait(0);
    wait->Next(UnitsWritten(m->manifest()));
  }
}

}  // namespace ferry::staging
