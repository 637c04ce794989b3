#include "copier/table_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "copier/convert.hpp"
#include "copier/defaults.hpp"
#include "copier/error.hpp"
#include "copier/generated.hpp"
#include "copier/text.hpp"

namespace ferry {

namespace {

enum class Family { kNumber, kText, kBytes, kTemporal, kTime, kUuid, kJson, kOther };

Family FamilyOf(TypeKind kind) {
  switch (kind) {
    case TypeKind::kBoolean:
    case TypeKind::kInteger:
    case TypeKind::kDecimal:
    case TypeKind::kReal:
    case TypeKind::kDouble:
      return Family::kNumber;
    case TypeKind::kChar:
    case TypeKind::kVarchar:
    case TypeKind::kText:
      return Family::kText;
    case TypeKind::kBinary:
    case TypeKind::kVarbinary:
    case TypeKind::kBlob:
      return Family::kBytes;
    case TypeKind::kDate:
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      return Family::kTemporal;
    case TypeKind::kTime:
      return Family::kTime;
    case TypeKind::kUuid:
      return Family::kUuid;
    case TypeKind::kJson:
      return Family::kJson;
    case TypeKind::kAny:
    case TypeKind::kUnsupported:
      return Family::kOther;
  }
  return Family::kOther;
}

// Whether values of `from` can go into a column of `to` at all (each value is still checked).
bool Compatible(const ColumnType& from, const ColumnType& to) {
  Family f = FamilyOf(from.kind), t = FamilyOf(to.kind);
  if (f == t) return true;
  if (t == Family::kText) return true;  // anything has an exact text form
  if (f == Family::kText && (t == Family::kJson || t == Family::kUuid)) return true;
  if (f == Family::kJson && t == Family::kText) return true;
  if (f == Family::kUuid && t == Family::kBytes) return true;
  return false;
}

// The destination column for a source column: the same name, else the only one equal to it
// ignoring case (as unquoted names are folded by PostgreSQL and compared by MariaDB).
std::optional<int> MatchColumn(const Table& dest, const std::string& name) {
  if (auto exact = dest.FindColumn(name)) return exact;
  std::optional<int> found;
  for (size_t i = 0; i < dest.columns.size(); ++i) {
    if (Lower(dest.columns[i].name) == Lower(name)) {
      if (found) return std::nullopt;
      found = int(i);
    }
  }
  return found;
}

// What of source column `c`, written in its engine's own terms, column `mapped` keeps.
void CarryOwnTerms(Column& mapped, const Column& c, Engine from, Engine to) {
  if (from == to) {
    mapped.domain_check.clear();  // the domain itself checks
    // Left to the clone: as written they may name what only the source has yet (a sequence,
    // a function), which CREATE TABLE would refuse.
    mapped.default_value.clear();
    mapped.on_update.clear();
  } else if (to != Engine::kFiles) {  // a staging directory keeps them for its import
    mapped.default_value = CarryDefault(c, from, mapped.type, to).sql;
    mapped.on_update.clear();  // no other engine has it (ferry check says so)
  }
}

// The checks of a table ferry creates: as they are into a staging directory, none between
// databases of one engine (the clone keeps them; as written they may call the source's own
// functions), else what translates.
std::vector<CheckConstraint> PlanChecks(const Table& source, Engine source_engine,
                                        Endpoint& destination, const std::string& table,
                                        const std::vector<bool>& placed,
                                        const std::vector<std::string>& names) {
  const Engine to = destination.info().engine;
  if (to == Engine::kFiles) return source.checks;
  if (source_engine == to) return {};
  return CarryChecks(
      source, source_engine, to,
      [&](int c) -> std::optional<std::string> {
        if (!placed[size_t(c)]) return std::nullopt;
        return names[size_t(c)];
      },
      table, destination.info().traits.max_identifier_length);
}

// A table ferry creates: the destination's types for the source's columns (with generated ones
// in their place where both ends are one engine) and the primary key.
void PlanNewTable(TableCopyPlan& plan, const Table& source, Engine source_engine,
                  Endpoint& destination, const TableName& dest_name,
                  const std::vector<ColumnChoice>& columns,
                  const std::vector<std::string>& primary_key) {
  const std::string shown = DisplayName(source.name);
  const Engine destination_engine = destination.info().engine;
  plan.create = true;
  plan.destination.name = dest_name;
  plan.destination.comment = source.comment;
  for (const ColumnChoice& choice : columns) {
    if (std::string problem = destination.NameProblem(choice.destination); !problem.empty()) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("column {}: {}; rename it in a job file (rename: columns: - "
                              "table: ... from: ... to: ...)",
                              choice.destination, problem),
                  ErrorContext{shown, source.columns[size_t(choice.source)].name, "", ""});
    }
  }
  // Generated columns the destination computes: every one between databases of one engine, those
  // whose expression translates into another engine (the others' values are copied).
  std::vector<std::string> names;
  for (const Column& c : source.columns) names.push_back(c.name);
  for (const ColumnChoice& choice : columns) names[size_t(choice.source)] = choice.destination;
  const std::vector<GeneratedPlan> generated = PlanGenerated(
      source, source_engine, destination_engine, [&](int column) { return names[size_t(column)]; });
  auto map = [&](const Column& c, const std::optional<ColumnType>& as = std::nullopt) {
    Column mapped = c;
    try {
      mapped.type = destination.MapType(as ? *as : c.type, source_engine);
    } catch (Error& e) {
      e.WithTable(shown).WithColumn(c.name);
      throw;
    }
    mapped.generated = generated[size_t(&c - source.columns.data())].expression;
    CarryOwnTerms(mapped, c, source_engine, destination_engine);
    return mapped;
  };
  // Generated columns the destination computes are not copied: created in their source place
  // among the copied columns.
  std::vector<bool> placed(source.columns.size(), false);
  auto place_generated_before = [&](size_t end) {
    for (size_t g = 0; g < end; ++g) {
      if (placed[g] || generated[g].expression.empty()) continue;
      placed[g] = true;
      Column mapped = map(source.columns[g]);
      mapped.name = names[g];
      plan.destination.columns.push_back(std::move(mapped));
    }
  };
  for (const ColumnChoice& choice : columns) {
    const Column& c = source.columns[size_t(choice.source)];
    place_generated_before(size_t(choice.source));
    placed[size_t(choice.source)] = true;
    Column mapped = map(c, choice.map_as);
    mapped.name = choice.destination;
    mapped.generated.clear();  // its values are copied
    if (!choice.destination_type.empty()) mapped.type.native = choice.destination_type;
    plan.source_columns.push_back(choice.source);
    plan.destination_columns.push_back(int(plan.destination.columns.size()));
    plan.destination.columns.push_back(std::move(mapped));
  }
  place_generated_before(source.columns.size());
  plan.destination.checks =
      PlanChecks(source, source_engine, destination, dest_name.name, placed, names);
  // Two columns landing on one destination column (renames, or names equal but for case where
  // the destination compares them ignoring case): refused here, before any DDL, in the words
  // check uses.
  const bool fold = destination.info().column_names_fold_case;
  std::vector<size_t> landing;  // source columns that get a destination column
  for (size_t c = 0; c < source.columns.size(); ++c) {
    if (placed[c]) landing.push_back(c);
  }
  for (size_t a = 0; a < landing.size(); ++a) {
    for (size_t b = a + 1; b < landing.size(); ++b) {
      const std::string& x = names[landing[a]];
      const std::string& y = names[landing[b]];
      if (x != y && !(fold && Lower(x) == Lower(y))) continue;
      throw Error(
          ErrorCode::kSchema,
          fmt::format("columns {} and {} would both become column {} of {}: {} (rename "
                      "one in a job file)",
                      source.columns[landing[a]].name, source.columns[landing[b]].name, x,
                      DisplayName(dest_name),
                      x == y ? "the copy names them alike"
                             : destination.info().product + " compares column names ignoring case"),
          ErrorContext{shown, source.columns[landing[b]].name, "", ""})
          .WithReason(ErrorReason::kNameCollision);
    }
  }
  if (plan.destination.columns.empty() && destination_engine != Engine::kPostgres) {
    throw Error(ErrorCode::kSchema,
                fmt::format("the table has no columns, and {} tables need at least one",
                            EngineName(destination_engine)),
                ErrorContext{shown, "", "", ""});
  }
  const size_t most = destination.info().traits.max_columns;
  if (most > 0 && plan.destination.columns.size() > most) {
    throw Error(ErrorCode::kSchema,
                fmt::format("the table has {} columns, and {} tables hold at most {} (leave the "
                            "table out with --exclude)",
                            plan.destination.columns.size(), destination.info().product, most),
                ErrorContext{shown, "", "", ""});
  }
  if (plan.source_columns.empty() && destination_engine == Engine::kSQLite) {
    throw Error(ErrorCode::kSchema,
                "the table has only generated columns, and SQLite tables need at least one "
                "column that is not generated",
                ErrorContext{shown, "", "", ""});
  }
  for (const std::string& name : primary_key) {
    auto k = plan.destination.FindColumn(name);
    if (!k) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("primary key column {} is not among the columns copied", name),
                  ErrorContext{shown, name, "", ""});
    }
    plan.destination.primary_key.push_back(*k);
  }
  plan.destination = destination.FitKeys(plan.destination);
}

