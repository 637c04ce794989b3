#include "scheduler/checking.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <tuple>

#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "copier/generated.hpp"
#include "copier/table_plan.hpp"
#include "copier/text.hpp"
#include "scheduler/carried_types.hpp"
#include "scheduler/check_blocked_keys.hpp"
#include "scheduler/check_clone.hpp"
#include "scheduler/check_connections.hpp"
#include "scheduler/check_defaults.hpp"
#include "scheduler/check_objects.hpp"
#include "scheduler/check_sample.hpp"
#include "scheduler/check_scan.hpp"
#include "scheduler/check_scope_notes.hpp"
#include "scheduler/check_table_key.hpp"
#include "scheduler/check_types_needed.hpp"
#include "scheduler/empty_source.hpp"
#include "scheduler/grouped_warnings.hpp"
#include "scheduler/held_keys.hpp"
#include "scheduler/long_values_held.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/schema_clone.hpp"

namespace ferry {

namespace {

EndCheck DescribeEnd(const Endpoint& end) {
  const EndpointInfo& info = end.info();
  return {info.display, EngineName(info.engine), info.product, info.version};
}

// What a copy to another engine does not carry for one table (domain checks in the source's
// own terms, generated columns whose expression does not translate, partitioning, inheritance):
// one warning per rule.
void NoteNotCarried(const Table& table, const std::string& shown, const EndpointInfo& from,
                    const EndpointInfo& to, GroupedWarnings& grouped) {
  for (const Column& c : table.columns) {
    if (!c.domain_check.empty() && PortableCheck(c.domain_check, "x").empty()) {
      grouped.Add("domain check",
                  fmt::format("domain checks written in {}'s own terms are not carried (the "
                              "column gets the domain's base type; recreate the check in {} "
                              "if it is needed)",
                              from.product, to.product),
                  shown, c.name, c.domain + ": CHECK " + c.domain_check);
    }
  }
  const std::vector<GeneratedPlan> generated = PlanGenerated(table, from.engine, to.engine);
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (generated[i].why_not.empty()) continue;
    const Column& c = table.columns[i];
    grouped.Add("generated column",
                fmt::format("generated columns whose expression {} cannot compute as {} does are "
                            "copied as values into plain columns (recreate the generation there "
                            "if it is needed)",
                            to.product, from.product),
                shown, c.name, fmt::format("{}; {}", c.generated, generated[i].why_not));
  }
  // Indexes defined in the source's own terms: the copy leaves them out (planning.cpp).
  for (const auto* list : {&table.unique_indexes, &table.indexes}) {
    for (const Index& i : *list) {
      if (i.native_definition.empty()) continue;
      grouped.Add("not carried",
                  fmt::format("indexes with an expression, a predicate or a method of {}'s own, "
                              "and exclusion constraints, are not carried to {}; recreate them "
                              "there if they are needed",
                              from.product, to.product),
                  shown, "", i.name + ": " + i.native_definition, "indexes");
    }
  }
  if (table.partitioned) {
    grouped.Add("partitioned table",
                fmt::format("partitioned tables are copied as one table holding every "
                            "partition's rows (their partitions are not copied again; {} "
                            "gets no partitioning)",
                            to.product),
                shown, "", "");
  }
  if (table.inheritance_parent || !table.inherits.empty()) {
    grouped.Add("inheritance",
                "tables of an inheritance hierarchy are copied as separate tables, each with "
                "its own rows only (a parent is read ONLY itself); the inheritance itself is "
                "not recreated",
                shown, "", "");
  }
}

// The defaults and checks a table created at another engine leaves out.
void NoteDefaultsAndChecks(const Table& table, const TableCopyPlan& copy, const std::string& shown,
                           const EndpointInfo& from, const EndpointInfo& to,
                           GroupedWarnings& grouped) {
  if (from.engine == to.engine || to.engine == Engine::kFiles) return;
  for (const NotCarried& n : DefaultsAndChecksNotCarried(table, copy, from, to)) {
    grouped.Add(n.kind, n.rule, shown, n.column, n.detail, n.noun);
  }
}

// Key columns the destination had to narrow to fit its key: measured at the source.
void CheckKeyLengths(Endpoint& source, Endpoint& destination, const Table& table,
                     const TableCopyPlan& copy, const std::string& shown,
                     std::vector<Finding>& findings, GroupedWarnings& grouped) {
  const EndpointInfo& from = source.info();
  const EndpointInfo& to = destination.info();
  std::vector<size_t> narrowed;  // positions in copy's column lists
  std::vector<int> measured;     // their source columns
  for (size_t i = 0; i < copy.source_columns.size(); ++i) {
    const Column& s = table.columns[size_t(copy.source_columns[i])];
    const Column& d = copy.destination.columns[size_t(copy.destination_columns[i])];
    const ColumnType mapped_type = destination.MapType(s.type, from.engine);
    if (d.type.native == mapped_type.native || d.type.length < 0) continue;
    narrowed.push_back(i);
    measured.push_back(copy.source_columns[i]);
  }
  if (narrowed.empty()) return;
  std::vector<int64_t> longest_values;
  try {
    longest_values = source.LongestValues(table, measured);  // one pass over the table
  } catch (const Error& e) {
    for (int c : measured) {
      findings.push_back({Severity::kWarning, "key length", shown, table.columns[size_t(c)].name,
                          "could not measure the column's longest value: " + e.message()});
    }
    return;
  }
  for (size_t n = 0; n < narrowed.size(); ++n) {
    const Column& s = table.columns[size_t(copy.source_columns[narrowed[n]])];
    const Column& d = copy.destination.columns[size_t(copy.destination_columns[narrowed[n]])];
    const int64_t longest = longest_values.at(n);
    if (longest > d.type.length) {
      findings.push_back(
          {Severity::kBlocker, "key length", shown, s.name,
           fmt::format("primary key column {} becomes {} to fit {}'s key length limit, but "
                       "the source holds a value of {} {}: shorten it, or key the table "
                       "differently in a job file",
                       s.name, d.type.native, to.product, longest,
                       StorageOf(s.type) == Storage::kBytes ? "bytes" : "characters")});
    } else {
      grouped.Add("key length",
                  fmt::format("primary key columns are made shorter to fit {}'s key length "
                              "limit; every source value fits",
                              to.product),
                  shown, s.name, fmt::format("{}, longest value {}", d.type.native, longest));
    }
  }
}

// The privileges the copy needs at both ends, where their catalogs can tell; whether the
// destination user may create tables is asked once per schema (`can_create`).
void CheckPrivileges(Endpoint& source, Endpoint& destination, const Job& job, const TableName& name,
                     const TablePlan& plan, bool exists,
                     std::map<std::string, std::optional<bool>>& can_create,
                     std::vector<Finding>& findings) {
  const std::string shown = DisplayName(name);
  auto lacks = [&](Endpoint& end, const TableName& on, Privilege privilege) {
    std::optional<bool> has;
    if (privilege == Privilege::kCreate) {
      auto cached = can_create.find(on.schema);
      if (cached == can_create.end()) {
        cached = can_create.emplace(on.schema, end.HasPrivilege(on, privilege)).first;
      }
      has = cached->second;
    } else {
      has = end.HasPrivilege(on, privilege);
    }
    return has.has_value() && !*has;
  };
  if (lacks(source, name, Privilege::kSelect)) {
    findings.push_back({Severity::kBlocker, "privilege", shown, "",
                        fmt::format("the source user may not SELECT from {}", shown)});
  }
  std::vector<Privilege> needed;
  if (!exists) needed.push_back(Privilege::kCreate);
  if (exists && !job.schema_only) needed.push_back(Privilege::kInsert);
  if (exists && plan.write_mode == WriteMode::kTruncate) needed.push_back(Privilege::kTruncate);
  for (Privilege p : needed) {
    if (!lacks(destination, plan.destination, p)) continue;
    findings.push_back(
        {Severity::kBlocker, "privilege", shown, "",
         destination.info().engine == Engine::kSQLite
             ? fmt::format("the destination file {} or its folder is not writable by this user "
                           "(SQLite has no grants: ferry writes the file, and SQLite its journal "
                           "beside it)",
                           destination.info().display)
         : p == Privilege::kCreate
             ? fmt::format("the destination user may not CREATE tables in schema {} (for {}), "
                           "or, where the schema does not exist, create it",
                           plan.destination.schema, DisplayName(plan.destination))
             : fmt::format("the destination user may not {} {}{}", PrivilegeName(p),
                           p == Privilege::kInsert ? "into " : "", DisplayName(plan.destination))});
  }
}

// Source tables named as ferry's run state, which the scope leaves out though its patterns
// select them: a user's own table of that name would otherwise be missing without a word.
void NoteRunStateTables(const SourceTables& listed, GroupedWarnings& grouped) {
  for (const TableName& t : listed.run_state) {
    grouped.Add("not copied",
                "tables named as ferry's own run state (ferry_runs, ferry_tables, ferry_units, "
                "ferry_workers, ferry_leases, or in schema ferry_state) are never copied: ferry "
                "keeps its state there in a database it copied into; rename a table of your own "
                "that has such a name to copy it",
                DisplayName(t), "", "", "tables");
  }
}

// Views, routines, triggers, sequences, events and types a copy leaves behind, one line per kind
// naming each object; and, for a MariaDB clone that keeps its DEFINERs, the accounts the
// destination lacks.
void NoteLeftOut(Endpoint& source, Endpoint& destination, const std::vector<TableName>& scope,
                 const std::vector<Table>& tables, const Plan& plan, bool clones,
                 const CloneOptions& options, const std::string& why_not_cloned,
                 GroupedWarnings& grouped) {
  for (const LeftOut& o :
       ObjectsLeftOut(source, destination, scope, tables, clones, options, why_not_cloned)) {
    if (OfTableOutsideScope(o, tables) || CarriedOnPartition(o, plan)) continue;
    grouped.Add("not carried", o.rule, o.object, "", "", o.kinds);
  }
  if (!clones || !options.keep_definers) return;
  for (const DefinerNote& d : MissingDefiners(source, destination, scope)) {
    grouped.Add("definer",
                "these objects keep their DEFINER (--keep-definers), an account the destination "
                "does not have: they are created, but fail when used until it exists (without "
                "--keep-definers the destination's connecting user becomes their definer)",
                d.object, "", d.account, "objects");
  }
}

// Two source tables landing on one destination table: exactly, or once the destination folds
// case. A case-sensitive MariaDB still takes both, but a dump or replica on a server with
// lower_case_table_names (Windows, macOS) would not.
void CheckTableCollisions(const EndpointInfo& to, CheckReport& report) {
  for (size_t i = 0; i < report.tables.size(); ++i) {
    for (size_t j = i + 1; j < report.tables.size(); ++j) {
      const TableCheck& a = report.tables[i];
      const TableCheck& b = report.tables[j];
      bool blocks = false;
      std::string note =
          TableCollision(a.source, a.destination, b.source, b.destination, to, &blocks);
      if (note.empty()) continue;
      report.findings.push_back({blocks ? Severity::kBlocker : Severity::kWarning, "name collision",
                                 DisplayName(b.source), "", std::move(note)});
    }
  }
}

// Tables, rows and bytes per source schema.
void SumSchemas(CheckReport& report) {
  std::map<std::string, SchemaCheck> schemas;
  for (const TableCheck& t : report.tables) {
    SchemaCheck& s = schemas[t.source.schema];
    s.name = t.source.schema;
    s.tables += 1;
    s.estimated_rows += std::max<int64_t>(t.estimated_rows, 0);
    s.estimated_bytes += std::max<int64_t>(t.estimated_bytes, 0);
  }
  for (auto& [name, s] : schemas) report.schemas.push_back(s);
}

// Every column's mapping, where the plan stops at the first unmappable one: a blocker for each
// type the destination cannot hold, a warning for each that may refuse some values; and the
// plan's other problems, each as the blocker it is.
void CheckColumnTypes(Endpoint& destination, const EndpointInfo& from, const EndpointInfo& to,
                      const Table& table, const TableCopyPlan& copy,
                      const std::vector<Error>& problems, bool exists, bool skip,
                      const std::string& shown, std::vector<Finding>& findings,
                      GroupedWarnings& grouped, GroupedWarnings& unless_cloned) {
  const bool mapped = !copy.source_columns.empty();
  std::vector<std::pair<std::string, std::string>> reported;  // column, message
  auto lossy = [&](const Column& c, const ColumnType& d) {
    if (c.type.kind == TypeKind::kUnsupported && from.engine == to.engine) return;
    if (const std::string note = TextFormNote(c.type, d); !note.empty()) {
      grouped.Add("text form", kTextFormRule, shown, c.name, note);
    }
    if (const std::string note = SpatialBytesNote(c.type, d); !note.empty()) {
      grouped.Add("spatial as bytes", kSpatialBytesRule, shown, c.name, note);
    }
    if (c.case_insensitive && from.engine != to.engine) {
      const auto [kind, rule] = CaseInsensitiveNote(table, c, to.traits);
      grouped.Add(kind, rule, shown, c.name, c.type.native);
    }
    const bool copied = std::any_of(copy.source_columns.begin(), copy.source_columns.end(),
                                    [&](int i) { return table.columns[size_t(i)].name == c.name; });
    if (!c.generated.empty() && !copied) return;  // computed by the destination, not copied
    // Columns with the same risks are one rule (text containing NUL, say).
    std::string risks;
    for (const std::string& risk : FitRisks(c.type, d, from.limits, to.limits)) {
      risks += (risks.empty() ? "" : "; ") + risk;
    }
    if (risks.empty()) return;
    // A same-engine clone makes the column as the source declares it: said only if the run
    // makes it from ferry's model instead, and then only where the declarations differ.
    const bool same = from.engine == to.engine;
    if (same && Lower(c.type.native) == Lower(d.native)) return;
    (same && !exists ? unless_cloned : grouped)
        .Add("lossy type", "ferry would refuse (naming the row) " + risks, shown, c.name,
             fmt::format("{} here, {} at the destination{}", c.type.native, d.native,
                         exists ? " (existing table)" : ""));
  };
  if (!exists && !skip) {
    for (const Column& c : table.columns) {
      try {
        lossy(c, destination.MapType(c.type, from.engine));
      } catch (const Error& e) {
        reported.emplace_back(c.name, e.message());
        // An extension's type that has no counterpart there: what the DBA can do.
        const std::string advice =
            c.extension.empty()
                ? fmt::format(
                      " (leave the table out with --exclude {}, or copy from the source "
                      "a table with the column cast to text, e.g. CREATE TABLE ... AS "
                      "SELECT ..., CAST(...) or ST_AsText(...) for a spatial type)",
                      shown)
                : fmt::format(
                      " ({} comes from PostgreSQL extension {}: leave the table out "
                      "with --exclude {}, or copy it into PostgreSQL)",
                      c.type.native, c.extension, shown);
        findings.push_back({Severity::kBlocker, "type", shown, c.name,
                            fmt::format("column {}: {}{}", c.name, e.message(), advice)});
      }
    }
  }
  for (const Error& e : problems) {
    const std::string& column = e.context().column;
    if (std::find(reported.begin(), reported.end(), std::pair{column, e.message()}) !=
        reported.end()) {
      continue;
    }
    std::string kind = e.code() == ErrorCode::kUsage               ? "write mode"
                       : e.reason() == ErrorReason::kNameCollision ? "name collision"
                       : !exists                                   ? "type"
                       : mapped                                    ? "destination rows"
                                                                   : "destination shape";
    findings.push_back({Severity::kBlocker, kind, shown, column, e.message()});
  }

  if (exists && mapped && !skip) {
    for (const ColumnPairing& pair : PairColumns(copy)) lossy(*pair.source, pair.destination->type);
  }
}

// Whether ferry copies between the two ends at all, what one end's nature means for every
// table, and that they are not one database.
void CheckPair(Endpoint& source, Endpoint& destination, const Job& job, bool allow_empty_source,
               CheckReport& report) {
  const EndpointInfo& from = source.info();
  const EndpointInfo& to = destination.info();
  report.pair_supported = from.traits.copies && to.traits.copies;
  if (!report.pair_supported) {
    report.findings.push_back(
        {Severity::kBlocker, "pair", "", "",
         fmt::format("ferry does not copy from {} to {}: it copies between PostgreSQL, "
                     "MariaDB/MySQL and SQLite",
                     from.product, to.product)});
  }
  // Engine-wide properties that only some values trip over: said once, not per column.
  if (!from.traits.enforces_declared_types && to.traits.enforces_declared_types) {
    report.findings.push_back(
        {Severity::kWarning, "lossy type", "", "",
         fmt::format("{} does not enforce declared column types: a value stored with another "
                     "type than its column declares (text in an INTEGER column, say) is "
                     "refused, naming its row",
                     from.product)});
  }

  try {
    CheckNotSelfCopy(source, destination, job, TablesInScope(source, job));
  } catch (const Error& e) {
    // Two databases: a staging directory that holds another source's export.
    const char* rule = SameDatabase(from, to) ? "same database" : "other source";
    report.findings.push_back({Severity::kBlocker, rule, "", "", e.message()});
  }
  if (allow_empty_source) return;
  try {
    RefuseEmptySourceOverRows(
        source, destination,
        TablesReadAndWritten(source, destination, job, TablesInScope(source, job)));
  } catch (const Error& e) {
    report.findings.push_back({Severity::kBlocker, "empty source", "", "", e.message()});
  }
}

// Units the source can no longer give (a staging directory an earlier import took files
// from): a run refuses them before it writes, so check does too.
void CheckReadable(Endpoint& source, Endpoint& destination, const std::vector<Table>& tables,
                   const std::vector<TableCheck>& checks, CheckReport& report) {
  std::vector<WorkUnit> units;
  for (size_t i = 0; i < tables.size(); ++i) {
    if (checks[i].strategy == Strategy::kSkip) continue;
    const std::vector<KeyRange> stored = source.StoredUnits(tables[i]);
    for (size_t part = 0; part < stored.size(); ++part) {
      units.push_back({tables[i].name, int(part), int(stored.size()), stored[part]});
    }
  }
  if (units.empty()) return;
  try {
    source.PrepareToRead(units, destination.info());
  } catch (const Error& e) {
    report.findings.push_back({Severity::kBlocker, "files gone", "", "", e.message()});
  }
}

// Foreign keys by table, and the destination tables as the copy creates or finds them.
struct PlannedKeys {
  std::vector<CheckedForeignKey> foreign_keys;
  std::map<TableName, Table> created;
};

// Keys to tables out of scope, and keys whose column types the destination refuses: the run
// leaves both out and says so.
void NoteForeignKeys(const std::vector<TableCheck>& tables, const PlannedKeys& keys,
                     const EngineTraits& destination, GroupedWarnings& grouped) {
  for (const auto& [shown, at, fk] : keys.foreign_keys) {
    const bool in_scope = std::any_of(tables.begin(), tables.end(), [&](const TableCheck& t) {
      return t.destination == fk.references;
    });
    if (in_scope && keys.created.count(at) && keys.created.count(fk.references)) {
      const std::string note =
          KeyTypeNote(keys.created.at(at), fk, keys.created.at(fk.references), destination);
      if (!note.empty()) {
        grouped.Add("foreign key types",
                    "foreign keys the destination refuses for their columns' types are not "
                    "created (the run summary lists them too)",
                    shown, "", fk.name + ": " + note.substr(note.find(": ") + 2));
      }
    }
    if (in_scope) continue;
    grouped.Add("foreign key out of scope",
                "foreign keys to tables outside the copy's scope are not created (the run "
                "summary lists them too)",
                shown, "", fmt::format("{} to {}", fk.name, DisplayName(fk.references)));
  }
}

// Rows the source holds without their parent: copied as they are, the key not created across
// engines (a SQLite clone keeps it as the file declares it; SQLite does not enforce it).
void NoteDangling(Endpoint& source, const Table& table, const PlannedForeignKey& fk,
                  const std::string& shown, GroupedWarnings& grouped) {
  const std::string note = DanglingNote(source, table, fk);
  if (note.empty()) return;
  grouped.Add("dangling references",
              "foreign keys some source rows break (SQLite enforces none unless PRAGMA "
              "foreign_keys is on): the rows are copied as they are, and into another engine "
              "the key is not created (the run summary lists them too)",
              shown, "", note.substr(std::string("foreign key ").size()), "foreign keys");
}

void NoteCaseFolding(Endpoint& source, Endpoint& destination, const Table& table,
                     const std::string& shown, std::optional<std::string>& folding,
                     GroupedWarnings& grouped) {
  for (const CaseFoldingNote& n : CaseFoldingNotes(source, destination, table, folding)) {
    grouped.Add("case mapping",
                "generated columns computed with lower/upper where the two ends change the "
                "case of some letters differently (their values may differ; verify does not "
                "compare computed columns)",
                shown, n.column, n.detail);
  }
}

// The destination's foreign keys on the existing tables the run loads (held_keys.hpp).
void CheckLoadedKeys(Endpoint& destination, const Job& job, const Plan& plan, CheckReport& report) {
  if (job.schema_only) return;
  std::vector<TableName> loaded, truncated;
  for (size_t i = 0; i < report.tables.size(); ++i) {
    if (!report.tables[i].destination_exists || plan.tables[i].strategy == Strategy::kSkip) {
      continue;
    }
    loaded.push_back(report.tables[i].destination);
    if (plan.tables[i].write_mode == WriteMode::kTruncate) {
      truncated.push_back(report.tables[i].destination);
    }
  }
  CheckHeldKeys(destination, loaded, truncated, report.findings);
}

}  // namespace

