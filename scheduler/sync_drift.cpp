#include "scheduler/sync_drift.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "scheduler/sync_support.hpp"

namespace ferry::sync {

namespace {

// Columns whose declared type changed at either end between two shapes (columns in both only:
// added and dropped ones are found otherwise), as "name (was -> now)".
std::vector<std::string> Retyped(const std::string& was, const std::string& now) {
  auto parse = [](const std::string& text) {
    std::vector<std::array<std::string, 4>> out;
    size_t at = 0;
    while (at < text.size()) {
      size_t end = text.find('\n', at);
      if (end == std::string::npos) end = text.size();
      std::array<std::string, 4> fields;
      size_t from = at;
      for (size_t f = 0; f < 4; ++f) {
        size_t tab = f < 3 ? text.find('\t', from) : end;
        if (tab == std::string::npos || tab > end) tab = end;
        fields[f] = text.substr(from, tab - from);
        from = std::min(tab + 1, end);
      }
      out.push_back(fields);
      at = end + 1;
    }
    return out;
  };
  std::vector<std::string> out;
  for (const auto& n : parse(now)) {
    for (const auto& w : parse(was)) {
      if (w[0] != n[0] || w[1] != n[1]) continue;
      if (w[2] != n[2]) out.push_back(fmt::format("{} ({} -> {} at the source)", n[1], w[2], n[2]));
      if (w[3] != n[3]) {
        out.push_back(fmt::format("{} ({} -> {} at the destination)", n[1], w[3], n[3]));
      }
    }
  }
  return out;
}

// Columns that changed between the copy and now, at either end.
struct Drift {
  std::vector<std::string> added;    // at the source only (destination names)
  std::vector<std::string> dropped;  // at the destination only
  std::vector<std::string> retyped;  // whose types no longer go together
  bool empty() const { return added.empty() && dropped.empty() && retyped.empty(); }
};

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::optional<int> FindByName(const Table& table, const std::string& name) {
  if (auto at = table.FindColumn(name)) return at;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const std::string& c = table.columns[i].name;
    if (c.size() == name.size() && std::equal(c.begin(), c.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        })) {
      return int(i);
    }
  }
  return std::nullopt;
}

// What the source and destination columns disagree on. A table that planned: destination
// columns no source column feeds. A table whose planning failed with a schema error: both ends
// described again and compared by (renamed) column name; a column the error names that both
// ends have is retyped.
Drift FindDrift(const PreparedTable& prepared, const std::optional<Error>& problem,
                Endpoint& source, Endpoint& destination, const Job& job) {
  Drift drift;
  if (!problem) {
    if (prepared.skip) return drift;
    const Table& d = prepared.copy.destination;
    for (size_t j = 0; j < d.columns.size(); ++j) {
      if (std::find(prepared.copy.destination_columns.begin(),
                    prepared.copy.destination_columns.end(),
                    int(j)) == prepared.copy.destination_columns.end()) {
        drift.dropped.push_back(d.columns[j].name);
      }
    }
    return drift;
  }
  if (problem->code() != ErrorCode::kSchema) return drift;
  const TablePlan& plan = *prepared.plan;
  std::optional<Table> s = source.DescribeTable(plan.source);
  std::optional<Table> d = destination.DescribeTable(plan.destination);
  if (!s || !d) return drift;
  std::vector<bool> matched(d->columns.size(), false);
  for (const Column& c : s->columns) {
    const std::string name =
        job.renames.ApplyToColumn(plan.source, c.name, source.info().default_schema);
    std::optional<int> at = FindByName(*d, name);
    if (!at) {
      drift.added.push_back(name);
      continue;
    }
    matched[size_t(*at)] = true;
    if (problem->context().column == c.name) drift.retyped.push_back(name);
  }
  for (size_t j = 0; j < d->columns.size(); ++j) {
    if (!matched[j]) drift.dropped.push_back(d->columns[j].name);
  }
  return drift;
}

std::string DriftMessage(const Drift& drift, const TableCopyPlan& copy, const TablePlan& plan,
                         Endpoint& source, Endpoint& destination) {
  const std::string dest = DisplayName(plan.destination);
  std::string out = "schema drift since the copy, so this table is not synced:";
  if (!drift.added.empty()) {
    out += fmt::format(
        " column(s) {} are at the source but not in destination table {} (added "
        "at the source, or dropped or renamed at the destination);",
        Joined(drift.added), dest);
  }
  if (!drift.dropped.empty()) {
    out += fmt::format(
        " column(s) {} of destination table {} are not at the source (dropped or "
        "renamed at the source, or added at the destination);",
        Joined(drift.dropped), dest);
  }
  if (!drift.retyped.empty()) {
    std::string types;
    std::optional<Table> s = source.DescribeTable(plan.source);
    std::optional<Table> d = destination.DescribeTable(plan.destination);
    for (const std::string& name : drift.retyped) {
      if (name.find(" (") != std::string::npos) {  // already says how
        types += (types.empty() ? "" : ", ") + name;
        continue;
      }
      std::optional<int> at_s = s ? FindByName(*s, name) : std::nullopt;
      std::optional<int> at_d = d ? FindByName(*d, name) : std::nullopt;
      types +=
          fmt::format("{}{} ({} at the source, {} at the destination)", types.empty() ? "" : ", ",
                      name, at_s ? s->columns[size_t(*at_s)].type.native : "?",
                      at_d ? d->columns[size_t(*at_d)].type.native : "?");
    }
    out += fmt::format(
        " column(s) {} changed type since the copy (ferry does not change a "
        "column's type, nor sync values into a column of another type: alter it "
        "yourself);",
        types);
  }
  (void)copy;
  out += drift.retyped.empty()
             ? " apply the change with sync --apply-schema-changes (adds and drops those columns "
               "at the destination, then re-copies the table's rows by upsert), or copy the table "
               "again (ferry run --truncate --include '" +
                   DisplayName(plan.source) + "')"
             : " or copy the table again (ferry run --truncate --include '" +
                   DisplayName(plan.source) + "')";
  return out;
}

