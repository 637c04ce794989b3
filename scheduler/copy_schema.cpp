// The phases of a copy run that make schema objects: an edited plan's DDL tried before the first
// write, and, once the rows are in, primary keys, indexes, foreign keys, identity counters and
// sequences (or a clone's own objects). See copy_run_phases.hpp.
#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <functional>
#include <set>
#include <thread>

#include "copier/foreign_keys.hpp"
#include "copier/table_plan.hpp"
#include "scheduler/carried_types.hpp"
#include "scheduler/copy_run_phases.hpp"
#include "scheduler/parallel_for.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

namespace {

// Whether the destination table already has an index (or unique constraint) on exactly these
// columns, or such a foreign key: a resumed run may find what the interrupted one built.
bool HasIndexOn(const Table& table, const std::vector<int>& columns) {
  for (const auto* list : {&table.unique_indexes, &table.indexes}) {
    for (const Index& index : *list) {
      if (index.columns == columns) return true;
    }
  }
  return false;
}

bool HasForeignKeyOn(const Table& table, const std::vector<int>& columns) {
  for (const ForeignKey& fk : table.foreign_keys) {
    if (fk.columns == columns) return true;
  }
  return false;
}

// Runs a statement that opens its own connection (a key, an index, a foreign key), again after
// a transient failure (a dropped connection, a deadlock) with growing pauses, as units are.
template <typename Call>
void WithRetries(const EngineOptions& engine, Call call) {
  for (int attempt = 1;; ++attempt) {
    try {
      call();
      return;
    } catch (const Error& e) {
      if (!IsTransient(e) || attempt >= std::max(engine.max_attempts, 1) || StopRequested()) {
        throw;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(
        int64_t(engine.retry_delay * 1000 * double(1 << std::min(attempt - 1, 6)))));
  }
}

Index ToIndex(const PlannedIndex& planned, const Table& destination) {
  Index index;
  index.name = planned.name;
  index.unique = planned.unique;
  index.native_definition = planned.native_definition;
  index.columns = DestinationColumns(destination, planned.columns);
  return index;
}

// The table an index is built on: the table, or one of its partitions (same columns).
Table On(const PlannedIndex& planned, const Table& destination) {
  Table on = destination;
  if (!planned.partition.name.empty()) {
    on.name = planned.partition;
    on.partition_key.clear();
    on.partitions.clear();
  }
  return on;
}

// The columns of `name`: a table the plan creates, or one the destination has.
std::optional<std::vector<std::string>> ColumnsOf(const TableName& name,
                                                  const std::vector<PreparedTable>& tables,
                                                  Endpoint& destination) {
  for (const PreparedTable& other : tables) {
    if (!other.skip && other.copy.destination.name == name) {
      std::vector<std::string> names;
      for (const Column& c : other.copy.destination.columns) names.push_back(c.name);
      return names;
    }
  }
  if (auto existing = destination.DescribeTable(name)) {
    std::vector<std::string> names;
    for (const Column& c : existing->columns) names.push_back(c.name);
    return names;
  }
  return std::nullopt;
}

// A plan file's foreign keys name columns that exist at both of their ends. A key to a table
// outside the plan is not created (BuildForeignKeys says so), as in a run without a plan file,
// so it is not checked either: `ferry plan --include` keeps such keys. Throws Error(kSchema)
// naming the table and the plan field.
void CheckPlannedForeignKeys(const Plan& plan, size_t i, const std::vector<PreparedTable>& tables,
                             Endpoint& destination) {
  const PreparedTable& t = tables[i];
  const std::string shown = DisplayName(t.plan->source);
  for (size_t f = 0; f < t.plan->foreign_keys.size(); ++f) {
    const PlannedForeignKey& fk = t.plan->foreign_keys[f];
    if (!ReferencesInScope(plan, fk)) continue;
    const std::string where = fmt::format("$.tables[{}].foreign_keys[{}] ({})", i, f, fk.name);
    for (const std::string& c : fk.columns) {
      if (!t.copy.destination.FindColumn(c)) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("the plan's {} names column {}, which destination table {} "
                                "does not have",
                                where, c, DisplayName(t.copy.destination.name)),
                    ErrorContext{shown, c, "", ""});
      }
    }
    std::optional<std::vector<std::string>> referenced =
        ColumnsOf(fk.references, tables, destination);
    if (!referenced) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("the plan's {} references table {}, which neither the plan "
                              "creates nor the destination has",
                              where, DisplayName(fk.references)),
                  ErrorContext{shown, "", "", ""});
    }
    for (const std::string& c : fk.referenced_columns) {
      if (std::find(referenced->begin(), referenced->end(), c) == referenced->end()) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("the plan's {} references column {}.{}, which does not exist",
                                where, DisplayName(fk.references), c),
                    ErrorContext{shown, c, "", ""});
      }
    }
  }
}

}  // namespace

