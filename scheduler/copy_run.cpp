#include "scheduler/copy_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "copier/table_plan.hpp"
#include "scheduler/copy_run_phases.hpp"
#include "scheduler/long_values_held.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

TableProgress ProgressOf(const TableOutcome& t) {
  TableProgress p;
  p.name = DisplayName(t.source);
  p.estimated_rows = t.estimated_rows;
  p.rows = t.rows;
  p.bytes = t.bytes;
  p.units = t.units;
  p.units_done = t.units_done;
  p.seconds = t.seconds;
  p.started = t.seconds > 0 || t.rows > 0;
  p.finished = t.state == TableState::kDone || t.state == TableState::kSkipped ||
               (t.copied && !t.copy_failed);
  p.failed = t.state == TableState::kFailed || t.copy_failed;
  return p;
}

namespace {

// Clears the destination's wait notice when the run ends, however it ends.
struct ClearNotice {
  Endpoint& endpoint;
  ~ClearNotice() { endpoint.SetWaitNotice(nullptr); }
};

}  // namespace

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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

std::optional<TableState> ParseTableState(const std::string& text) {
  for (TableState s : {TableState::kPending, TableState::kRunning, TableState::kDone,
                       TableState::kFailed, TableState::kSkipped, TableState::kInterrupted}) {
    if (text == TableStateName(s)) return s;
  }
  return std::nullopt;
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

CopyRun::CopyRun(Endpoint& source, Endpoint& destination, PlannedRun run,
                 const CopyOptions& options, CopyObserver& observer, RunRecording* recording)
    : source_(source),
      destination_(destination),
      options_(options),
      observer_(observer),
      recorder_(recording, run.plan.tables.size()),
      // A prepared run's tables point into its plan, which moves here with them.
      plan_(run.prepared ? std::move(run.plan) : recorder_.Adjusted(run.plan)),
      tables_(std::move(run.tables)),
      prepared_(run.prepared) {}

CopyReport CopyRun::Run() {
  if (!Prepare()) return report_;
  // Waits for locks on tables ferry empties or drops are said as they happen. The observer
  // hears on this thread only; a wait on a writer thread (a deferred primary key) is named in
  // the table's error when it gives up.
  destination_.SetWaitNotice([this, id = std::this_thread::get_id()](const std::string& text) {
    if (std::this_thread::get_id() == id) return observer_.Note(text);
    // A writer's wait (a staging directory at --max-disk) is said with the progress.
    std::lock_guard lock(source_notes_mutex_);
    if (text != last_source_note_) source_notes_.push_back(last_source_note_ = text);
  });
  ClearNotice clear_notice{destination_};
  // The source's waits (a staging directory's running export) are told on reader threads, at
  // every look: said here with the progress when they change, and ended when a stop is asked.
  source_.SetWaitNotice([this](const std::string& text) {
    if (StopRequested()) throw Error(ErrorCode::kInterrupted, "stopped while " + text);
    std::lock_guard lock(source_notes_mutex_);
    if (text != last_source_note_) source_notes_.push_back(last_source_note_ = text);
  });
  ClearNotice clear_source_notice{source_};
  AnnounceTruncates();
  try {
    Create();
    BuildUnits();
    RunUnits();
    RecordOutcomes();
  } catch (...) {
    RestoreHeldKeysAfterError();
    throw;
  }
  // A shared run's foreign keys and the like wait for every worker's tables: its finisher's.
  if (!recorder_.shared() || report_.finished_shared_run) {
    IndexesAndConstraints();
    CarryLargeObjects();
  }
  Finish();
  return report_;
}

bool CopyRun::Prepare() {
  PrepareTables();
  if (options_.explain_only) {
    observer_.Prepared(report_);
    return false;
  }
  AskSourceForUnits();
  // A same-engine copy into a fresh destination clones the source's schema; its dump is read
  // now, before anything is written.
  std::vector<bool> copied;
  for (const PreparedTable& t : tables_) copied.push_back(!t.skip);
  clone_ = SchemaClone::Prepare(source_, destination_, plan_, copied, options_.clone,
                                &report_.schema_not_cloned);
  if (clone_) report_.schema_tool = clone_->dump().tool;
  if (!clone_) {
    kept_schema_ = SchemaClone::ReadForExport(source_, destination_, plan_, copied, options_.clone);
  }
  std::vector<TableName> clone_sequences;
  if (clone_ && !recorder_.resuming()) {
    // Before the run is recorded: the sequences its clone makes are then known to be its own.
    clone_->RefuseExistingSequences(destination_);
    clone_sequences = clone_->SequencesThere();
  }
  // An edited plan's DDL is tried first where ferry makes the tables; a clone makes them from
  // the source's own schema (its types and domains included) in one transaction instead.
  if (options_.try_ddl_first && !clone_) {
    // The trial CREATEs name the types the source defines or an extension provides: made first.
    CarryTypes();
    TryPlannedDdl();
  }
  ReadCarriedTypes();  // before anything is written
  SkipFinishedTables();
  FindHeldKeys();
  recorder_.Start(plan_, tables_, clone_sequences);
  return true;
}

// Everything is checked first: bad input must fail before the first row is written.
void CopyRun::PrepareTables() {
  if (!prepared_) tables_ = PreparePlan(plan_, source_, destination_, options_.partitions);
  // A table with no column to copy has no units: its rows are counted and made (MakeDefaultRows).
  for (PreparedTable& t : tables_) {
    if (!t.skip && t.copy.source_columns.empty()) t.units.clear();
  }
  for (const PreparedTable& t : tables_) {
    if (plan_.data_only && !t.skip && t.copy.create) {
      throw Error(ErrorCode::kNotFound,
                  fmt::format("--data-only, but destination table {} does not exist",
                              DisplayName(t.copy.destination.name)),
                  ErrorContext{DisplayName(t.plan->source), "", "", ""});
    }
  }
  for (const PreparedTable& t : tables_) {
    TableOutcome outcome;
    outcome.source = t.plan->source;
    outcome.destination = t.plan->destination;
    outcome.estimated_rows = t.plan->estimated_rows;
    outcome.units = int(t.units.size());
    outcome.strategy = t.strategy;
    outcome.reason = t.why;
    outcome.pass_through = t.pass_through;
    if (t.skip) outcome.state = TableState::kSkipped;
    // Said where a mysql:// URL would have streamed them; check lists the rest.
    if (!t.skip && !plan_.schema_only) {
      for (const HeldColumn& held : LongValuesHeldWhole(source_, destination_, t.copy)) {
        if (held.held.avoidable) outcome.warnings.push_back(HeldWholeWarning(held));
      }
    }
    report_.tables.push_back(outcome);
  }
}

// The source is told what the run will read, and may refuse it, before anything is written.
void CopyRun::AskSourceForUnits() {
  if (plan_.schema_only) return;
  std::vector<WorkUnit> units;
  for (size_t i = 0; i < tables_.size(); ++i) {
    if (tables_[i].skip || recorder_.Finished(i)) continue;
    for (const WorkUnit& unit : tables_[i].units) {
      if (!recorder_.DoneUnit(i, unit.part)) units.push_back(unit);
    }
  }
  source_.PrepareToRead(units, destination_.info());
}

// A table the interrupted attempt finished is not touched again.
void CopyRun::SkipFinishedTables() {
  for (size_t i = 0; i < tables_.size(); ++i) {
    if (tables_[i].skip || !recorder_.Finished(i)) continue;
    tables_[i].skip = true;
    TableOutcome& t = report_.tables[i];
    t.state = TableState::kDone;
    t.resumed_rows = recorder_.RecordedRows(i);
    t.created = recorder_.Created(i);
    t.units_done = t.units;
  }
}

// What write mode truncate empties is said before it is emptied.
void CopyRun::AnnounceTruncates() {
  std::string emptied;
  int count = 0;
  for (const PreparedTable& t : tables_) {
    if (t.skip || t.copy.create || plan_.schema_only) continue;
    if (t.plan->write_mode != WriteMode::kTruncate) continue;
    emptied += (emptied.empty() ? "" : ", ") + DisplayName(t.copy.destination.name);
    ++count;
  }
  if (count > 0) {
    observer_.Note(fmt::format(
        "write mode truncate: emptying {} destination table{} before copying into {}: {}", count,
        count == 1 ? "" : "s", destination_.info().display, emptied));
  }
}

// Destination tables first, before any data moves. Where loading without the primary key is
// faster, the key is built when the table's last unit has committed; not for write mode upsert,
// which matches rows by that key: a later upsert into the table (after this run was
// interrupted, say) needs it there from the start.
void CopyRun::Create() {
  deferred_keys_.assign(tables_.size(), std::nullopt);
  DropHeldKeys();
  CarryTypes();
  if (clone_) CreateBeforeData();
  if (kept_schema_) destination_.KeepSchema(*kept_schema_);
  // The clone made the tables all at once: they are read back together.
  std::vector<TableName> made;
  for (const PreparedTable& t : tables_) {
    if (clone_ && !t.skip && t.copy.create) made.push_back(t.copy.destination.name);
  }
  const DescriptionsAhead ahead(destination_, made);
  for (size_t i = 0; i < tables_.size(); ++i) {
    if (tables_[i].skip) continue;
    try {
      CreateTable(i);
    } catch (const Error& e) {
      report_.tables[i].state = TableState::kFailed;
      report_.tables[i].error = e;
    }
  }
}

void CopyRun::CreateBeforeData() {
  // A resumed run finds the clone's tables there, unless the interrupted attempt stopped before
  // it committed them.
  bool missing = !recorder_.resuming();
  for (const PreparedTable& t : tables_) missing |= !t.skip && t.copy.create;
  if (!missing) return;
  try {
    for (auto& [table, error] : clone_->CreateBeforeData(destination_, recorder_.resuming())) {
      report_.schema_errors.push_back(std::move(error));
    }
  } catch (const Error&) {
    recorder_.Abandon();
    throw;
  }
}

namespace {

// A clone makes the source's generated columns generated: the destination computes them. A
// staging directory holds their values as a plain column's (for an import into another engine),
// which a clone from it leaves out of the copy.
void LeaveOutComputed(TableCopyPlan& copy) {
  for (size_t k = copy.destination_columns.size(); k-- > 0;) {
    if (copy.destination.columns.at(size_t(copy.destination_columns[k])).generated.empty()) {
      continue;
    }
    copy.source_columns.erase(copy.source_columns.begin() + ptrdiff_t(k));
    copy.destination_columns.erase(copy.destination_columns.begin() + ptrdiff_t(k));
    auto& key = copy.key_positions;
    key.erase(std::remove(key.begin(), key.end(), int(k)), key.end());
    for (int& p : key) p -= p > int(k) ? 1 : 0;
  }
}

}  // namespace

void CopyRun::CreateTable(size_t i) {
  TableOutcome& t = report_.tables[i];
  PreparedTable& prepared = tables_[i];
  TableCopyPlan& copy = prepared.copy;
  if (recorder_.Started(i) && !copy.create) {
    // Started by the interrupted attempt: the table stays as it is. If that attempt created it,
    // what waits for its rows (keys, indexes, foreign keys) is still to do.
    t.created = copy.create = recorder_.Created(i);
    // Its checks as planned: those the attempt had not added (PostgreSQL: or validated) when it
    // stopped are added now; the table's description holds only those in place.
    if (t.created && !clone_) {
      copy.destination.checks = CreatedTableChecks(copy, source_.info().engine, destination_);
      KeepCaseInsensitivity(copy);
    }
    if (t.created && !clone_ && copy.destination.primary_key.empty() && !plan_.schema_only &&
        !prepared.plan->primary_key.empty()) {
      Table keyed = copy.destination;
      keyed.primary_key = DestinationColumns(keyed, prepared.plan->primary_key);
      deferred_keys_[i] = std::move(keyed);
    }
    return;
  }
  if (!copy.create) {
    if (prepared.plan->write_mode == WriteMode::kTruncate && !plan_.schema_only) {
      destination_.TruncateTable(copy.destination.name);
    }
    return;
  }
  if (!clone_) {
    Table create = copy.destination;
    if (destination_.info().keys_after_load && !options_.keys_first && !plan_.schema_only &&
        prepared.plan->write_mode != WriteMode::kUpsert && !create.primary_key.empty()) {
      deferred_keys_[i] = create;
      create.primary_key.clear();
    }
    destination_.CreateTable(create);
  }
  // Made here or by the clone (with everything that waits for its rows still to come). Read
  // back what the server made of it: values are checked against the real column types (a key
  // column MariaDB had to make a varchar, say).
  t.created = true;
  auto created = destination_.DescribeTable(copy.destination.name);
  if (!created && clone_) {
    throw Error(ErrorCode::kSchema, fmt::format("the schema clone did not create table {}",
                                                DisplayName(copy.destination.name)));
  }
  if (!created) {
    throw Error(ErrorCode::kInternal, fmt::format("table {} is missing right after it was created",
                                                  DisplayName(copy.destination.name)));
  }
  // The planned checks, in the destination's terms, are made after the data (AddChecks).
  if (!clone_) created->checks = std::move(copy.destination.checks);
  copy.destination = std::move(*created);
  if (!clone_) KeepCaseInsensitivity(copy);  // the keys and indexes to come are made from it
  if (clone_) LeaveOutComputed(copy);
  KeepValueTypes(copy, source_.info(), destination_.info());  // as the plan read them
  if (deferred_keys_[i]) deferred_keys_[i]->name = copy.destination.name;
}

namespace {

// `unit` with its key columns as destination column indices.
WorkUnit DestinationUnit(const TableCopyPlan& copy, WorkUnit unit) {
  for (int& c : unit.range.key_columns) {
    for (size_t i = 0; i < copy.source_columns.size(); ++i) {
      if (copy.source_columns[i] == c) {
        c = copy.destination_columns[i];
        break;
      }
    }
  }
  return unit;
}

}  // namespace

void CopyRun::SourceUnitCopied(const WorkUnit& unit) {
  try {
    source_.UnitCopied(unit);
  } catch (const std::exception& e) {
    std::lock_guard lock(source_notes_mutex_);
    source_notes_.push_back(
        fmt::format("unit {} of {} of {} is copied; the source's part after "
                    "it failed: {}",
                    unit.part + 1, unit.parts, DisplayName(unit.table), e.what()));
  }
}

void CopyRun::BuildUnits() {
  resumed_units_.assign(tables_.size(), 0);
  for (size_t i = 0; i < tables_.size(); ++i) {
    TableOutcome& t = report_.tables[i];
    const PreparedTable& prepared = tables_[i];
    const TableCopyPlan& copy = prepared.copy;
    converters_.push_back(nullptr);
    if (prepared.skip || t.state == TableState::kFailed || plan_.schema_only) continue;
    if (!t.pass_through) {
      converters_.back() = std::make_unique<RowConverter>(
          DisplayName(copy.source.name), PairColumns(copy), destination_.info().limits,
          copy.key_positions, source_.info().limits);
    }
    for (const WorkUnit& unit : prepared.units) {
      if (const UnitRecord* done = recorder_.DoneUnit(i, unit.part)) {
        // A shared run's worker reports its own rows; the run's finisher reports them all.
        if (!recorder_.shared()) t.resumed_rows += done->rows;
        ++resumed_units_[i];
        SourceUnitCopied(unit);  // a run killed between the commit and the source's part
        continue;
      }
      UnitJob job;
      job.table = i;
      job.read.table = &copy.source;
      job.read.columns = copy.source_columns;
      job.read.unit = unit;
      job.read.limits = options_.engine.limits;
      job.read.pass_through = t.pass_through;
      job.write.table = &copy.destination;
      job.write.columns = copy.destination_columns;
      job.write.key_positions = copy.key_positions;
      job.write.pass_through = t.pass_through;
      job.write.upsert = prepared.upsert;
      job.write.upsert_key = prepared.upsert_key;
      job.write.defer_checks = copy.create && !clone_ && !copy.destination.checks.empty();
      job.write.unit = DestinationUnit(copy, unit);
      job.converter = converters_.back().get();
      recorder_.MarkOnCommit(job, i, unit.part);
      job.after_commit = [this, unit] { SourceUnitCopied(unit); };
      jobs_.push_back(std::move(job));
    }
  }
  // Largest units first, so the last to finish are small ones and workers end together.
  std::stable_sort(jobs_.begin(), jobs_.end(), [&](const UnitJob& a, const UnitJob& b) {
    auto size = [&](const UnitJob& j) {
      const TableOutcome& t = report_.tables[j.table];
      return t.units > 0 ? std::max<int64_t>(t.estimated_rows, 0) / t.units : 0;
    };
    return size(a) > size(b);
  });
  jobs_of_table_.assign(tables_.size(), 0);
  for (const UnitJob& job : jobs_) ++jobs_of_table_[job.table];
}

void CopyRun::RunUnits() {
  report_.consistency = plan_.schema_only ? "" : source_.BeginSnapshot(options_.consistency);
  if (!plan_.schema_only && destination_.KeepsSourcePosition()) {
    destination_.KeepSourcePosition(source_.SnapshotPosition());  // a staging manifest
  }
  observer_.Prepared(report_);
  for (size_t i = 0; i < report_.tables.size(); ++i) {
    TableOutcome& t = report_.tables[i];
    if (t.state == TableState::kPending) t.state = TableState::kRunning;
    // A shared run's tables are marked running once, by the worker that makes the run: a
    // worker joining later would overwrite what builders recorded since.
    const bool joined = recorder_.shared() && !recorder_.shared()->opened;
    if (!tables_[i].skip && !joined) recorder_.TableRunning(i, t);
  }
  engine_ = options_.engine;
  if (destination_.info().max_write_sessions > 0) {
    engine_.writers = std::min(engine_.writers, destination_.info().max_write_sessions);
  }
  copy_start_ = Clock::now();
  // A shared run's rounds each run a pipeline: their units' times all count from here.
  engine_.epoch = copy_start_;
  keys_done_at_.assign(tables_.size(), 0);
  start_recorded_.assign(tables_.size(), false);
  if (jobs_.empty() && !recorder_.shared()) return;
  if (engine_.spool) LetSnapshotGoEarly();
  bool release_said = false;
  auto progress = [&](const PipelineProgress& progress) {
    if (engine_.spool && progress.readers_done >= 0 && !release_said) {
      release_said = true;
      observer_.Note(fmt::format(
          "every unit is read after {:.1f} s: {} of {} through the spool, {} in part (it was "
          "full), spool peak {:.1f} MiB{}",
          progress.readers_done, progress.units_spooled, jobs_.size(), progress.units_handed_on,
          double(progress.spool_peak_bytes) / (1 << 20),
          engine_.readers_done ? "; the source's snapshot is let go" : ""));
    }
    for (size_t i = 0; i < report_.tables.size(); ++i) {
      TableOutcome& t = report_.tables[i];
      t.rows = progress.rows[i] + t.resumed_rows;
      t.bytes = progress.bytes[i];
      t.units_done = progress.units_done[i] + resumed_units_[i];
      // The table's own time, as the summary measures it: from its first unit's start to when
      // it was done, keys included.
      if (t.state != TableState::kRunning || progress.started[i] < 0) continue;
      if (!start_recorded_[i] && !recorder_.shared()) {
        start_recorded_[i] = true;
        recorder_.TableStarted(i, t, progress.elapsed - progress.started[i]);
      }
      t.copied = progress.finished[i] >= 0;
      t.copy_failed = progress.failed[i];
      t.seconds = (t.copied ? progress.finished[i] : progress.elapsed) - progress.started[i];
      if (t.copied) keys_done_at_[i] = progress.finished[i];
    }
    std::vector<std::string> notes;
    {
      std::lock_guard lock(source_notes_mutex_);
      notes.swap(source_notes_);
    }
    for (const std::string& note : notes) observer_.Note(note);
    for (const std::string& note : progress.notes) observer_.Note(note);
    observer_.Progress(report_);
  };
  // What waits for a table's rows is built on the writer thread that committed its last unit,
  // while other tables copy.
  auto table_done = [&](size_t table) {
    try {
      BuildIndexes(table);
    } catch (const Error& e) {
      // The build opens a session beside the writers'; at a connection limit the server
      // refuses it until the writers close theirs.
      if (e.code() != ErrorCode::kConnection || StopRequested()) throw;
      std::lock_guard lock(errors_mutex_);
      builds_after_copy_.insert(table);
      std::lock_guard notes(source_notes_mutex_);
      source_notes_.push_back(fmt::format(
          "{}: its keys and indexes are built after the copy: the destination refused the "
          "build a connection beside the writers' ({})",
          DisplayName(tables_[table].copy.destination.name),
          e.diagnostics().empty() ? e.message() : e.diagnostics().front().message));
    }
  };
  if (recorder_.shared()) return RunSharedUnits(progress);
  results_ =
      RunPipeline(source_, destination_, engine_, jobs_, tables_.size(), progress, table_done);
}

// With a spool the readers may finish long before the writers: the caller's readers_done lets
// the source's snapshot go then, unless something still reads in it after the units (a table with
// no column to copy counts its rows in it) or the run is shared (its rounds all read in one
// snapshot).
void CopyRun::LetSnapshotGoEarly() {
  bool keep = recorder_.shared();
  for (const PreparedTable& t : tables_) keep = keep || (!t.skip && t.copy.source_columns.empty());
  if (keep) engine_.readers_done = nullptr;
}

void CopyRun::RecordOutcomes() {
  FoldUnitResults();
  MakeDefaultRows();
  if (!recorder_.shared()) BuildIndexesWithoutUnits();
  UndoFailedTables();
}

void CopyRun::FoldUnitResults() {
  first_start_.assign(report_.tables.size(), -1);
  last_end_.assign(report_.tables.size(), 0);
  for (TableOutcome& t : report_.tables) {
    if (t.state == TableState::kRunning) t.state = TableState::kDone;
    t.rows = 0;
    t.bytes = 0;
    t.seconds = 0;
  }
  for (UnitResult& r : results_) {
    TableOutcome& t = report_.tables[r.table];
    if (r.state != UnitState::kSkipped) {
      double& first = first_start_[r.table];
      first = first < 0 ? r.started_at : std::min(first, r.started_at);
      last_end_[r.table] = std::max(last_end_[r.table], r.finished_at);
      t.seconds = last_end_[r.table] - first;
    }
    t.times += r.times;
    t.attempts += r.attempts;
    if (t.read_method.empty()) t.read_method = r.read_method;
    if (t.write_method.empty()) t.write_method = r.write_method;
    if (r.state == UnitState::kDone) {
      t.rows += r.rows;
      t.bytes += r.bytes;
    } else if (r.state == UnitState::kFailed &&
               (r.Interrupted() || (r.error && r.error->code() == ErrorCode::kDiskFull))) {
      // A full staging disk stops the table as a signal does: its committed units are kept for
      // --resume once there is room (dropping them would throw away what fitted).
      if (t.state != TableState::kFailed && t.state != TableState::kInterrupted) {
        t.state = TableState::kInterrupted;
        t.error = r.error;
      }
    } else if (r.state == UnitState::kFailed && t.state != TableState::kFailed) {
      t.state = TableState::kFailed;
      t.error = r.error;
      t.error->WithAdvice(AdviceFor(t.error->reason()));
    } else if (r.state == UnitState::kSkipped && t.state == TableState::kDone) {
      t.state = TableState::kSkipped;  // stopped by --fail-fast before it ran
    }
    t.unit_results.push_back(std::move(r));
  }
}

// A table with no column to copy (none, or only generated ones): as many rows as the source
// holds, made at the destination (once: not again by a resumed run that finds them there).
void CopyRun::MakeDefaultRows() {
  for (size_t i = 0; i < tables_.size(); ++i) {
    TableOutcome& t = report_.tables[i];
    const PreparedTable& prepared = tables_[i];
    if (prepared.skip || plan_.schema_only || t.state != TableState::kDone ||
        !prepared.copy.source_columns.empty() || StopRequested()) {
      continue;
    }
    try {
      if (recorder_.Started(i) && destination_.HasRows(prepared.copy.destination.name)) continue;
      const int64_t rows = source_.CountRows(prepared.copy.source);
      destination_.InsertDefaultRows(prepared.copy.destination, rows);
      t.rows = rows;
    } catch (const Error& e) {
      t.state = TableState::kFailed;
      t.error = e;
    }
  }
}

// Leaves the destination as it was for a table that failed: a table ferry made for this copy
// goes again, and with it the rows its committed units had put there.
void CopyRun::UndoFailedTables() {
  for (size_t i = 0; i < report_.tables.size(); ++i) {
    TableOutcome& t = report_.tables[i];
    if (keys_done_at_[i] > 0 && first_start_[i] >= 0)
      t.seconds = keys_done_at_[i] - first_start_[i];
    if (t.state == TableState::kDone || t.state == TableState::kSkipped ||
        t.state == TableState::kInterrupted) {
      continue;
    }
    if (recorder_.shared()) continue;  // other workers' rows are in it: ferry run --join again
    t.rows = 0;
    if (!t.created) continue;
    try {
      destination_.DropTable(tables_[i].copy.destination.name);
      t.created = false;
      t.resumed_rows = 0;
      recorder_.TableDropped(i);
    } catch (const Error&) {
    }
  }
  for (TableOutcome& t : report_.tables) t.rows += t.resumed_rows;
}

void CopyRun::Finish() {
  for (size_t i = 0; i < report_.tables.size(); ++i) {
    // Skipped, or recorded when an earlier attempt finished it; a shared run's tables are
    // recorded by the workers that build them.
    if (tables_[i].skip || recorder_.shared()) continue;
    recorder_.TableFinished(i, report_.tables[i], resumed_units_[i]);
  }
  report_.seconds = SecondsSince(start_);
  observer_.Finished(report_);
}

CopyReport RunPlan(Endpoint& source, Endpoint& destination, PlannedRun run,
                   const CopyOptions& options, CopyObserver& observer, RunRecording* recording) {
  CopyRun copy(source, destination, std::move(run), options, observer, recording);
  return copy.Run();
}

}  // namespace ferry
