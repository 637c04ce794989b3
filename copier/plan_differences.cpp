// PlanDifferences: how a plan file given to a resume differs from the plan the run stored.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "copier/plan.hpp"

namespace ferry {

namespace {

std::string Listed(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "" : ", ") + v;
  return "(" + out + ")";
}

std::string Shown(const std::optional<std::vector<std::string>>& bound) {
  return bound ? Listed(*bound) : std::string("open");
}

}  // namespace

std::vector<std::string> PlanDifferences(const Plan& stored, const Plan& given) {
  std::vector<std::string> out;
  auto differ = [&](const std::string& where, const std::string& here, const std::string& was) {
    if (here != was) out.push_back(fmt::format("{}: {} here, {} stored", where, here, was));
  };
  differ("schema_only", given.schema_only ? "true" : "false",
         stored.schema_only ? "true" : "false");
  differ("data_only", given.data_only ? "true" : "false", stored.data_only ? "true" : "false");
  for (const TablePlan& g : given.tables) {
    const TablePlan* s = nullptr;
    for (const TablePlan& candidate : stored.tables) {
      if (candidate.source == g.source) s = &candidate;
    }
    const std::string table = DisplayName(g.source);
    if (!s) {
      out.push_back(fmt::format("{}: not in the stored plan", table));
      continue;
    }
    auto field = [&](const std::string& name, const std::string& here, const std::string& was) {
      differ(table + ": " + name, here, was);
    };
    field("destination", DisplayName(g.destination), DisplayName(s->destination));
    field("write_mode", WriteModeName(g.write_mode), WriteModeName(s->write_mode));
    field("strategy", StrategyName(g.strategy), StrategyName(s->strategy));
    field("partitions", std::to_string(g.partitions), std::to_string(s->partitions));
    field("split_key", Listed(g.split_key), Listed(s->split_key));
    if (!g.units.empty()) {
      field("units", fmt::format("{} units", g.units.size()),
            fmt::format("{} units", s->units.size()));
      for (size_t u = 0; u < std::min(g.units.size(), s->units.size()); ++u) {
        const PlannedUnit& a = g.units[u];
        const PlannedUnit& b = s->units[u];
        field(
            fmt::format("units[{}]", u),
            fmt::format("[{}, {}){}", Shown(a.lo), Shown(a.hi), a.null_keys ? " + NULL keys" : ""),
            fmt::format("[{}, {}){}", Shown(b.lo), Shown(b.hi), b.null_keys ? " + NULL keys" : ""));
      }
    }
    field("columns", fmt::format("{} columns", g.columns.size()),
          fmt::format("{} columns", s->columns.size()));
    for (size_t c = 0; c < std::min(g.columns.size(), s->columns.size()); ++c) {
      const PlannedColumn& a = g.columns[c];
      const PlannedColumn& b = s->columns[c];
      field(fmt::format("columns[{}].source", c), a.source, b.source);
      field(fmt::format("columns[{}].destination", c), a.destination, b.destination);
      field(fmt::format("columns[{}].destination_type", c), a.destination_type, b.destination_type);
    }
    field("primary_key", Listed(g.primary_key), Listed(s->primary_key));
    auto index_text = [](const PlannedIndex& i) {
      return fmt::format("{} {}{}{}", i.name, Listed(i.columns), i.unique ? " unique" : "",
                         i.native_definition.empty() ? "" : " " + i.native_definition + i.On());
    };
    field("indexes", fmt::format("{} indexes", g.indexes.size()),
          fmt::format("{} indexes", s->indexes.size()));
    for (size_t x = 0; x < std::min(g.indexes.size(), s->indexes.size()); ++x) {
      field(fmt::format("indexes[{}]", x), index_text(g.indexes[x]), index_text(s->indexes[x]));
    }
    auto fk_text = [](const PlannedForeignKey& f) {
      return fmt::format("{} {} -> {} {} on delete {} on update {}{}", f.name, Listed(f.columns),
                         DisplayName(f.references), Listed(f.referenced_columns), f.on_delete,
                         f.on_update, (f.deferrable.empty() ? "" : " " + f.deferrable) + f.On());
    };
    field("foreign_keys", fmt::format("{} foreign keys", g.foreign_keys.size()),
          fmt::format("{} foreign keys", s->foreign_keys.size()));
    for (size_t x = 0; x < std::min(g.foreign_keys.size(), s->foreign_keys.size()); ++x) {
      field(fmt::format("foreign_keys[{}]", x), fk_text(g.foreign_keys[x]),
            fk_text(s->foreign_keys[x]));
    }
  }
  for (const TablePlan& s : stored.tables) {
    auto same = [&](const TablePlan& g) { return g.source == s.source; };
    if (std::none_of(given.tables.begin(), given.tables.end(), same))
      out.push_back(fmt::format("{}: in the stored plan, not here", DisplayName(s.source)));
  }
  return out;
}

}  // namespace ferry
