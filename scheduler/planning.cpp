#include "scheduler/planning.hpp"

#include "copier/run_state.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>

#include "copier/error.hpp"
#include "copier/generated.hpp"
#include "copier/text.hpp"

namespace ferry {

namespace {

std::vector<int> ResolveColumns(const Table& table, const std::vector<std::string>& names,
                                const std::string& what) {
  std::vector<int> out;
  for (const std::string& name : names) {
    auto c = table.FindColumn(name);
    if (!c) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("{} names column {}, which the table lacks", what, name),
                  ErrorContext{DisplayName(table.name), name, "", ""});
    }
    out.push_back(*c);
  }
  return out;
}

// The longest identifier the destination keeps (EngineTraits): PostgreSQL cuts longer ones to
// 63 bytes (a table created under a cut name is then not found by its full one, and two long
// names sharing 63 bytes collide); MariaDB refuses more than 64 characters. 0: no limit.
struct IdentifierLimit {
  size_t length = 0;
  bool characters = false;  // counted in characters, else in bytes
};
IdentifierLimit IdentifierLimitOf(const EndpointInfo& end) {
  return {end.traits.max_identifier_length, end.traits.identifier_length_in_characters};
}

bool Continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// `name` cut to the limit on a UTF-8 boundary with a hash of the whole name appended, so
// names that share their first characters stay apart, and the same name is always cut alike.
std::string FitIdentifier(const std::string& name, IdentifierLimit limit) {
  const size_t length =
      limit.characters
          ? size_t(std::count_if(name.begin(), name.end(), [](char c) { return !Continuation(c); }))
          : name.size();
  if (limit.length == 0 || length <= limit.length) return name;
  uint32_t hash = 2166136261u;  // FNV-1a
  for (unsigned char c : name) hash = (hash ^ c) * 16777619u;
  const std::string suffix = fmt::format("_{:08x}", hash);
  const size_t room = limit.length - suffix.size();
  size_t keep = 0;
  if (limit.characters) {
    for (size_t kept = 0; keep < name.size(); ++keep) {
      if (!Continuation(name[keep]) && kept++ == room) break;
    }
  } else {
    keep = room;
    while (keep > 0 && Continuation(name[keep])) --keep;
  }
  return name.substr(0, keep) + suffix;
}

}  // namespace

TableName DestinationOf(const TableName& source, Endpoint& src, Endpoint& dst, const Job& job) {
  TableName out = job.renames.Apply(source, dst.DestinationName(source, src.info().engine),
                                    src.info().default_schema);
  out.name = FitIdentifier(out.name, IdentifierLimitOf(dst.info()));
  return out;
}