// The table's drift: columns that changed at either end, and a column retyped at either end
// since the last sync (the types ferry paired then are recorded with the position), unless the
// table was copied again since. Throws Error when either end cannot be read.
Drift TableDrift(const PreparedTable& prepared, const std::optional<Error>& problem,
                 Endpoint& source, Endpoint& destination, const Job& job, RunStore& store,
                 SyncStateStore& state) {
  Drift drift = FindDrift(prepared, problem, source, destination, job);
  if (problem || prepared.skip) return drift;
  const std::string shape = ShapeText(*prepared.plan);
  std::optional<SyncPosition> at = state.Get(prepared.plan->destination);
  if (at && at->shape != shape) {
    std::vector<std::string> retyped = Retyped(at->shape, shape);
    if (!retyped.empty() && !CopiedSince(store, prepared.plan->destination, at->updated_at)) {
      drift.retyped = std::move(retyped);
    } else if (drift.empty()) {
      state.SetShape(prepared.plan->destination, shape);
    }
  }
  return drift;
}

// Adds at the destination the columns the source gained and drops the ones it no longer has
// (--apply-schema-changes); returns what it changed. `backfill`: columns were added.
std::string ApplyDrift(const Drift& drift, const TablePlan& plan, Endpoint& source,
                       Endpoint& destination, const Job& job, SyncStateStore& state,
                       bool& backfill) {
  for (const std::string& column : drift.dropped) state.DropColumn(plan.destination, column);
  if (!drift.added.empty()) {
    std::optional<Table> s = source.DescribeTable(plan.source);
    std::optional<Table> d = destination.DescribeTable(plan.destination);
    if (!s || !d) throw Error(ErrorCode::kNotFound, "the table disappeared");
    for (const Column& c : s->columns) {
      const std::string name =
          job.renames.ApplyToColumn(plan.source, c.name, source.info().default_schema);
      if (std::find(drift.added.begin(), drift.added.end(), name) == drift.added.end()) {
        continue;
      }
      Column added = c;
      added.name = name;
      added.type = destination.MapType(c.type, source.info().engine);
      // Rows already there get their values from the re-copy that follows.
      added.nullable = true;
      added.identity = false;
      d->columns.push_back(added);
      state.AddColumn(*d, d->columns.size() - 1);
    }
    backfill = true;
  }
  std::string what;
  if (!drift.added.empty()) what += "added column(s) " + Joined(drift.added);
  if (!drift.dropped.empty()) {
    what += (what.empty() ? "" : "; ") + std::string("dropped column(s) ") + Joined(drift.dropped);
  }
  return what;
}

}  // namespace

DriftOutcome ReconcileDrift(Endpoint& source, Endpoint& destination, const Job& job,
                            const SyncOptions& options, RunStore& store, SyncStateStore& state,
                            PlannedRun& planned, std::vector<std::optional<Error>>& problems) {
  DriftOutcome out;
  out.errors.resize(planned.tables.size());
  out.applied.resize(planned.tables.size());
  out.backfill.assign(planned.tables.size(), false);
  bool changed = false;
  for (size_t i = 0; i < planned.tables.size(); ++i) {
    const PreparedTable& prepared = planned.tables[i];
    Drift drift;
    try {
      drift = TableDrift(prepared, problems[i], source, destination, job, store, state);
    } catch (const Error& e) {
      out.errors[i] = e.what();
      continue;
    }
    if (drift.empty()) continue;
    if (!options.apply_schema_changes || !drift.retyped.empty()) {
      out.errors[i] = DriftMessage(drift, prepared.copy, *prepared.plan, source, destination);
      continue;
    }
    try {
      bool backfill = false;
      out.applied[i] = ApplyDrift(drift, *prepared.plan, source, destination, job, state, backfill);
      out.backfill[i] = backfill;
      changed = true;
    } catch (const Error& e) {
      out.errors[i] = "applying the schema change failed: " + std::string(e.what());
    }
  }
  if (changed) {
    // The destination's shape changed: plan again against it.
    problems.clear();
    planned = PlanAndPrepare(source, destination, job, WholeTables(), &problems);
    for (size_t i = 0; i < planned.tables.size(); ++i) {
      if (out.applied[i].empty() || problems[i] || planned.tables[i].skip) continue;
      state.SetShape(planned.tables[i].plan->destination, ShapeText(*planned.tables[i].plan));
    }
  }
  return out;
}

}  // namespace ferry::sync