// A table that exists: each copied column matched to one of its columns, whose type must take
// the source's values; a NOT NULL column nothing feeds is refused.
void PlanExistingTable(TableCopyPlan& plan, const Table& source, Engine source_engine,
                       Endpoint& destination, const Table& existing, const TableName& dest_name,
                       const std::vector<ColumnChoice>& columns) {
  const std::string shown = DisplayName(source.name);
  plan.destination = existing;
  std::vector<bool> fed(existing.columns.size(), false);
  for (const ColumnChoice& choice : columns) {
    const Column& c = source.columns[size_t(choice.source)];
    auto match = MatchColumn(existing, choice.destination);
    if (!match) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("destination table {} exists but has no column {} (its columns: "
                              "{})",
                              DisplayName(dest_name), choice.destination,
                              [&] {
                                std::string names;
                                for (const Column& d : existing.columns) {
                                  names += (names.empty() ? "" : ", ") + d.name;
                                }
                                return names;
                              }()),
                  ErrorContext{shown, c.name, "", ""});
    }
    const Column& d = existing.columns[size_t(*match)];
    if (!d.generated.empty()) continue;  // the destination computes it
    if (!Compatible(c.type, d.type)) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("destination column {}.{} is {} but the source column is {}; "
                              "their values are not interchangeable",
                              DisplayName(dest_name), d.name, d.type.native, c.type.native),
                  ErrorContext{shown, c.name, "", ""});
    }
    // A staging directory keeps such a value in the source's own text, for an import into the
    // source's engine (where this check runs again, against the directory's source engine).
    if (c.type.kind == TypeKind::kUnsupported && source_engine != destination.info().engine &&
        (!c.type.text_form || FamilyOf(d.type.kind) != Family::kText) &&
        destination.info().engine != Engine::kFiles) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("type {} cannot be copied to another engine", c.type.native),
                  ErrorContext{shown, c.name, "", ""});
    }
    if (fed[size_t(*match)]) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("destination column {}.{} would be written twice",
                              DisplayName(dest_name), d.name),
                  ErrorContext{shown, c.name, "", ""});
    }
    fed[size_t(*match)] = true;
    plan.source_columns.push_back(choice.source);
    plan.destination_columns.push_back(*match);
  }
  for (size_t j = 0; j < existing.columns.size(); ++j) {
    const Column& d = existing.columns[j];
    if (!fed[j] && !d.nullable && !d.identity && d.generated.empty()) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("destination table {} has a NOT NULL column {} that the source "
                              "does not have",
                              DisplayName(dest_name), d.name),
                  ErrorContext{shown, "", "", ""});
    }
  }
}

}  // namespace