namespace {

std::string DestinationColumn(const TableName& table, const std::string& column, Endpoint& src,
                              Endpoint& dst, const Job& job) {
  return FitIdentifier(job.renames.ApplyToColumn(table, column, src.info().default_schema),
                       IdentifierLimitOf(dst.info()));
}

std::string Folded(const std::string& name, bool fold) {
  std::string out = name;
  if (fold) {
    for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Index and constraint names, unique where the destination needs them unique: index names per
// schema in PostgreSQL (where they share the namespace of tables, and unique constraints are
// indexes) and per database in SQLite, foreign key names per database in MariaDB (per table in
// PostgreSQL). A source whose names are per table (MariaDB: idx_fk_film_id on film_actor and on
// inventory) keeps the first and gives the next the table's name in front
// (inventory_idx_fk_film_id), then a number; every name fits the destination's identifier
// length. Plan order decides, so the same source plans the same names.
void AssignObjectNames(Plan& plan, const EndpointInfo& destination) {
  const EngineTraits& traits = destination.traits;
  const IdentifierLimit max = IdentifierLimitOf(destination);
  const bool fold = traits.object_names_fold_case;
  std::set<std::string> taken;
  auto scope = [&](const TableName& table, NameScope where) {
    return where == NameScope::kTable    ? table.schema + "\x1f" + Folded(table.name, fold) + "\x1f"
           : where == NameScope::kSchema ? table.schema + "\x1f"
                                         : std::string("\x1f");
  };
  // Index names share a namespace with tables where they are not per table (PostgreSQL).
  if (traits.index_name_scope != NameScope::kTable) {
    for (const TablePlan& t : plan.tables) {
      taken.insert(scope(t.destination, traits.index_name_scope) +
                   Folded(t.destination.name, fold));
    }
  }
  auto claim = [&](const TablePlan& t, std::string& name, NameScope unique_in) {
    const std::string where = scope(t.destination, unique_in);
    std::string candidate = FitIdentifier(name, max);
    if (candidate.empty() || taken.count(where + Folded(candidate, fold))) {
      candidate = FitIdentifier(t.destination.name + "_" + name, max);
    }
    for (int n = 2; taken.count(where + Folded(candidate, fold)); ++n) {
      candidate = FitIdentifier(t.destination.name + "_" + name + "_" + std::to_string(n), max);
    }
    taken.insert(where + Folded(candidate, fold));
    name = candidate;
  };
  for (TablePlan& t : plan.tables) {
    if (!t.create || t.strategy == Strategy::kSkip) continue;
    for (PlannedIndex& index : t.indexes) claim(t, index.name, traits.index_name_scope);
    for (PlannedForeignKey& fk : t.foreign_keys) {
      // Foreign key names are per table in PostgreSQL and SQLite, per database in MariaDB.
      if (!fk.name.empty()) claim(t, fk.name, traits.foreign_key_name_scope);
    }
  }
}

// The destination columns (indices into copy.destination) an upsert finds existing rows by:
// the destination's primary key, else its first unique key of NOT NULL columns, whose columns
// the copy all writes (a surrogate key the source lacks is passed over for a natural one). A
// table ferry will create holds no rows to update, so it is loaded (empty: none). Throws
// Error(kSchema) naming the table when rows cannot be told apart.
std::vector<int> UpsertKey(const Table& source, const TableCopyPlan& copy) {
  const std::string shown = DisplayName(source.name);
  if (source.RowKey().empty()) {
    throw Error(ErrorCode::kSchema,
                fmt::format("write mode upsert needs a primary key or a unique key of NOT NULL "
                            "columns to match rows by, and table {} has neither; use append or "
                            "truncate for it",
                            shown),
                ErrorContext{shown, "", "", ""});
  }
  if (copy.create) return {};
  const Table& dest = copy.destination;
  std::vector<std::vector<int>> candidates;
  if (!dest.primary_key.empty()) candidates.push_back(dest.primary_key);
  for (const Index& index : dest.unique_indexes) {
    bool not_null = !index.columns.empty() && index.native_definition.empty();
    for (int c : index.columns) not_null = not_null && !dest.columns[size_t(c)].nullable;
    if (not_null) candidates.push_back(index.columns);
  }
  if (candidates.empty()) {
    throw Error(ErrorCode::kSchema,
                fmt::format("write mode upsert needs a primary key or a unique key of NOT NULL "
                            "columns on destination table {} to match rows by, and it has neither",
                            DisplayName(dest.name)),
                ErrorContext{shown, "", "", ""});
  }
  auto written = [&](int c) {
    return std::find(copy.destination_columns.begin(), copy.destination_columns.end(), c) !=
           copy.destination_columns.end();
  };
  for (const std::vector<int>& key : candidates) {
    if (std::all_of(key.begin(), key.end(), written)) return key;
  }
  const std::string& column =
      dest.columns[size_t(*std::find_if_not(candidates.front().begin(), candidates.front().end(),
                                            written))]
          .name;
  throw Error(ErrorCode::kSchema,
              fmt::format("write mode upsert matches rows by a key of destination table {}, but "
                          "the copy writes none of its keys whole (column {} is not copied)",
                          DisplayName(dest.name), column),
              ErrorContext{shown, column, "", ""});
}

}  // namespace

void CheckNotSelfCopy(Endpoint& source, Endpoint& destination, const Job& job,
                      const std::vector<TableName>& in_scope) {
  if (SameDatabase(source.info(), destination.info())) {
    std::vector<std::pair<TableName, TableName>> pairs;
    for (const TableName& name : in_scope) {
      if (job.OverrideFor(name, source.info().default_schema).strategy == Strategy::kSkip) {
        continue;
      }
      pairs.emplace_back(name, DestinationOf(name, source, destination, job));
    }
    RefuseSelfCopy(source.info(), destination.info(), pairs);
  }
  destination.RefuseOtherSource(source.info());
}

void CheckNotSelfCopy(const Plan& plan, const Endpoint& source, const Endpoint& destination) {
  std::vector<std::pair<TableName, TableName>> pairs;
  for (const TablePlan& t : plan.tables) {
    if (t.strategy != Strategy::kSkip) pairs.emplace_back(t.source, t.destination);
  }
  RefuseSelfCopy(source.info(), destination.info(), pairs);
  destination.RefuseOtherSource(source.info());
}

void CheckRenamesMatch(Endpoint& source, const Job& job, const std::vector<Table>& in_scope,
                       const std::vector<TableName>* all) {
  if (job.renames.empty() && job.overrides.empty()) return;
  const std::vector<TableName> listed = all ? *all : source.ListTables();
  const std::string& schema = source.info().default_schema;
  std::vector<std::string> unmatched = job.renames.Unmatched(in_scope, listed, schema);
  const bool renames_only = job.UnmatchedOverrides(listed, schema).empty();
  for (std::string& u : job.UnmatchedOverrides(listed, schema)) unmatched.push_back(u);
  if (unmatched.empty()) return;
  std::string list;
  for (const std::string& u : unmatched) list += "\n    " + u;
  const size_t n = unmatched.size();
  throw Error(ErrorCode::kUsage,
              fmt::format("{} {}{} of the job match{} nothing in {} (mistyped? {}):{}", n,
                          renames_only ? "rename" : "rule", n == 1 ? "" : "s", n == 1 ? "es" : "",
                          source.info().display,
                          renames_only ? "the table or column would be copied under its old name"
                                       : "an override would not apply, a rename would leave the "
                                         "old name",
                          list));
}

bool ReferencesInScope(const Plan& plan, const PlannedForeignKey& fk) {
  return std::any_of(plan.tables.begin(), plan.tables.end(),
                     [&](const TablePlan& t) { return t.destination == fk.references; });
}

std::string OutOfScopeNote(const PlannedForeignKey& fk) {
  return fmt::format(
      "foreign key {} not created: it references {}, which is outside the "
      "copy's scope (add it to the scope, or create the key once it is there)",
      fk.name, DisplayName(fk.references));
}

std::string KeyTypeNote(const Table& table, const PlannedForeignKey& fk, const Table& referenced,
                        const EngineTraits& destination) {
  std::vector<const Column*> from, to;
  for (size_t i = 0; i < fk.columns.size() && i < fk.referenced_columns.size(); ++i) {
    auto a = table.FindColumn(fk.columns[i]);
    auto b = referenced.FindColumn(fk.referenced_columns[i]);
    if (!a || !b) return "";  // said by the key's creation, naming the column
    from.push_back(&table.columns[size_t(*a)]);
    to.push_back(&referenced.columns[size_t(*b)]);
  }
  const std::string problem = ForeignKeyTypeProblem(from, to, destination);
  if (problem.empty()) return "";
  return fmt::format("foreign key {} to {} not created: {} (create it once the types agree)",
                     fk.name, DisplayName(fk.references), problem);
}

std::vector<TableName> TablesInScope(Endpoint& source, const Job& job) {
  return ListSourceTables(source, job).in_scope;
}

SourceTables ListSourceTables(Endpoint& source, const Job& job) {
  std::vector<TablePattern> include, exclude;
  for (const std::string& p : job.include) include.push_back(TablePattern::Parse(p));
  for (const std::string& p : job.exclude) exclude.push_back(TablePattern::Parse(p));
  Scope scope(std::move(include), std::move(exclude));
  const std::string default_schema = source.info().default_schema;
  // A database that was a ferry destination holds ferry's run state: never copy it along.
  SourceTables listed;
  listed.all = source.ListTables();
  std::vector<TableName> names = scope.Select(listed.all, default_schema);
  for (const TableName& t : names) {
    if (IsRunStateTable(t)) listed.run_state.push_back(t);
  }
  std::erase_if(names, [](const TableName& t) { return IsRunStateTable(t); });
  if (names.empty()) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("no table in scope: {} has no tables in schema '{}' matching the "
                            "include/exclude patterns",
                            source.info().display, default_schema));
  }
  listed.in_scope = std::move(names);
  return listed;
}

