#include "scheduler/copy_run.hpp"

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "copier/convert.hpp"
#include "copier/table_plan.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void Sum(StageTimes& into, const StageTimes& add) {
  into.read += add.read;
  into.convert += add.convert;
  into.wait_slot += add.wait_slot;
  into.wait_data += add.wait_data;
  into.write += add.write;
  into.commit += add.commit;
}

std::vector<int> DestinationColumns(const Table& table, const std::vector<std::string>& names) {
  std::vector<int> out;
  for (const std::string& n : names) {
    auto c = table.FindColumn(n);
    if (!c) {
      throw Error(ErrorCode::kSchema, fmt::format("the table has no column {}", n),
                  ErrorContext{DisplayName(table.name), n, "", ""});
    }
    out.push_back(*c);
  }
  return out;
}

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

// Runs `tasks` on up to `threads` threads at once: index and foreign key builds are each one
// long statement on the destination, so a few at a time use the server's cores.
void RunConcurrently(std::vector<std::function<void()>> tasks, int threads) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(threads, 1); ++t) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < tasks.size(); i = next++) tasks[i]();
    });
  }
  for (std::thread& t : pool) t.join();
}

// An edited plan's DDL, tried before the first write (CopyOptions::try_ddl_first): tables to
// create with their keys and indexes at the destination, foreign keys against the plan's and
// the destination's tables. Throws Error(kSchema) naming the table and the plan field.
void TryPlannedDdl(const Plan& plan, const std::vector<PreparedTable>& tables,
                   Endpoint& destination, const std::vector<const TableRecord*>& recorded) {
  for (size_t i = 0; i < tables.size(); ++i) {
    const PreparedTable& t = tables[i];
    if (t.skip) continue;
    const std::string shown = DisplayName(t.plan->source);
    // The columns a foreign key's references name: in a table the plan creates, or that exists.
    auto columns_of = [&](const TableName& name) -> std::optional<std::vector<std::string>> {
      for (const PreparedTable& other : tables) {
        if (!other.skip && other.copy.destination.name == name) {
          return ColumnNames(other.copy.destination, [&] {
            std::vector<int> all(other.copy.destination.columns.size());
            for (size_t c = 0; c < all.size(); ++c) all[c] = int(c);
            return all;
          }());
        }
      }
      if (auto existing = destination.DescribeTable(name)) {
        std::vector<std::string> names;
        for (const Column& c : existing->columns) names.push_back(c.name);
        return names;
      }
      return std::nullopt;
    };
    for (size_t f = 0; f < t.plan->foreign_keys.size(); ++f) {
      const PlannedForeignKey& fk = t.plan->foreign_keys[f];
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
      std::optional<std::vector<std::string>> referenced = columns_of(fk.references);
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
    const bool started = recorded[i] && recorded[i]->state != "pending";
    if (!t.copy.create || started) continue;
    std::vector<Index> indexes;
    if (!plan.data_only) {
      for (size_t x = 0; x < t.plan->indexes.size(); ++x) {
        const PlannedIndex& planned = t.plan->indexes[x];
        Index index;
        index.name = planned.name;
        index.unique = planned.unique;
        index.native_definition = planned.native_definition;
        try {
          index.columns = DestinationColumns(t.copy.destination, planned.columns);
        } catch (Error& e) {
          e.WithAdvice(
              fmt::format("the plan's $.tables[{}].indexes[{}] ({}) names it", i, x, planned.name));
          throw;
        }
        indexes.push_back(std::move(index));
      }
    }
    try {
      destination.TryCreateTable(t.copy.destination, indexes);
    } catch (Error& e) {
      e.WithAdvice(
          fmt::format("see the plan's $.tables[{}]: its columns' destination_type, "
                      "primary_key and indexes",
                      i));
      throw;
    }
  }
}

}  // namespace