std::vector<ColumnChoice> AllColumns(const Table& source) {
  std::vector<ColumnChoice> out;
  for (size_t i = 0; i < source.columns.size(); ++i) {
    out.push_back({int(i), source.columns[i].name, ""});
  }
  return out;
}

std::vector<std::string> ColumnNames(const Table& table, const std::vector<int>& columns) {
  std::vector<std::string> out;
  for (int c : columns) out.push_back(table.columns[size_t(c)].name);
  return out;
}

std::vector<PlannedIndex> PlanIndexes(const Table& source, const TableCopyPlan& copy,
                                      const std::vector<ColumnChoice>& columns, bool same_engine) {
  std::vector<PlannedIndex> out;
  for (const std::vector<Index>* list : {&source.unique_indexes, &source.indexes}) {
    for (const Index& index : *list) {
      if (!index.native_definition.empty() && !same_engine) continue;
      PlannedIndex p{index.name, {}, index.unique, index.native_definition};
      for (int c : index.columns) p.columns.push_back(columns[size_t(c)].destination);
      out.push_back(std::move(p));
    }
  }
  for (const TablePartition& part : copy.destination.partitions) {
    for (const Index& index : part.indexes) {
      out.push_back({index.name, {}, index.unique, index.native_definition, part.name});
    }
  }
  return out;
}