std::vector<Table> DescribeTables(Endpoint& source, const std::vector<TableName>& names) {
  std::vector<Table> out;
  for (const TableName& name : names) {
    if (std::optional<Table> table = source.DescribeTable(name)) out.push_back(std::move(*table));
  }
  return out;
}

KeyColumnTypes ForeignKeyColumnTypes(const Endpoint& source, const Endpoint& destination,
                                     const std::vector<Table>& tables) {
  if (source.info().engine == destination.info().engine) return {};
  return UnifyForeignKeyTypes(tables, destination.info().traits);
}

TablePlan PlanTable(Endpoint& source, Endpoint& destination, const Job& job, const Table& table,
                    const PartitionOptions& partition_options, std::vector<Error>* problems,
                    TableCopyPlan* copy_out, const KeyColumnTypes* key_types) {
  const std::string default_schema = source.info().default_schema;
  const TableName& name = table.name;
  // A problem with the destination stops planning, unless the caller collects problems (ferry
  // check), which wants the split planned and reported as well.
  auto problem = [&](Error error) {
    if (!problems) throw error;
    problems->push_back(std::move(error));
  };
  const TableOverride over = job.OverrideFor(name, default_schema);
  TablePlan t;
  t.source = name;
  t.destination = DestinationOf(name, source, destination, job);
  t.write_mode = over.write_mode.value_or(job.write_mode);
  t.source_shape = ShapeOf(table);
  t.source_key = ColumnNames(table, table.primary_key);
  t.fingerprint = ShapeFingerprint(table);
  t.estimated_rows = table.estimated_rows;
  t.estimated_bytes = table.estimated_bytes;

  std::vector<ColumnChoice> all;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    all.push_back(
        {int(i), DestinationColumn(name, table.columns[i].name, source, destination, job), ""});
  }
  auto renamed = [&](int column) { return all[size_t(column)].destination; };
  // Generated columns the destination computes (all of them within one engine, those whose
  // expression translates across engines) are not written.
  const std::vector<GeneratedPlan> generated =
      PlanGenerated(table, source.info().engine, destination.info().engine);
  std::vector<ColumnChoice> choices;
  for (ColumnChoice& c : all) {
    if (!generated[size_t(c.source)].expression.empty()) continue;
    if (key_types) {
      auto as = key_types->find({name, table.columns[size_t(c.source)].name});
      if (as != key_types->end()) c.map_as = as->second;
    }
    choices.push_back(c);
  }
  std::vector<std::string> key;
  for (int k : table.primary_key) key.push_back(renamed(k));
  t.primary_key = key;
  try {
    TableCopyPlan copy =
        PlanTableCopy(table, source.info().engine, destination, t.destination, choices, key);
    KeepValueTypes(copy, source.info(), destination.info());
    t.create = copy.create;
    for (size_t i = 0; i < copy.source_columns.size(); ++i) {
      const Column& s = table.columns[size_t(copy.source_columns[i])];
      const Column& d = copy.destination.columns[size_t(copy.destination_columns[i])];
      t.columns.push_back({s.name, d.name, s.type.native, d.type.native});
    }
    if (t.create) {
      t.indexes = PlanIndexes(table, copy, all, source.info().engine == destination.info().engine);
      auto plan_key = [&](const ForeignKey& fk, const TableName& partition) {
        PlannedForeignKey p;
        p.name = fk.name;
        for (int c : fk.columns) p.columns.push_back(renamed(c));
        p.references = DestinationOf(fk.references, source, destination, job);
        for (const std::string& c : fk.referenced_columns) {
          p.referenced_columns.push_back(
              DestinationColumn(fk.references, c, source, destination, job));
        }
        p.on_delete = fk.on_delete;
        p.on_update = fk.on_update;
        p.deferrable = fk.deferrable;
        p.partition = partition;
        t.foreign_keys.push_back(std::move(p));
      };
      for (const ForeignKey& fk : table.foreign_keys) plan_key(fk, {});
      // A partition's own keys, where the destination has the partition (CarryPartitions).
      for (const TablePartition& part : copy.destination.partitions) {
        for (const ForeignKey& fk : part.foreign_keys) plan_key(fk, part.name);
      }
    }
    if (t.write_mode == WriteMode::kCreate && !t.create &&
        destination.HasRows(copy.destination.name)) {
      problem(Error(ErrorCode::kSchema,
                    fmt::format("destination table {} already holds rows; empty it, or choose "
                                "the write mode truncate (--truncate), append (--append) or "
                                "upsert (--write-mode upsert)",
                                DisplayName(copy.destination.name)),
                    ErrorContext{DisplayName(name), "", "", ""}));
    }
    if (t.write_mode == WriteMode::kUpsert) UpsertKey(table, copy);
    if (copy_out) *copy_out = std::move(copy);
  } catch (Error& e) {
    if (!problems || e.code() != ErrorCode::kSchema) throw;
    problems->push_back(std::move(e));
  }

  PartitionOptions options = partition_options;
  if (over.partitions) options.units = *over.partitions;
  if (over.key) options.key = ResolveColumns(table, *over.key, "the split key override");
  if (over.strategy == Strategy::kSingle) options.units = 1;
  if (over.strategy == Strategy::kPageRanges) options.by_location = true;
  if (over.strategy == Strategy::kSkip) {
    t.strategy = Strategy::kSkip;
    t.why = "skipped by the job's override";
    t.partitions = 1;
  } else {
    PartitionPlan parts = PlanPartitions(table, source, options);
    t.strategy = parts.strategy;
    t.why = parts.reason;
    t.partitions = int(parts.units.size());
    if (!parts.units.empty() && !parts.units.front().range.key_columns.empty()) {
      t.split_key = ColumnNames(table, parts.units.front().range.key_columns);
    }
    if (parts.units.size() > 1) {
      for (const WorkUnit& u : parts.units) t.units.push_back(ToPlannedUnit(u.range));
    }
  }
  return t;
}