const char* SeverityName(Severity severity) {
  return severity == Severity::kBlocker ? "blocker" : "warning";
}

int CheckReport::blockers() const {
  return int(std::count_if(findings.begin(), findings.end(),
                           [](const Finding& f) { return f.severity == Severity::kBlocker; }));
}

int CheckReport::warnings() const {
  return int(findings.size()) - blockers();
}

namespace {

// Columns whose long values the copy holds whole in memory (an engine's own limit), one group.
void NoteLongValuesHeld(Endpoint& source, Endpoint& destination, const TableCopyPlan& copy,
                        const std::string& shown, GroupedWarnings& grouped) {
  for (const HeldColumn& held : LongValuesHeldWhole(source, destination, copy)) {
    grouped.Add("memory",
                fmt::format("values longer than the long-value threshold are held whole in "
                            "memory when {}, beyond --memory-limit ({})",
                            held.at_source ? "read" : "written", held.held.reason),
                shown, held.column, "");
  }
}

Finding RowSecurityBlocker(const std::string& shown) {
  return {Severity::kBlocker, "row security", shown, "",
          fmt::format("row-level security policies of {} let the source user read only some of "
                      "its rows (the run would fail rather than copy them): copy as the table's "
                      "owner, a superuser or a role with BYPASSRLS",
                      shown)};
}

// Without a clone, the run makes what the columns of the tables it creates need first
// (CopyRun::CarryTypes); a clone makes it itself and says what it cannot (CheckClone).
void CheckMadeFirst(Endpoint& source, Endpoint& destination,
                    const std::vector<ExtensionColumn>& extension_columns,
                    const std::vector<TableName>& created, std::vector<Finding>& findings) {
  CheckExtensionsNeeded(destination, extension_columns, findings);
  CheckCarriedTypes(source, destination, created, findings);
}

// The tables the run reads, each with its columns' types as the run reads them.
std::vector<Table> ReadableTables(const std::vector<Table>& tables,
                                  const std::vector<TableCheck>& checks,
                                  const std::map<TableName, Table>& read_as) {
  std::vector<Table> readable;
  for (size_t i = 0; i < tables.size(); ++i) {
    if (checks[i].strategy == Strategy::kSkip) continue;
    auto as = read_as.find(tables[i].name);
    readable.push_back(as != read_as.end() ? as->second : tables[i]);
  }
  return readable;
}

}  // namespace