namespace {

// A partitioned table between databases of one engine is made partitioned, its partitions
// attached under their own names in the table's destination schema, where every column keeps
// its name and place (the partition key and bounds name them); else it is one plain table.
void CarryPartitions(TableCopyPlan& plan) {
  const Table& source = plan.source;
  if (source.partition_key.empty() || plan.destination.columns.size() != source.columns.size()) {
    return;
  }
  for (size_t c = 0; c < source.columns.size(); ++c) {
    const Column& d = plan.destination.columns[c];
    if (d.name != source.columns[c].name || d.generated != source.columns[c].generated) return;
  }
  auto moved = [&](TableName name) {
    if (name == source.name) return plan.destination.name;
    if (name.schema == source.name.schema) name.schema = plan.destination.name.schema;
    return name;
  };
  plan.destination.partition_key = source.partition_key;
  for (TablePartition p : source.partitions) {
    p.name = moved(p.name);
    p.parent = moved(p.parent);
    plan.destination.partitions.push_back(std::move(p));
  }
}

}  // namespace

TableCopyPlan PlanTableCopy(const Table& source, Engine source_engine, Endpoint& destination,
                            const TableName& dest_name, const std::vector<ColumnChoice>& columns,
                            const std::vector<std::string>& primary_key) {
  TableCopyPlan plan;
  plan.source = source;
  std::optional<Table> existing = destination.DescribeTable(dest_name);
  if (!existing) {
    PlanNewTable(plan, source, source_engine, destination, dest_name, columns, primary_key);
    if (source_engine == destination.info().engine) CarryPartitions(plan);
    for (size_t i = 0; i < plan.source_columns.size(); ++i) {
      if (CaseInsensitiveKeyMadeExact(source, plan.source_columns[i], destination.info().traits)) {
        plan.destination.columns[size_t(plan.destination_columns[i])].case_insensitive = false;
      }
    }
  } else {
    PlanExistingTable(plan, source, source_engine, destination, *existing, dest_name, columns);
  }
  std::vector<int> key = source.RowKey();
  for (int k : key) {
    auto it = std::find(plan.source_columns.begin(), plan.source_columns.end(), k);
    if (it != plan.source_columns.end()) {
      plan.key_positions.push_back(int(it - plan.source_columns.begin()));
    }
  }
  return plan;
}

std::vector<CheckConstraint> CreatedTableChecks(const TableCopyPlan& plan, Engine source_engine,
                                                Endpoint& destination) {
  std::vector<std::string> names;
  for (const Column& c : plan.source.columns) names.push_back(c.name);
  std::vector<bool> placed(names.size(), false);
  for (size_t i = 0; i < plan.source_columns.size(); ++i) {
    const size_t c = size_t(plan.source_columns[i]);
    names[c] = plan.destination.columns[size_t(plan.destination_columns[i])].name;
    placed[c] = true;
  }
  // A generated column the destination computes is there under its source name, not copied.
  for (size_t c = 0; c < names.size(); ++c) {
    placed[c] = placed[c] || plan.destination.FindColumn(names[c]).has_value();
  }
  return PlanChecks(plan.source, source_engine, destination, plan.destination.name.name, placed,
                    names);
}

bool PassesThrough(const TableCopyPlan& plan, const EndpointInfo& from, const EndpointInfo& to) {
  if (from.engine != to.engine) return false;
  if (!from.binary_copy_pass_through || !to.binary_copy_pass_through) return false;
  if (plan.source_columns.size() != plan.destination.columns.size()) return false;
  for (size_t i = 0; i < plan.source_columns.size(); ++i) {
    const Column& s = plan.source.columns[size_t(plan.source_columns[i])];
    const Column& d = plan.destination.columns[size_t(plan.destination_columns[i])];
    if (plan.destination_columns[i] != int(i)) return false;
    if (s.type.native != d.type.native) return false;
    if (s.type.database_specific || d.type.database_specific) return false;
  }
  return true;
}