namespace {

Plan EmptyPlan(const Job& job) {
  Plan plan;
  plan.source = job.source;
  plan.destination = job.destination;
  plan.created_at = UtcTimestamp();
  plan.schema_only = job.schema_only;
  plan.data_only = job.data_only;
  return plan;
}

Table DescribeSource(Endpoint& source, const TableName& name) {
  std::optional<Table> table = source.DescribeTable(name);
  if (!table) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("table {} disappeared from the source", DisplayName(name)));
  }
  return std::move(*table);
}

void CheckDistinctDestinations(const Plan& plan, const EndpointInfo& to) {
  for (size_t i = 0; i < plan.tables.size(); ++i) {
    for (size_t j = i + 1; j < plan.tables.size(); ++j) {
      const TablePlan& a = plan.tables[i];
      const TablePlan& b = plan.tables[j];
      bool blocks = false;
      std::string note =
          TableCollision(a.source, a.destination, b.source, b.destination, to, &blocks);
      if (!blocks) continue;
      throw Error(ErrorCode::kSchema, std::move(note)).WithReason(ErrorReason::kNameCollision);
    }
  }
}

// The work of a planned table once its source shape and column pairing are known.
void Resolve(PreparedTable& prepared, const Table& table, Endpoint& source, Endpoint& destination,
             const PartitionOptions& partition_options) {
  const TablePlan& t = *prepared.plan;
  if (t.write_mode == WriteMode::kUpsert) {
    prepared.upsert_key = UpsertKey(table, prepared.copy);
    prepared.upsert = !prepared.upsert_key.empty();
  }
  prepared.units = PlannedUnits(t, table, source, partition_options, &prepared.why);
  prepared.pass_through = PassesThrough(prepared.copy, source.info(), destination.info());
}

}  // namespace