const char* TableStateName(TableState state) {
  switch (state) {
    case TableState::kPending:
      return "pending";
    case TableState::kRunning:
      return "running";
    case TableState::kDone:
      return "done";
    case TableState::kFailed:
      return "failed";
    case TableState::kSkipped:
      return "skipped";
    case TableState::kInterrupted:
      return "interrupted";
  }
  return "unknown";
}

int CopyReport::interrupted() const {
  int n = 0;
  for (const TableOutcome& t : tables) n += t.state == TableState::kInterrupted;
  return n;
}

int CopyReport::failed() const {
  int n = 0;
  for (const TableOutcome& t : tables) {
    n += t.state == TableState::kFailed || !t.schema_errors.empty();
  }
  return n + (schema_errors.empty() ? 0 : 1);
}

CopyReport RunCopy(Endpoint& source, Endpoint& destination, const Job& job,
                   const CopyOptions& options, CopyObserver& observer) {
  Plan plan = BuildPlan(source, destination, job, options.partitions);
  return RunPlan(source, destination, plan, options, observer);
}

CopyReport RunPlan(Endpoint& source, Endpoint& destination, const Plan& original_plan,
                   const CopyOptions& options, CopyObserver& observer, RunRecording* recording) {
  const Clock::time_point start = Clock::now();
  const bool resuming = recording && recording->resuming;
  // What a resumed run finds: tables it started (their rows partly there, never to be emptied
  // again), tables it finished, and units it committed.
  Plan plan = original_plan;
  std::vector<const TableRecord*> recorded(plan.tables.size(), nullptr);
  if (resuming) {
    for (const TableRecord& r : recording->tables) {
      if (r.index >= 0 && size_t(r.index) < plan.tables.size()) recorded[size_t(r.index)] = &r;
    }
    for (size_t i = 0; i < plan.tables.size(); ++i) {
      if (recorded[i] && recorded[i]->state != "pending" &&
          (plan.tables[i].write_mode == WriteMode::kCreate ||
           plan.tables[i].write_mode == WriteMode::kTruncate)) {
        plan.tables[i].write_mode = WriteMode::kAppend;
      }
    }
  }
  auto unit_done = [&](size_t table, int part) -> const UnitRecord* {
    if (!resuming) return nullptr;
    for (const UnitRecord& u : recording->units) {
      if (size_t(u.table) == table && u.part == part && u.state == "done") return &u;
    }
    return nullptr;
  };
  // Everything is checked first: bad input must fail before the first row is written.
  std::vector<PreparedTable> tables = PreparePlan(plan, source, destination, options.partitions);
  // A table with no column to copy has no units: its rows are counted and made (below).
  for (PreparedTable& t : tables) {
    if (!t.skip && t.copy.source_columns.empty()) t.units.clear();
  }
  if (plan.data_only) {
    for (const PreparedTable& t : tables) {
      if (!t.skip && t.copy.create) {
        throw Error(ErrorCode::kNotFound,
                    fmt::format("--data-only, but destination table {} does not exist",
                                DisplayName(t.copy.destination.name)),
                    ErrorContext{DisplayName(t.plan->source), "", "", ""});
      }
    }
  }
  CopyReport report;
  for (const PreparedTable& t : tables) {
    TableOutcome outcome;
    outcome.source = t.plan->source;
    outcome.destination = t.plan->destination;
    outcome.estimated_rows = t.plan->estimated_rows;
    outcome.units = int(t.units.size());
    outcome.strategy = t.strategy;
    outcome.reason = t.why;
    outcome.pass_through = t.pass_through;
    if (t.skip) outcome.state = TableState::kSkipped;
    report.tables.push_back(outcome);
  }
  if (options.explain_only) {
    observer.Prepared(report);
    return report;
  }
  // A same-engine copy into a fresh destination clones the source's schema; its dump is read
  // now, before anything is written.
  std::unique_ptr<SchemaClone> clone;
  {
    std::vector<bool> copied;
    for (const PreparedTable& t : tables) copied.push_back(!t.skip);
    clone = SchemaClone::Prepare(source, destination, plan, copied, options.clone,
                                 &report.schema_not_cloned);
    if (clone) report.schema_tool = clone->dump().tool;
  }
  // An edited plan's DDL is tried first where ferry makes the tables; a clone makes them from
  // the source's own schema (its types and domains included) in one transaction instead.
  if (options.try_ddl_first && !clone) TryPlannedDdl(plan, tables, destination, recorded);
  // A table the interrupted run finished is not touched again.
  std::vector<bool> finished_before(tables.size(), false);
  for (size_t i = 0; i < tables.size(); ++i) {
    if (!recorded[i] || tables[i].skip) continue;
    if (recorded[i]->state == "done") {
      finished_before[i] = true;
      tables[i].skip = true;
      report.tables[i].state = TableState::kDone;
      report.tables[i].resumed_rows = recorded[i]->rows;
      report.tables[i].created = recorded[i]->created;
      report.tables[i].units_done = report.tables[i].units;
    }
  }
  if (recording && !resuming) {
    // The plan as run, with the units it was cut into, so a resume copies exactly them.
    Plan stored = plan;
    std::vector<TableRecord> table_records;
    std::vector<UnitRecord> unit_records;
    for (size_t i = 0; i < tables.size(); ++i) {
      TablePlan& sp = stored.tables[i];
      TableRecord r;
      r.index = int(i);
      r.source = sp.source;
      r.destination = sp.destination;
      r.state = tables[i].skip ? "skipped" : "pending";
      r.estimated_rows = sp.estimated_rows;
      r.units = int(tables[i].units.size());
      table_records.push_back(r);
      if (tables[i].skip) continue;
      if (tables[i].units.size() > 1) {
        sp.units.clear();
        for (const WorkUnit& u : tables[i].units) {
          PlannedUnit pu;
          pu.lo = u.range.lo;
          pu.hi = u.range.hi;
          pu.null_keys = u.range.null_keys;
          pu.by_location = u.range.by_location;
          sp.units.push_back(std::move(pu));
        }
        sp.partitions = int(sp.units.size());
      }
      for (const WorkUnit& u : tables[i].units) {
        UnitRecord ur;
        ur.table = int(i);
        ur.part = u.part;
        ur.range = DescribeRange(u.range);
        unit_records.push_back(std::move(ur));
      }
    }
    recording->run.plan = PlanToJson(stored);
    recording->run.plan_fingerprint = PlanFingerprint(recording->run.plan);
    recording->store->Prepare();
    recording->store->StartRun(recording->run, table_records, unit_records);
  }
  if (recording) recording->started = true;

  // Waits for locks on tables ferry empties or drops are said as they happen; and what write
  // mode truncate empties is said before it is emptied.
  // The observer hears on this thread only; a wait on a writer thread (a deferred primary
  // key) is named in the table's error when it gives up.
  destination.SetWaitNotice([&observer, id = std::this_thread::get_id()](const std::string& text) {
    if (std::this_thread::get_id() == id) observer.Note(text);
  });
  struct ClearNotice {
    Endpoint& endpoint;
    ~ClearNotice() { endpoint.SetWaitNotice(nullptr); }
  } clear_notice{destination};
  {
    std::string emptied;
    int count = 0;
    for (const PreparedTable& t : tables) {
      if (t.skip || t.copy.create || plan.schema_only) continue;
      if (t.plan->write_mode != WriteMode::kTruncate) continue;
      emptied += (emptied.empty() ? "" : ", ") + DisplayName(t.copy.destination.name);
      ++count;
    }
    if (count > 0) {
      observer.Note(
          fmt::format("write mode truncate: emptying {} destination table{} before "
                      "copying into {}: {}",
                      count, count == 1 ? "" : "s", destination.info().display, emptied));
    }
  }

  // Destination tables first, before any data moves. Where loading without the primary key is
  // faster, the key is built when the table's last unit has committed; not for write mode
  // upsert, which matches rows by that key: a later upsert into the table (after this run was
  // interrupted, say) needs it there from the start.
  std::vector<std::optional<Table>> deferred_keys(tables.size());
  if (clone) {
    // A resumed run finds the clone's tables there, unless the interrupted attempt stopped
    // before it committed them.
    bool missing = !resuming;
    for (const PreparedTable& t : tables) missing |= !t.skip && t.copy.create;
    if (missing) {
      try {
        for (auto& [table, error] : clone->CreateBeforeData(destination)) {
          report.schema_errors.push_back(std::move(error));
        }
      } catch (const Error&) {
        // A failed clone takes back all it made: nothing is written, so a new run is refused
        // as blocked rather than kept as an interrupted one to resume.
        if (recording && !resuming) recording->started = false;
        throw;
      }
    }
  }
  for (size_t i = 0; i < tables.size(); ++i) {
    TableOutcome& t = report.tables[i];
    PreparedTable& prepared = tables[i];
    if (prepared.skip) continue;
    TableCopyPlan& copy = prepared.copy;
    try {
      if (resuming && recorded[i] && recorded[i]->state != "pending" && !copy.create) {
        // Started by the interrupted attempt: the table stays as it is. If that attempt
        // created it, what waits for its rows (keys, indexes, foreign keys) is still to do.
        t.created = recorded[i]->created;
        copy.create = recorded[i]->created;
        if (t.created && !clone && copy.destination.primary_key.empty() && !plan.schema_only &&
            !prepared.plan->primary_key.empty()) {
          Table keyed = copy.destination;
          keyed.primary_key = DestinationColumns(keyed, prepared.plan->primary_key);
          deferred_keys[i] = std::move(keyed);
        }
      } else if (copy.create && clone) {
        // Made by the clone, with everything that waits for its rows still to come.
        t.created = true;
        auto created = destination.DescribeTable(copy.destination.name);
        if (!created) {
          throw Error(ErrorCode::kSchema, fmt::format("the schema clone did not create table {}",
                                                      DisplayName(copy.destination.name)));
        }
        copy.destination = std::move(*created);
      } else if (copy.create) {
        Table create = copy.destination;
        if (destination.info().keys_after_load && !options.keys_first && !plan.schema_only &&
            prepared.plan->write_mode != WriteMode::kUpsert && !create.primary_key.empty()) {
          deferred_keys[i] = create;
          create.primary_key.clear();
        }
        destination.CreateTable(create);
        t.created = true;
        // Read back what the server made of it: values are checked against the real column
        // types (a key column MariaDB had to make a varchar, say).
        auto created = destination.DescribeTable(copy.destination.name);
        if (!created) {
          throw Error(ErrorCode::kInternal,
                      fmt::format("table {} is missing right after it was created",
                                  DisplayName(copy.destination.name)));
        }
        copy.destination = std::move(*created);
        if (deferred_keys[i]) deferred_keys[i]->name = copy.destination.name;
      } else if (prepared.plan->write_mode == WriteMode::kTruncate && !plan.schema_only) {
        destination.TruncateTable(copy.destination.name);
      }
    } catch (const Error& e) {
      t.state = TableState::kFailed;
      t.error = e.what();
      t.error_code = e.code();
    }
  }

  std::vector<std::unique_ptr<RowConverter>> converters;
  std::vector<UnitJob> jobs;
  std::vector<int> resumed_units(tables.size(), 0);
  for (size_t i = 0; i < tables.size(); ++i) {
    TableOutcome& t = report.tables[i];
    const PreparedTable& prepared = tables[i];
    const TableCopyPlan& copy = prepared.copy;
    converters.push_back(nullptr);
    if (prepared.skip || t.state == TableState::kFailed || plan.schema_only) continue;
    if (!t.pass_through) {
      converters.back() = std::make_unique<RowConverter>(
          DisplayName(copy.source.name), PairColumns(copy), destination.info().limits,
          copy.key_positions, source.info().limits);
    }
    for (const WorkUnit& unit : prepared.units) {
      if (const UnitRecord* done = unit_done(i, unit.part)) {
        t.resumed_rows += done->rows;
        ++resumed_units[i];
        continue;
      }
      UnitJob job;
      job.table = i;
      job.read.table = &copy.source;
      job.read.columns = copy.source_columns;
      job.read.unit = unit;
      job.read.limits = options.engine.limits;
      job.read.pass_through = t.pass_through;
      job.write.table = &copy.destination;
      job.write.columns = copy.destination_columns;
      job.write.key_positions = copy.key_positions;
      job.write.pass_through = t.pass_through;
      job.write.upsert = prepared.upsert;
      job.write.upsert_key = prepared.upsert_key;
      job.converter = converters.back().get();
      if (recording) {
        job.finish = [store = recording->store, run = recording->run.id, i,
                      part = unit.part](const UnitResult& r) {
          return store->UnitDoneSql(run, int(i), part, r.rows, r.bytes, r.attempts);
        };
        job.committed = [store = recording->store, run = recording->run.id, i, part = unit.part] {
          return store->UnitCommitted(run, int(i), part);
        };
      }
      jobs.push_back(std::move(job));
    }
  }
  // Largest units first, so the last to finish are small ones and workers end together.
  std::stable_sort(jobs.begin(), jobs.end(), [&](const UnitJob& a, const UnitJob& b) {
    auto size = [&](const UnitJob& j) {
      const TableOutcome& t = report.tables[j.table];
      return t.units > 0 ? std::max<int64_t>(t.estimated_rows, 0) / t.units : 0;
    };
    return size(a) > size(b);
  });

  report.consistency = plan.schema_only ? "" : source.BeginSnapshot(options.consistency);
  observer.Prepared(report);
  std::vector<int> jobs_of_table(tables.size(), 0);
  for (const UnitJob& job : jobs) ++jobs_of_table[job.table];
  for (size_t i = 0; i < report.tables.size(); ++i) {
    TableOutcome& t = report.tables[i];
    if (t.state == TableState::kPending) t.state = TableState::kRunning;
    if (recording && !tables[i].skip) {
      TableRecord r;
      r.index = int(i);
      r.state = t.state == TableState::kFailed ? "failed" : "running";
      r.created = t.created;
      r.units = t.units;
      r.units_done = t.units_done;
      r.rows = t.resumed_rows;
      r.error = t.error;
      recording->store->UpdateTable(recording->run.id, r);
    }
  }
  EngineOptions engine = options.engine;
  if (destination.info().max_write_sessions > 0) {
    engine.writers = std::min(engine.writers, destination.info().max_write_sessions);
  }
  // What waits for a table's rows: its primary key (when deferred), then its other indexes.
  std::mutex errors_mutex;
  auto build_indexes = [&](size_t i) {
    const PreparedTable& prepared = tables[i];
    TableOutcome& t = report.tables[i];
    if (deferred_keys[i]) {
      const Clock::time_point key_start = Clock::now();
      // A failure here fails the table.
      WithRetries(engine, [&] { destination.AddPrimaryKey(*deferred_keys[i]); });
      t.key_seconds = SecondsSince(key_start);
    }
    if (!prepared.copy.create || plan.data_only || clone) return;
    for (const PlannedIndex& planned : prepared.plan->indexes) {
      try {
        Index index;
        index.name = planned.name;
        index.unique = planned.unique;
        index.native_definition = planned.native_definition;
        index.columns = DestinationColumns(prepared.copy.destination, planned.columns);
        if (resuming && planned.native_definition.empty() &&
            HasIndexOn(prepared.copy.destination, index.columns)) {
          continue;  // built before the interruption
        }
        WithRetries(engine, [&] { destination.CreateIndex(prepared.copy.destination, index); });
        ++t.indexes_built;
      } catch (const std::exception& e) {
        std::lock_guard lock(errors_mutex);
        t.schema_errors.push_back(fmt::format("index {}: {}", planned.name, e.what()));
      }
    }
  };
  const Clock::time_point copy_start = Clock::now();
  std::vector<double> keys_done_at(tables.size(), 0);
  std::vector<UnitResult> results;
  if (!jobs.empty())
    results = RunPipeline(
        source, destination, engine, jobs, tables.size(),
        [&](const PipelineProgress& progress) {
          for (size_t i = 0; i < report.tables.size(); ++i) {
            TableOutcome& t = report.tables[i];
            t.rows = progress.rows[i] + t.resumed_rows;
            t.bytes = progress.bytes[i];
            t.units_done = progress.units_done[i] + resumed_units[i];
            if (t.state == TableState::kRunning) t.seconds = SecondsSince(copy_start);
          }
          observer.Progress(report);
        },
        [&](size_t table) {
          build_indexes(table);
          keys_done_at[table] = SecondsSince(copy_start);
        });

  std::vector<double> first_start(report.tables.size(), -1), last_end(report.tables.size(), 0);
  for (TableOutcome& t : report.tables) {
    if (t.state == TableState::kRunning) t.state = TableState::kDone;
    t.rows = 0;
    t.bytes = 0;
    t.seconds = 0;
  }
  for (UnitResult& r : results) {
    TableOutcome& t = report.tables[r.table];
    if (r.state != UnitState::kSkipped) {
      double& first = first_start[r.table];
      first = first < 0 ? r.started_at : std::min(first, r.started_at);
      last_end[r.table] = std::max(last_end[r.table], r.finished_at);
      t.seconds = last_end[r.table] - first;
    }
    Sum(t.times, r.times);
    t.attempts += r.attempts;
    if (t.read_method.empty()) t.read_method = r.read_method;
    if (t.write_method.empty()) t.write_method = r.write_method;
    if (r.state == UnitState::kDone) {
      t.rows += r.rows;
      t.bytes += r.bytes;
    } else if (r.state == UnitState::kFailed && r.error_code == ErrorCode::kInterrupted) {
      if (t.state != TableState::kFailed && t.state != TableState::kInterrupted) {
        t.state = TableState::kInterrupted;
        t.error = r.error;
        t.error_code = r.error_code;
      }
    } else if (r.state == UnitState::kFailed && t.state != TableState::kFailed) {
      t.state = TableState::kFailed;
      t.error = r.error;
      t.error_code = r.error_code;
    } else if (r.state == UnitState::kSkipped && t.state == TableState::kDone) {
      t.state = TableState::kSkipped;  // stopped by --fail-fast before it ran
    }
    t.unit_results.push_back(std::move(r));
  }
  // A table with no column to copy (none, or only generated ones): as many rows as the source
  // holds, made at the destination (once: not again by a resumed run that finds them there).
  for (size_t i = 0; i < tables.size(); ++i) {
    TableOutcome& t = report.tables[i];
    const PreparedTable& prepared = tables[i];
    if (prepared.skip || plan.schema_only || t.state != TableState::kDone ||
        !prepared.copy.source_columns.empty() || StopRequested()) {
      continue;
    }
    try {
      if (resuming && recorded[i] && recorded[i]->state != "pending" &&
          destination.HasRows(prepared.copy.destination.name)) {
        continue;
      }
      const int64_t rows = source.CountRows(prepared.copy.source);
      destination.InsertDefaultRows(prepared.copy.destination, rows);
      t.rows = rows;
    } catch (const Error& e) {
      t.state = TableState::kFailed;
      t.error = e.what();
      t.error_code = e.code();
    }
  }
  // A schema-only run has no units, and a resumed table may have none left: their indexes are
  // built here.
  {
    std::vector<std::function<void()>> tasks;
    for (size_t i = 0; i < tables.size(); ++i) {
      if (report.tables[i].state != TableState::kDone || tables[i].skip) continue;
      if (!plan.schema_only && jobs_of_table[i] > 0) continue;
      if (StopRequested()) break;
      tasks.push_back([&, i] {
        try {
          build_indexes(i);
        } catch (const std::exception& e) {
          std::lock_guard lock(errors_mutex);
          TableOutcome& t = report.tables[i];
          t.state = TableState::kFailed;
          t.error = e.what();
          const Error* error = dynamic_cast<const Error*>(&e);
          t.error_code = error ? error->code() : ErrorCode::kInternal;
        }
      });
    }
    RunConcurrently(std::move(tasks), engine.writers);
  }
  for (size_t i = 0; i < report.tables.size(); ++i) {
    TableOutcome& t = report.tables[i];
    if (keys_done_at[i] > 0 && first_start[i] >= 0) t.seconds = keys_done_at[i] - first_start[i];
    if (t.state == TableState::kDone || t.state == TableState::kSkipped ||
        t.state == TableState::kInterrupted) {
      continue;
    }
    t.rows = 0;
    if (t.created) {
      // Leave the destination as it was: a table ferry made for this copy goes again, and
      // with it the rows its committed units had put there.
      try {
        destination.DropTable(tables[i].copy.destination.name);
        t.created = false;
        t.resumed_rows = 0;
        if (recording) recording->store->ResetUnits(recording->run.id, int(i));
      } catch (const Error&) {
      }
    }
  }
  for (TableOutcome& t : report.tables) t.rows += t.resumed_rows;

  // A clone's keys, indexes, foreign keys, triggers and materialized views, now that the rows
  // are in; then its sequences, as the source's stand.
  if (clone && !StopRequested()) {
    for (auto& [table, error] : clone->CreateAfterData(destination, engine.writers, resuming)) {
      // The dump names a table as the source does (MariaDB: in the source's database).
      auto at = std::find_if(
          report.tables.begin(), report.tables.end(),
          [&](const TableOutcome& t) { return t.destination == table || t.source == table; });
      // The dump keeps a foreign key to a table outside the copy's scope, which cannot be made
      // here: skipped and said, as ferry's own DDL does (ferry check says it first). MariaDB
      // adds a table's keys in one statement whose error does not name the referenced table.
      std::vector<std::string> out_of_scope;
      if (at != report.tables.end() &&
          (error.rfind("fk constraint", 0) == 0 || error.rfind("foreign key check", 0) == 0)) {
        const TablePlan& planned = plan.tables[size_t(at - report.tables.begin())];
        bool named = false, all_out = true;
        for (const PlannedForeignKey& fk : planned.foreign_keys) {
          if (ReferencesInScope(plan, fk)) {
            all_out = false;
            continue;
          }
          out_of_scope.push_back(OutOfScopeNote(fk));
          named |= error.find(fk.references.name) != std::string::npos;
        }
        if (!named && !all_out) out_of_scope.clear();
      }
      if (!out_of_scope.empty()) {
        for (std::string& note : out_of_scope) at->warnings.push_back(std::move(note));
        continue;
      }
      (at == report.tables.end() ? report.schema_errors : at->schema_errors).push_back(error);
    }
    if (!plan.schema_only) {
      for (std::string& error : clone->CopySequences(source, destination)) {
        report.schema_errors.push_back(std::move(error));
      }
    }
  }
  // Foreign keys last: every table they reference must be loaded and keyed. Then identity
  // counters, so new rows continue after the copied ones and where the source's counters stand.
  if (!plan.data_only && !clone) {
    std::vector<std::function<void()>> tasks;
    for (size_t i = 0; i < tables.size(); ++i) {
      if (report.tables[i].state != TableState::kDone || !tables[i].copy.create) continue;
      for (const PlannedForeignKey& planned : tables[i].plan->foreign_keys) {
        // A key to a table outside the copy's scope would fail the table, or hold only where
        // that table happens to exist: skipped, and said (ferry check says it first).
        if (!ReferencesInScope(plan, planned)) {
          report.tables[i].warnings.push_back(OutOfScopeNote(planned));
          continue;
        }
        tasks.push_back([&, i, planned] {
          TableOutcome& t = report.tables[i];
          try {
            ForeignKey fk;
            fk.name = planned.name;
            fk.columns = DestinationColumns(tables[i].copy.destination, planned.columns);
            if (resuming && HasForeignKeyOn(tables[i].copy.destination, fk.columns)) return;
            fk.references = planned.references;
            fk.referenced_columns = planned.referenced_columns;
            fk.on_delete = planned.on_delete;
            fk.on_update = planned.on_update;
            WithRetries(engine,
                        [&] { destination.CreateForeignKey(tables[i].copy.destination, fk); });
            std::lock_guard lock(errors_mutex);
            ++t.foreign_keys_built;
          } catch (const std::exception& e) {
            std::lock_guard lock(errors_mutex);
            t.schema_errors.push_back(fmt::format("foreign key {}: {}", planned.name, e.what()));
          }
        });
      }
    }
    RunConcurrently(std::move(tasks), engine.writers);
  }
  for (size_t i = 0; i < tables.size(); ++i) {
    TableOutcome& t = report.tables[i];
    if (t.state != TableState::kDone || plan.schema_only) continue;
    bool has_identity = false;
    for (const Column& c : tables[i].copy.destination.columns) has_identity |= c.identity;
    if (!has_identity) continue;
    try {
      std::vector<IdentityNext> next = SourceCounters(source, tables[i].copy);
      WithRetries(engine, [&] { destination.SyncIdentity(tables[i].copy.destination, next); });
    } catch (const std::exception& e) {
      t.schema_errors.push_back(fmt::format("identity counter: {}", e.what()));
    }
  }
  // Standalone sequences of the schemas in scope, where ferry's own DDL made the tables: created
  // at the destination (where it has sequences) and set to the source's state.
  if (!clone && !plan.schema_only && !plan.data_only) {
    std::vector<std::pair<std::string, std::string>> schemas;
    for (size_t i = 0; i < tables.size(); ++i) {
      if (report.tables[i].state == TableState::kDone && !tables[i].skip) {
        schemas.emplace_back(tables[i].plan->source.schema, tables[i].plan->destination.schema);
      }
    }
    try {
      CarrySequences(source, destination, schemas, true, &report.schema_errors);
    } catch (const Error& e) {
      report.schema_errors.push_back(fmt::format("sequences: {}", e.what()));
    }
  }
  if (recording) {
    for (size_t i = 0; i < report.tables.size(); ++i) {
      const TableOutcome& t = report.tables[i];
      if (tables[i].skip && !finished_before[i]) continue;
      if (finished_before[i]) continue;  // recorded when it finished
      for (const UnitResult& u : t.unit_results) {
        if (u.state == UnitState::kFailed && u.error_code != ErrorCode::kInterrupted) {
          recording->store->FailUnit(recording->run.id, int(i), u.part, u.attempts, u.error);
        }
      }
      TableRecord r;
      r.index = int(i);
      r.state = TableStateName(t.state);
      r.created = t.created;
      r.rows = t.rows;
      r.bytes = t.bytes;
      r.seconds = t.seconds;
      r.units = t.units;
      r.units_done = t.resumed_rows > 0 || t.state != TableState::kFailed ? resumed_units[i] : 0;
      for (const UnitResult& u : t.unit_results) r.units_done += u.state == UnitState::kDone;
      r.attempts = t.attempts;
      r.estimated_rows = t.estimated_rows;
      r.error = t.error;
      for (const std::string& e : t.schema_errors) r.error += (r.error.empty() ? "" : "\n") + e;
      recording->store->UpdateTable(recording->run.id, r);
    }
  }
  report.seconds = SecondsSince(start);
  observer.Finished(report);
  return report;
}

}  // namespace ferry