// What the columns of tables ferry creates with its own DDL need at a destination of the
// source's engine that the destination may lack: types only the source database defines
// (PostgreSQL's domains, enums, composite and range types, the functions they call) and the
// extensions that provide types (contrib lo, citext, hstore...), read from the source's catalog
// before anything is written; a staging directory keeps them for its import.
void CopyRun::ReadCarriedTypes() {
  if (clone_ || plan_.data_only || types_read_) return;
  types_read_ = true;
  if (!destination_.KeepsSourcePosition() && source_.info().engine != destination_.info().engine) {
    return;
  }
  std::vector<TableName> created;
  bool specific = false;
  for (const PreparedTable& t : tables_) {
    if (t.skip || !t.copy.create) continue;
    created.push_back(t.plan->source);
    for (const Column& c : t.copy.source.columns) {
      // Enums, composites, domains, arrays of them, an extension's types.
      specific |= !c.extension.empty() || c.type.database_specific;
    }
  }
  if (specific) carried_types_ = source_.ColumnTypes(created);
}

// Made in one transaction before the first table: a failure makes nothing and stops the run
// (ferry check has tried the same statements, CheckCarriedTypes).
void CopyRun::CarryTypes() {
  ReadCarriedTypes();
  if (!carried_types_ || types_carried_) return;
  types_carried_ = true;
  const std::vector<TypeFailure> failed = MakeTypes(destination_, *carried_types_, true);
  if (failed.empty()) return;
  recorder_.Abandon();
  throw TypeError(failed.front());
}

// An edited plan's DDL, tried before the first write (CopyOptions::try_ddl_first): tables to
// create with their keys and indexes at the destination, foreign keys against the plan's and
// the destination's tables. Throws Error(kSchema) naming the table and the plan field.
void CopyRun::TryPlannedDdl() const {
  for (size_t i = 0; i < tables_.size(); ++i) {
    const PreparedTable& t = tables_[i];
    if (t.skip) continue;
    CheckPlannedForeignKeys(plan_, i, tables_, destination_);
    if (!t.copy.create || recorder_.Started(i)) continue;
    std::vector<Index> indexes;
    for (size_t x = 0; x < t.plan->indexes.size() && !plan_.data_only; ++x) {
      const PlannedIndex& planned = t.plan->indexes[x];
      try {
        // A partition's own index waits for the partition, made with the table.
        if (!planned.partition.name.empty()) continue;
        indexes.push_back(ToIndex(planned, t.copy.destination));
      } catch (Error& e) {
        e.WithAdvice(
            fmt::format("the plan's $.tables[{}].indexes[{}] ({}) names it", i, x, planned.name));
        throw;
      }
    }
    try {
      destination_.TryCreateTable(t.copy.destination, indexes);
    } catch (Error& e) {
      e.WithAdvice(fmt::format(
          "see the plan's $.tables[{}]: its columns' destination_type, primary_key and indexes",
          i));
      throw;
    }
  }
}