Plan BuildPlan(Endpoint& source, Endpoint& destination, const Job& job,
               const PartitionOptions& partition_options) {
  Plan plan = EmptyPlan(job);
  const SourceTables listed = ListSourceTables(source, job);
  CheckNotSelfCopy(source, destination, job, listed.in_scope);
  const PlanningDescriptions ahead(source, destination, job, listed.in_scope);
  std::vector<Table> described;
  for (const TableName& name : listed.in_scope) described.push_back(DescribeSource(source, name));
  CheckRenamesMatch(source, job, described, &listed.all);
  const KeyColumnTypes key_types = ForeignKeyColumnTypes(source, destination, described);
  for (const Table& table : described) {
    plan.tables.push_back(PlanTable(source, destination, job, table, partition_options, nullptr,
                                    nullptr, &key_types));
  }
  CheckDistinctDestinations(plan, destination.info());
  CheckNotSelfCopy(plan, source, destination);
  AssignObjectNames(plan, destination.info());
  return plan;
}

PlannedRun PlanAndPrepare(Endpoint& source, Endpoint& destination, const Job& job,
                          const PartitionOptions& partition_options,
                          std::vector<std::optional<Error>>* problems, const SourceTables* listed) {
  PlannedRun run{EmptyPlan(job), {}};
  std::vector<Table> described;
  std::vector<TableCopyPlan> copies;
  const SourceTables source_tables = listed ? *listed : ListSourceTables(source, job);
  const std::vector<TableName>& names = source_tables.in_scope;
  CheckNotSelfCopy(source, destination, job, names);
  const PlanningDescriptions ahead(source, destination, job, names);
  std::vector<std::optional<Error>> not_described(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    described.emplace_back();
    try {
      described.back() = DescribeSource(source, names[i]);
    } catch (Error& e) {
      if (!problems) throw;
      not_described[i] = std::move(e);
    }
  }
  const KeyColumnTypes key_types = ForeignKeyColumnTypes(source, destination, described);
  for (size_t i = 0; i < names.size(); ++i) {
    const TableName& name = names[i];
    copies.emplace_back();
    if (problems) problems->emplace_back();
    try {
      if (not_described[i]) throw *not_described[i];
      // A keyless table cannot be upserted: a tolerant caller (sync) compares it whole instead.
      Job append;
      const bool keyless =
          problems && described[i].RowKey().empty() &&
          job.OverrideFor(name, source.info().default_schema).write_mode.value_or(job.write_mode) ==
              WriteMode::kUpsert;
      if (keyless) {
        append = job;
        append.write_mode = WriteMode::kAppend;
        for (TableOverride& o : append.overrides) o.write_mode.reset();
      }
      run.plan.tables.push_back(PlanTable(source, destination, keyless ? append : job, described[i],
                                          partition_options, nullptr, &copies.back(), &key_types));
    } catch (Error& e) {
      if (!problems) throw;
      e.WithTable(DisplayName(name));
      problems->back() = std::move(e);
      TablePlan failed;
      failed.source = name;
      failed.destination = DestinationOf(name, source, destination, job);
      failed.strategy = Strategy::kSkip;
      failed.why = "not planned: " + std::string(problems->back()->what());
      run.plan.tables.push_back(std::move(failed));
    }
  }
  {
    std::vector<Table> found;  // tables that could not be described are reported on their own
    for (const Table& t : described) {
      if (!t.name.name.empty()) found.push_back(t);
    }
    CheckRenamesMatch(source, job, found, &source_tables.all);
  }
  CheckDistinctDestinations(run.plan, destination.info());
  CheckNotSelfCopy(run.plan, source, destination);
  AssignObjectNames(run.plan, destination.info());
  for (size_t i = 0; i < run.plan.tables.size(); ++i) {
    const TablePlan& t = run.plan.tables[i];
    PreparedTable& prepared = run.tables.emplace_back();
    prepared.plan = &t;
    prepared.strategy = t.strategy;
    prepared.why = t.why;
    prepared.skip = t.strategy == Strategy::kSkip;
    if (prepared.skip) continue;
    prepared.copy = std::move(copies[i]);
    try {
      Resolve(prepared, described[i], source, destination, partition_options);
    } catch (Error& e) {
      if (!problems) throw;
      e.WithTable(DisplayName(t.source));
      (*problems)[i] = std::move(e);
      prepared.skip = true;
    }
  }
  return run;
}

