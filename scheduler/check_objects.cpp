#include "scheduler/check_objects.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "copier/generated.hpp"

namespace ferry {

namespace {

std::vector<std::string> SchemasOf(const std::vector<TableName>& scope) {
  std::vector<std::string> schemas;
  for (const TableName& name : scope) {
    if (std::find(schemas.begin(), schemas.end(), name.schema) == schemas.end()) {
      schemas.push_back(name.schema);
    }
  }
  return schemas;
}

bool IsRoutine(const std::string& kind) {
  return kind == "function" || kind == "procedure" || kind == "aggregate" || kind == "trigger" ||
         kind == "event" || kind == "event trigger";
}

std::string Plural(const std::string& kind) {
  if (kind.size() > 1 && kind.back() == 'y' &&
      std::string("aeiou").find(kind[kind.size() - 2]) == std::string::npos) {
    return kind.substr(0, kind.size() - 1) + "ies";
  }
  return kind + "s";
}

// Across engines: what becomes of a kind the destination has no place for.
std::string CrossEngineRule(const std::string& kind, const EndpointInfo& from,
                            const EndpointInfo& to) {
  if (kind == "countdown or cycling identity column") {
    return fmt::format(
        "identity columns that count down or cycle become {}'s ordinary counters, counting up "
        "past the largest copied value (the values are copied as they are); recreate the "
        "counter's direction there if it is needed",
        to.product);
  }
  if (kind == "column collation" || kind == "index collation") {
    return fmt::format(
        "{} compared by a collation the source defines (CREATE COLLATION) compare by {}'s exact "
        "one (the copy's values are the same; their order and equality follow it there); "
        "recreate the collation's rules there if they are needed",
        kind == "column collation" ? "columns" : "indexes", to.product);
  }
  if (kind == "partition foreign key") {
    return fmt::format(
        "foreign keys one partition declares (not its partitioned table) are not carried to "
        "{}, where the partitioned table is one table; recreate them there (as a trigger) if "
        "they are needed",
        to.product);
  }
  return fmt::format("{} are not carried from {} to {}; recreate them there if they are needed",
                     Plural(kind), from.product, to.product);
}

// Whether a column of `tables` is of enum type `object` ("schema.name"): another engine gets
// its labels with the column (a MariaDB ENUM, text with a CHECK), so the type is not lost.
bool EnumUsed(const std::string& object, const std::vector<Table>& tables) {
  const std::string name = object.substr(object.find('.') + 1);
  for (const Table& t : tables) {
    for (const Column& c : t.columns) {
      if (c.type.labels.empty()) continue;
      std::string native = c.type.native;
      native.erase(std::remove(native.begin(), native.end(), '"'), native.end());
      if (native == object || native == name) return true;
    }
  }
  return false;
}

// The columns of large-object oids in scope, where the objects are not copied: the objects
// themselves are no table's rows, and only a run between two ends that keep large objects
// copies them (large_objects.hpp).
std::vector<LeftOut> LargeObjectsLeftOut(Endpoint& source, Endpoint& destination,
                                         const std::vector<TableName>& scope) {
  std::vector<LeftOut> out;
  std::optional<bool> keeps_large_objects;  // asked of both ends once, when a column needs it
  for (const std::string& schema : SchemasOf(scope)) {
    for (const std::string& column : source.LargeObjectColumns(schema)) {
      const bool in_scope = std::any_of(scope.begin(), scope.end(), [&](const TableName& t) {
        return column.rfind(t.schema + "." + t.name + ".", 0) == 0;
      });
      if (!in_scope) continue;
      if (!keeps_large_objects) {
        keeps_large_objects = source.OpenLargeObjects() && destination.OpenLargeObjects();
      }
      if (*keeps_large_objects) continue;
      out.push_back({"large-object column", column,
                     fmt::format("large objects (pg_largeobject) are not copied: these "
                                 "columns hold oids of the source's large objects, and at "
                                 "the destination ({}) they point at none; copy the objects "
                                 "with pg_dump -b (or lo_export and lo_import)",
                                 destination.info().product)});
    }
  }
  return out;
}

}  // namespace

EndpointInfo AsExported(const EndpointInfo& info) {
  EndpointInfo out = info;
  if (!out.exported_from.empty()) out.product = out.exported_from;
  return out;
}

std::vector<LeftOut> ObjectsLeftOut(Endpoint& source, Endpoint& destination,
                                    const std::vector<TableName>& scope,
                                    const std::vector<Table>& tables, bool clones,
                                    const CloneOptions& options,
                                    const std::string& why_not_cloned) {
  const EndpointInfo from = AsExported(source.info());
  const EndpointInfo& to = destination.info();
  const bool same = from.engine == to.engine;
  // A whole clone carries everything; a copy that creates no table (data only) touches none.
  // Only a system-versioned table's history stays behind whatever the copy: its rows of
  // earlier versions are read by no SELECT and written by no INSERT (MariaDB stamps each row
  // with the time of its insert).
  const bool whole = same && (clones ? options.routines : why_not_cloned.empty());
  std::vector<LeftOut> out = LargeObjectsLeftOut(source, destination, scope);
  for (const std::string& schema : SchemasOf(scope)) {
    for (const auto& [kind, object] : source.OtherObjects(schema)) {
      if (kind == "history") {
        const bool in_scope = std::any_of(scope.begin(), scope.end(), [&](const TableName& t) {
          return t.schema + "." + t.name == object;
        });
        if (in_scope) {
          out.push_back({"system-versioned table", object,
                         "the history of system-versioned tables (their rows of earlier "
                         "versions) is not copied: the destination holds the current rows, and "
                         "its history starts with the copy",
                         "system-versioned tables"});
        }
        continue;
      }
      if (whole) continue;
      // Standalone sequences are created and set where the destination has sequences.
      if (kind == "sequence" && to.traits.sequences) continue;
      if (kind == "enum type" && !same && EnumUsed(object, tables)) continue;
      std::string rule;
      if (!same) {
        rule = CrossEngineRule(kind, from, to);
      } else if (clones) {
        if (!IsRoutine(kind)) continue;
        rule = fmt::format(
            "{} are left out of the schema clone (--no-routines); recreate them "
            "if they are needed",
            Plural(kind));
      } else {
        // The types the tables' columns use are made before the tables (CopyRun::CarryTypes).
        if (kind == "domain" || kind == "enum type" || kind == "composite type" ||
            kind == "range type") {
          continue;
        }
        rule = fmt::format(
            "{} are not carried: the tables are made from ferry's own model "
            "({}); recreate them if they are needed",
            Plural(kind), why_not_cloned);
      }
      out.push_back({kind, object, std::move(rule), Plural(kind)});
    }
  }
  return out;
}

std::vector<DefinerNote> MissingDefiners(Endpoint& source, Endpoint& destination,
                                         const std::vector<TableName>& scope) {
  std::vector<DefinerNote> out;
  for (const std::string& schema : SchemasOf(scope)) {
    for (const auto& [object, account] : source.Definers(schema)) {
      const std::optional<bool> exists = destination.HasAccount(account);
      if (exists.has_value() && !*exists) out.push_back({object, account});
    }
  }
  return out;
}

std::vector<CaseFoldingNote> CaseFoldingNotes(Endpoint& source, Endpoint& destination,
                                              const Table& table,
                                              std::optional<std::string>& destination_folding) {
  std::vector<CaseFoldingNote> out;
  const Engine from = source.info().engine, to = destination.info().engine;
  if (from == to) return out;
  const std::vector<GeneratedPlan> generated = PlanGenerated(table, from, to);
  std::optional<std::string> source_folding;
  for (size_t i = 0; i < generated.size(); ++i) {
    const std::string& e = generated[i].expression;
    if (e.find("LOWER(") == std::string::npos && e.find("UPPER(") == std::string::npos) continue;
    if (!source_folding) source_folding = source.CaseFolding(&table.name);
    if (!destination_folding) destination_folding = destination.CaseFolding(nullptr);
    if (source_folding->empty() && destination_folding->empty()) continue;
    auto said = [](const std::string& f) { return f.empty() ? std::string("Unicode's") : f; };
    out.push_back(
        {table.columns[i].name, fmt::format("{}: the source maps case by {}, the destination by {}",
                                            e, said(*source_folding), said(*destination_folding))});
  }
  return out;
}

}  // namespace ferry