// What waits for a table's rows: its primary key (when deferred; a failure fails the table),
// then its other indexes (a failure is the table's schema error).
void CopyRun::BuildIndexes(size_t i) {
  const PreparedTable& prepared = tables_[i];
  TableOutcome& t = report_.tables[i];
  if (deferred_keys_[i]) {
    if (!SharedBuildStep(i)) return;
    const std::vector<int> key = deferred_keys_[i]->primary_key;
    auto there = [&] {
      std::optional<Table> now = SharedDescribe(i);
      return now && now->primary_key == key;
    };
    if (!there()) {
      const Clock::time_point key_start = Clock::now();
      try {
        WithRetries(engine_, [&] { destination_.AddPrimaryKey(*deferred_keys_[i]); });
      } catch (const Error&) {
        if (!there()) throw;  // made meanwhile by the worker that took the build over
      }
      t.key_seconds = SecondsSince(key_start);
    }
  }
  if (!prepared.copy.create || plan_.data_only || clone_) return;
  for (const PlannedIndex& planned : prepared.plan->indexes) {
    try {
      if (!SharedBuildStep(i)) return;
      const Index index = ToIndex(planned, prepared.copy.destination);
      // The same columns and uniqueness: what an interrupted run, or a builder of this shared
      // run whose lease ran out, built already.
      auto there = [&](const Table& table) {
        if (!planned.native_definition.empty()) return false;
        for (const auto* list : {&table.unique_indexes, &table.indexes}) {
          for (const Index& built : *list) {
            if (built.columns == index.columns && built.unique == index.unique) return true;
          }
        }
        return false;
      };
      if (recorder_.resuming() && !recorder_.shared() && planned.native_definition.empty() &&
          HasIndexOn(prepared.copy.destination, index.columns)) {
        continue;  // built before the interruption
      }
      if (std::optional<Table> now = SharedDescribe(i); now && there(*now)) continue;
      try {
        WithRetries(engine_, [&] {
          destination_.CreateIndex(On(planned, prepared.copy.destination), index);
        });
      } catch (const Error&) {
        std::optional<Table> now = SharedDescribe(i);
        if (!now || !there(*now)) throw;
        continue;
      }
      ++t.indexes_built;
    } catch (const std::exception& e) {
      // A shared run's builder meeting the destination gone tries the whole build again later
      // (BuildSharedTable); the table has not failed.
      const Error* error = dynamic_cast<const Error*>(&e);
      if (recorder_.shared() && error && IsTransient(*error)) throw;
      std::lock_guard lock(errors_mutex_);
      t.schema_errors.push_back(fmt::format("index {}: {}", planned.name, e.what()));
    }
  }
}

// A shared run's table build, statement by statement: DDL commits at once on MariaDB (and a
// key or index cannot be built in the transaction of a lease check anywhere), so before each
// statement (and before the table's outcome is recorded) this worker asks whether it still
// holds the table's build lease. A builder frozen
// past its lease wakes, finds the build taken over, and stops there; a statement it had under
// way when it froze finds what it makes already there (SharedDescribe) and is skipped. A run
// of one process builds on (true), past the stop-in-build test seam.
bool CopyRun::SharedBuildStep(size_t i, bool statement) {
  const SharedWork* shared = recorder_.shared();
  if (shared && !recorder_.store().ClaimLease(recorder_.run_id(), fmt::format("table {}", i),
                                              shared->worker, shared->lease_ms)) {
    std::lock_guard lock(shared_mutex_);
    build_lost_.insert(i);
    return false;
  }
  const TestHooks& hooks = engine_.test_hooks;
  if (statement && hooks.stop_in_build > 0 && ++build_statements_ == hooks.stop_in_build) {
    raise(SIGSTOP);
  }
  return true;
}

std::optional<Table> CopyRun::SharedDescribe(size_t i) {
  bool partly_built = false;  // a build put off after the copy may have made some of it
  {
    std::lock_guard lock(errors_mutex_);
    partly_built = builds_after_copy_.count(i) > 0;
  }
  if (!recorder_.shared() && !partly_built) return std::nullopt;
  return destination_.DescribeTable(tables_[i].copy.destination.name);
}

// A schema-only run has no units, and a resumed table may have none left: their keys and
// indexes are built here, and those of tables whose build could not get a session during the
// copy.
void CopyRun::BuildIndexesWithoutUnits() {
  std::vector<std::function<void()>> tasks;
  for (size_t i = 0; i < tables_.size(); ++i) {
    if (report_.tables[i].state != TableState::kDone || tables_[i].skip) continue;
    if (!plan_.schema_only && jobs_of_table_[i] > 0 && builds_after_copy_.count(i) == 0) continue;
    if (StopRequested()) break;
    tasks.push_back([this, i] {
      try {
        BuildIndexes(i);
      } catch (const std::exception& e) {
        std::lock_guard lock(errors_mutex_);
        TableOutcome& t = report_.tables[i];
        t.state = TableState::kFailed;
        const Error* error = dynamic_cast<const Error*>(&e);
        t.error = error ? *error : Error(ErrorCode::kInternal, e.what());
        t.error->WithTable(DisplayName(t.source));
      }
    });
  }
  // Each build is one long statement: a few at a time use the server's cores.
  ParallelFor(tasks.size(), engine_.writers, [&](size_t i) { tasks[i](); });
}