std::vector<WorkUnit> PlannedUnits(const TablePlan& t, const Table& table, Endpoint& source,
                                   const PartitionOptions& partition_options, std::string* why) {
  std::vector<WorkUnit> units;
  std::vector<int> key = ResolveColumns(table, t.split_key, "the plan's split key");
  if (t.units.size() > 1 && int(t.units.size()) == t.partitions) {
    for (size_t u = 0; u < t.units.size(); ++u) {
      WorkUnit unit;
      unit.table = t.source;
      const PlannedUnit& p = t.units[u];
      unit.range.key_columns = p.by_location ? std::vector<int>{} : key;
      unit.range.lo = p.lo;
      unit.range.hi = p.hi;
      unit.range.null_keys = p.null_keys;
      unit.range.by_location = p.by_location;
      units.push_back(std::move(unit));
    }
  } else if (t.partitions <= 1) {
    WorkUnit unit;
    unit.table = t.source;
    units.push_back(std::move(unit));
  } else {
    // The partition count was edited: cut again, on the plan's key.
    PartitionOptions options = partition_options;
    options.units = t.partitions;
    options.key = key;
    options.by_location = t.strategy == Strategy::kPageRanges;
    options.small_table_rows = 0;
    options.small_table_bytes = 0;
    PartitionPlan parts = PlanPartitions(table, source, options);
    units = std::move(parts.units);
    *why = parts.reason + " (re-cut at run time: the plan's partition count changed)";
  }
  for (size_t u = 0; u < units.size(); ++u) {
    units[u].part = int(u);
    units[u].parts = int(units.size());
  }
  return units;
}