CheckReport CheckCopy(Endpoint& source, Endpoint& destination, const Job& job,
                      const CheckOptions& options) {
  CheckReport report;
  report.source = DescribeEnd(source);
  report.destination = DescribeEnd(destination);
  report.readers = std::max(options.readers, 1);
  const EndpointInfo from = AsExported(source.info());
  const EndpointInfo& to = destination.info();
  CheckPair(source, destination, job, options.allow_empty_source, report);
  CheckConnections(source, destination, options.writers, report);
  std::vector<Table> tables;
  Plan clone_plan{.data_only = job.data_only};  // what `ferry run` would clone (same engine)
  std::vector<bool> clone_copied;
  std::map<std::string, std::optional<bool>> can_create;  // per destination schema
  GroupedWarnings grouped, unless_cloned;
  const SourceTables listed = ListSourceTables(source, job);
  const std::vector<TableName>& scope = listed.in_scope;
  const PlanningDescriptions ahead(source, destination, job, scope);  // planning changes neither
  NoteRunStateTables(listed, grouped);
  PlannedKeys keys;
  std::map<TableName, TableCopyPlan> sample_copies, passed;
  std::map<TableName, Table> read_as;
  std::optional<std::string> folding;              // how the destination maps case, once asked
  std::vector<ExtensionColumn> extension_columns;  // of tables ferry creates, same engine
  std::vector<TableName> created;                  // those tables
  std::vector<Table> described = DescribeTables(source, scope);
  const KeyColumnTypes key_types = ForeignKeyColumnTypes(source, destination, described);
  for (Table& each : described) {
    std::optional<Table> table = std::move(each);
    const TableName name = table->name;
    const std::string shown = DisplayName(name);
    std::vector<Error> problems;
    TableCopyPlan copy;
    TablePlan plan = PlanTable(source, destination, job, *table, options.partitions, &problems,
                               &copy, &key_types);
    const bool mapped = !copy.source_columns.empty();
    bool exists = false;
    try {
      exists = destination.DescribeTable(plan.destination).has_value();
    } catch (const Error&) {
      // A name the destination cannot hold: PlanTable reported it among the problems.
    }
    TableCheck t = StartTableCheck(*table, plan, exists);
    std::vector<Finding> key_findings;
    DescribeKey(*table, from, t, key_findings);
    RecommendSync(*table, from, t);
    if (plan.strategy != Strategy::kSkip) {
      report.findings.insert(report.findings.end(), key_findings.begin(), key_findings.end());
    }

    if (!exists && plan.strategy != Strategy::kSkip && from.engine != to.engine) {
      NoteNotCarried(*table, shown, from, to, grouped);
      NoteCaseFolding(source, destination, *table, shown, folding, grouped);
    }
    if (!exists && mapped && plan.strategy != Strategy::kSkip) {
      NoteDefaultsAndChecks(*table, copy, shown, from, to, grouped);
      CheckKeyLengths(source, destination, *table, copy, shown, report.findings, grouped);
    }
    CheckColumnTypes(destination, from, to, *table, copy, problems, exists,
                     plan.strategy == Strategy::kSkip, shown, report.findings, grouped,
                     unless_cloned);
    if (mapped && plan.strategy != Strategy::kSkip) {
      NoteLongValuesHeld(source, destination, copy, shown, grouped);
    }
    if (!exists && plan.strategy != Strategy::kSkip && from.engine == to.engine) {
      if (mapped) NotePartitionsDropped(*table, copy, shown, unless_cloned);
      AddExtensionColumns(*table, shown, extension_columns);
      created.push_back(name);
    }

    if (plan.strategy != Strategy::kSkip) {
      CheckPrivileges(source, destination, job, name, plan, exists, can_create, report.findings);
      if (table->row_security) report.findings.push_back(RowSecurityBlocker(shown));
    }
    if (options.scan && mapped && plan.strategy != Strategy::kSkip) {
      ScanTable(source, *table, copy, from, to, report.findings);
    }
    for (const PlannedForeignKey& fk : plan.foreign_keys) {
      keys.foreign_keys.emplace_back(shown, plan.destination, fk);
      if (plan.strategy != Strategy::kSkip) NoteDangling(source, *table, fk, shown, grouped);
    }
    if (mapped) keys.created[plan.destination] = copy.destination;
    // Tables ferry creates: the sample converts their rows as the run would. (An existing
    // table's refusals are the shape check's to say.)
    if (mapped && !exists) sample_copies[name] = copy;
    if (mapped && PassesThrough(copy, source.info(), destination.info())) passed[name] = copy;
    if (mapped) read_as[name] = copy.source;  // its columns' types as the run reads them
    report.tables.push_back(std::move(t));
    tables.push_back(std::move(*table));
    clone_copied.push_back(plan.strategy != Strategy::kSkip);
    clone_plan.tables.push_back(std::move(plan));
  }
  std::string why_not_cloned;
  const bool clones = CheckClone(source, destination, clone_plan, clone_copied, options,
                                 &why_not_cloned, report, grouped);
  try {
    CheckRenamesMatch(source, job, tables);
  } catch (const Error& e) {
    report.findings.push_back({Severity::kBlocker, "rename", "", "", e.message()});
  }
  NoteForeignKeys(report.tables, keys, to.traits, grouped);
  NoteUndeferrableKeys(keys.foreign_keys, to.traits, grouped);
  if (report.pair_supported)
    NoteLeftOut(source, destination, scope, tables, clone_plan, clones, options.clone,
                why_not_cloned, grouped);
  grouped.AppendTo(report.findings);
  if (!clones) unless_cloned.AppendTo(report.findings);
  if (!clones) CheckMadeFirst(source, destination, extension_columns, created, report.findings);
  CheckLoadedKeys(destination, job, clone_plan, report);
  if (!job.schema_only) CheckReadable(source, destination, tables, report.tables, report);

  CheckTableCollisions(to, report);
  SumSchemas(report);
  report.sample = SampleReads(source, ReadableTables(tables, report.tables, read_as), options,
                              report.findings, &sample_copies, &to.limits, &passed);
  Estimate(report, tables, report.sample);
  NoteKeysToBlockedTables(report.tables, keys.foreign_keys, report.findings);
  return report;
}

}  // namespace ferry