void CopyRun::IndexesAndConstraints() {
  // Keys set aside for the load come back however the load ended (stopped, tables failed).
  RestoreHeldKeys();
  // A clone's keys, indexes, foreign keys, triggers and materialized views, then its sequences;
  // not after a stop, nor once the destination's disk filled (the build would fail for want of
  // room and mark the run failed, where --resume builds them once there is room).
  const bool full = std::any_of(report_.tables.begin(), report_.tables.end(), [](const auto& t) {
    return t.state == TableState::kInterrupted && t.error &&
           t.error->code() == ErrorCode::kDiskFull;
  });
  if (clone_ && !StopRequested() && !full) CloneAfterData();
  // Foreign keys last: every table they reference must be loaded and keyed. Then identity
  // counters, so new rows continue after the copied ones and where the source's counters stand.
  if (!plan_.data_only && !clone_) {
    BuildChecks();
    BuildForeignKeys();
  }
  SyncIdentityCounters();
  if (!clone_ && !plan_.schema_only && !plan_.data_only) CarryStandaloneSequences();
  if (destination_.KeepsSchema() && !plan_.schema_only) KeepSourceSequences();
}

void CopyRun::CloneAfterData() {
  // The dump names a table as the source does (MariaDB: in the source's database).
  auto outcome_of = [&](const TableName& table) {
    return std::find_if(report_.tables.begin(), report_.tables.end(), [&](const TableOutcome& t) {
      return t.destination == table || t.source == table;
    });
  };
  for (const auto& [table, note] : clone_->left_out()) {
    auto at = outcome_of(table);
    (at == report_.tables.end() ? report_.warnings : at->warnings).push_back(note);
  }
  auto failed = [&](const TableName& table) {
    auto at = outcome_of(table);
    return at != report_.tables.end() && at->state == TableState::kFailed;
  };
  for (auto& [table, error] :
       clone_->CreateAfterData(destination_, engine_.writers, recorder_.resuming(), failed)) {
    auto at = outcome_of(table);
    (at == report_.tables.end() ? report_.schema_errors : at->schema_errors).push_back(error);
  }
  if (!plan_.schema_only) {
    for (std::string& error : clone_->CopySequences(source_, destination_)) {
      report_.schema_errors.push_back(std::move(error));
    }
  }
}

std::string DanglingNote(Endpoint& source, const Table& table, const PlannedForeignKey& fk) {
  auto key = std::find_if(table.foreign_keys.begin(), table.foreign_keys.end(),
                          [&](const ForeignKey& k) { return k.name == fk.name; });
  const std::string row =
      key == table.foreign_keys.end() ? "" : source.DanglingReference(table, *key);
  if (row.empty()) return "";
  return fmt::format(
      "foreign key {} not created: the source holds rows that reference no row of "
      "{} (as {} does), copied as they are",
      fk.name, DisplayName(key->references), row);
}

void CopyRun::BuildForeignKeys() {
  std::vector<std::function<void()>> tasks;
  for (size_t i = 0; i < tables_.size(); ++i) {
    if (report_.tables[i].state != TableState::kDone || !tables_[i].copy.create) continue;
    for (const PlannedForeignKey& planned : tables_[i].plan->foreign_keys) {
      // A key to a table outside the copy's scope would fail the table, or hold only where that
      // table happens to exist: skipped, and said (ferry check says it first).
      if (!ReferencesInScope(plan_, planned)) {
        report_.tables[i].warnings.push_back(OutOfScopeNote(planned));
        continue;
      }
      // A key the destination would refuse for its columns' types (ferry check says it first).
      auto referenced = std::find_if(tables_.begin(), tables_.end(), [&](const PreparedTable& t) {
        return t.plan->destination == planned.references && !t.skip;
      });
      if (referenced != tables_.end()) {
        std::string note = KeyTypeNote(tables_[i].copy.destination, planned,
                                       referenced->copy.destination, destination_.info().traits);
        if (!note.empty()) {
          report_.tables[i].warnings.push_back(std::move(note));
          continue;
        }
      }
      // Rows the source holds without their parent (a SQLite file, whose foreign_keys pragma
      // is off by default) would fail the key: left out, the rows copied as they are (ferry
      // check says it first).
      if (std::string note = DanglingNote(source_, tables_[i].copy.source, planned);
          !note.empty()) {
        report_.tables[i].warnings.push_back(std::move(note));
        continue;
      }
      const Table* keyed = referenced != tables_.end() ? &referenced->copy.destination : nullptr;
      tasks.push_back([this, i, planned, keyed] {
        TableOutcome& t = report_.tables[i];
        Table at = tables_[i].copy.destination;
        // A partition's own key is added to that partition, which has the table's columns.
        if (!planned.partition.name.empty()) at.name = planned.partition;
        try {
          ForeignKey fk;
          fk.name = planned.name;
          fk.columns = DestinationColumns(at, planned.columns);
          if (recorder_.resuming() && planned.partition.name.empty() &&
              HasForeignKeyOn(at, fk.columns)) {
            return;
          }
          fk.references = planned.references;
          fk.referenced_columns = planned.referenced_columns;
          fk.on_delete = planned.on_delete;
          fk.on_update = planned.on_update;
          fk.deferrable = planned.deferrable;
          if (keyed) FollowReferencedKeyOrder(fk, *keyed);
          WithRetries(engine_, [&] { destination_.CreateForeignKey(at, fk); });
          std::lock_guard lock(errors_mutex_);
          ++t.foreign_keys_built;
        } catch (const std::exception& e) {
          std::lock_guard lock(errors_mutex_);
          t.schema_errors.push_back(fmt::format("foreign key {}: {}", planned.name, e.what()));
        }
      });
    }
  }
  // Each build is one long statement: a few at a time use the server's cores.
  ParallelFor(tasks.size(), engine_.writers, [&](size_t i) { tasks[i](); });
}