void KeepValueTypes(TableCopyPlan& plan, const EndpointInfo& from, const EndpointInfo& to) {
  if (from.engine != to.engine) return;
  const bool any_value = !from.traits.enforces_declared_types && !to.traits.enforces_declared_types;
  for (size_t i = 0; i < plan.source_columns.size(); ++i) {
    Column& column = plan.source.columns[size_t(plan.source_columns[i])];
    ColumnType& s = column.type;
    ColumnType& d = plan.destination.columns[size_t(plan.destination_columns[i])].type;
    if (Lower(s.native) != Lower(d.native)) continue;
    // A boolean kept in an integer column (MariaDB's tinyint(1), whose catalog gives its width)
    // holds any integer of that width: between two databases of its engine it is that integer,
    // and the 2 an application wrote there stays 2.
    // (The source's column may be that integer already: a run plans twice, the second time
    // against the table it made.)
    if ((s.kind == TypeKind::kBoolean || s.kind == TypeKind::kInteger) &&
        d.kind == TypeKind::kBoolean && d.width_bits > 0 && s.width_bits == d.width_bits) {
      s.kind = TypeKind::kInteger;
      d.kind = TypeKind::kInteger;
      continue;
    }
    if (!any_value) continue;
    // The rowid (SQLite's INTEGER PRIMARY KEY, its identity) holds integers only: it keeps its
    // type, by which verify cuts its ranges in two.
    if (column.identity && s.kind == TypeKind::kInteger) continue;
    s.kind = TypeKind::kAny;
    d.kind = TypeKind::kAny;
  }
}

void KeepCaseInsensitivity(TableCopyPlan& plan) {
  for (size_t i = 0; i < plan.source_columns.size(); ++i) {
    if (!plan.source.columns[size_t(plan.source_columns[i])].case_insensitive) continue;
    plan.destination.columns[size_t(plan.destination_columns[i])].case_insensitive = true;
  }
}

bool CaseInsensitiveKeyMadeExact(const Table& source, int column, const EngineTraits& to) {
  if (!to.case_insensitive_folds_beyond_ascii || !source.columns[size_t(column)].case_insensitive) {
    return false;
  }
  auto in = [&](const std::vector<int>& columns) {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
  };
  return in(source.primary_key) ||
         std::any_of(source.unique_indexes.begin(), source.unique_indexes.end(),
                     [&](const Index& i) { return in(i.columns); }) ||
         std::any_of(source.foreign_keys.begin(), source.foreign_keys.end(),
                     [&](const ForeignKey& fk) { return in(fk.columns); });
}

std::vector<ColumnPairing> PairColumns(const TableCopyPlan& plan) {
  std::vector<ColumnPairing> pairs;
  for (size_t i = 0; i < plan.source_columns.size(); ++i) {
    pairs.push_back({&plan.source.columns[size_t(plan.source_columns[i])],
                     &plan.destination.columns[size_t(plan.destination_columns[i])]});
  }
  return pairs;
}

std::string TableCollision(const TableName& first_source, const TableName& first_dest,
                           const TableName& second_source, const TableName& second_dest,
                           const EndpointInfo& to, bool* blocks) {
  const bool same = first_dest == second_dest;
  const bool folded = Lower(first_dest.schema) == Lower(second_dest.schema) &&
                      Lower(first_dest.name) == Lower(second_dest.name);
  *blocks = same || (folded && to.table_names_fold_case);
  if (!*blocks && !(folded && to.traits.table_case_folding_is_setting)) return "";
  return fmt::format(
      "source tables {} and {} would both be copied into {}{}", DisplayName(first_source),
      DisplayName(second_source), DisplayName(first_dest),
      same      ? ""
      : *blocks ? fmt::format(" ({} compares table names ignoring case; rename one in a job file)",
                              to.product)
                : " on a server with lower_case_table_names set (this one keeps them apart)");
}

}  // namespace ferry