std::vector<PreparedTable> PreparePlan(const Plan& plan, Endpoint& source, Endpoint& destination,
                                       const PartitionOptions& partition_options) {
  CheckNotSelfCopy(plan, source, destination);
  std::vector<TableName> from, to;
  for (const TablePlan& t : plan.tables) {
    if (t.strategy == Strategy::kSkip) continue;
    from.push_back(t.source);
    to.push_back(t.destination);
  }
  const DescriptionsAhead at_source(source, from), at_destination(destination, to);
  // Every table first: the types of one table's key columns depend on the tables it references.
  std::vector<std::optional<Table>> tables;
  std::vector<Table> found;
  for (const TablePlan& t : plan.tables) {
    tables.push_back(t.strategy == Strategy::kSkip ? std::nullopt : source.DescribeTable(t.source));
    if (tables.back()) found.push_back(*tables.back());
  }
  const KeyColumnTypes key_types = ForeignKeyColumnTypes(source, destination, found);
  std::vector<PreparedTable> out;
  for (size_t i = 0; i < plan.tables.size(); ++i) {
    const TablePlan& t = plan.tables[i];
    PreparedTable prepared;
    prepared.plan = &t;
    prepared.strategy = t.strategy;
    prepared.why = t.why;
    if (t.strategy == Strategy::kSkip) {
      prepared.skip = true;
      out.push_back(std::move(prepared));
      continue;
    }
    const std::string shown = DisplayName(t.source);
    std::optional<Table>& table = tables[i];
    if (!table) {
      throw Error(ErrorCode::kNotFound, "the plan's source table does not exist",
                  ErrorContext{shown, "", "", ""});
    }
    std::vector<std::string> drift = ShapeDrift(t, *table);
    if (!drift.empty()) {
      std::string list;
      for (const std::string& d : drift) list += "\n    " + d;
      throw Error(ErrorCode::kSchema,
                  fmt::format("the source table changed since the plan was made (make a new "
                              "plan):{}",
                              list),
                  ErrorContext{shown, "", "", ""});
    }
    std::vector<ColumnChoice> choices;
    for (const PlannedColumn& c : t.columns) {
      auto index = table->FindColumn(c.source);
      auto as = key_types.find({t.source, c.source});
      choices.push_back({*index, c.destination, c.destination_type,
                         as == key_types.end() ? std::nullopt : std::optional(as->second)});
    }
    prepared.copy = PlanTableCopy(*table, source.info().engine, destination, t.destination, choices,
                                  t.primary_key);
    KeepValueTypes(prepared.copy, source.info(), destination.info());
    if (t.write_mode == WriteMode::kCreate && !prepared.copy.create &&
        destination.HasRows(prepared.copy.destination.name)) {
      throw Error(
          ErrorCode::kSchema,
          fmt::format("destination table {} already holds rows; empty it, or set the table's "
                      "write_mode in the plan to truncate, append or upsert (`ferry plan` with "
                      "--truncate, --append or --write-mode upsert writes it so)",
                      DisplayName(prepared.copy.destination.name)),
          ErrorContext{shown, "", "", ""});
    }
    Resolve(prepared, *table, source, destination, partition_options);
    out.push_back(std::move(prepared));
  }
  return out;
}

}  // namespace ferry