void CopyRun::BuildChecks() {
  std::vector<size_t> tables;
  for (size_t i = 0; i < tables_.size(); ++i) {
    if (report_.tables[i].state == TableState::kDone && tables_[i].copy.create &&
        !tables_[i].skip && !tables_[i].copy.destination.checks.empty()) {
      tables.push_back(i);
    }
  }
  // Each table's checks are one scan or a few: a few tables at a time use the server's cores.
  ParallelFor(tables.size(), engine_.writers, [&](size_t n) {
    const size_t i = tables[n];
    TableOutcome& t = report_.tables[i];
    try {
      std::vector<std::string> notes;
      WithRetries(engine_, [&] { notes = destination_.AddChecks(tables_[i].copy.destination); });
      std::lock_guard lock(errors_mutex_);
      for (std::string& note : notes) t.warnings.push_back(std::move(note));
    } catch (const std::exception& e) {
      std::lock_guard lock(errors_mutex_);
      t.schema_errors.push_back(fmt::format("check constraints: {}", e.what()));
    }
  });
}

void CopyRun::SyncIdentityCounters() {
  for (size_t i = 0; i < tables_.size(); ++i) {
    TableOutcome& t = report_.tables[i];
    if (t.state != TableState::kDone || plan_.schema_only) continue;
    bool has_identity = false;
    for (const Column& c : tables_[i].copy.destination.columns) has_identity |= c.identity;
    if (!has_identity) continue;
    try {
      std::vector<IdentityNext> next = SourceCounters(source_, tables_[i].copy);
      WithRetries(engine_, [&] { destination_.SyncIdentity(tables_[i].copy.destination, next); });
    } catch (const std::exception& e) {
      t.schema_errors.push_back(fmt::format("identity counter: {}", e.what()));
    }
  }
}

// Standalone sequences of the schemas in scope, where ferry's own DDL made the tables: created
// at the destination (where it has sequences) and set to the source's state.
void CopyRun::CarryStandaloneSequences() {
  std::vector<std::pair<std::string, std::string>> schemas;
  for (size_t i = 0; i < tables_.size(); ++i) {
    if (report_.tables[i].state == TableState::kDone && !tables_[i].skip) {
      schemas.emplace_back(tables_[i].plan->source.schema, tables_[i].plan->destination.schema);
    }
  }
  try {
    CarrySequences(source_, destination_, schemas, true, &report_.schema_errors);
  } catch (const Error& e) {
    report_.schema_errors.push_back(fmt::format("sequences: {}", e.what()));
  }
}

// Every sequence of the exported tables' schemas (owned by a column, or standalone), read after
// the data as a direct copy reads them: an import sets its destination's to these states.
void CopyRun::KeepSourceSequences() {
  std::vector<std::string> schemas;
  for (size_t i = 0; i < tables_.size(); ++i) {
    const std::string& schema = tables_[i].plan->source.schema;
    if (!tables_[i].skip && std::find(schemas.begin(), schemas.end(), schema) == schemas.end()) {
      schemas.push_back(schema);
    }
  }
  try {
    const std::vector<TableName> names = source_.ListSequences(schemas);
    if (!names.empty()) destination_.KeepSequences(source_.ReadSequences(names));
  } catch (const Error& e) {
    report_.schema_errors.push_back(fmt::format("sequences: {}", e.what()));
  }
}

}  // namespace ferry
