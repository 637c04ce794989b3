#include "scheduler/sync_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <random>
#include <thread>

#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "copier/table_plan.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/schema_clone.hpp"
#include "scheduler/stop.hpp"
#include "scheduler/verify_run.hpp"

namespace ferry {

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A sync reads rows by key, never by split: every table is one unit, so planning samples nothing
// (a no-change sync of a large table stays fast).
PartitionOptions WholeTables() {
  PartitionOptions p;
  p.small_table_rows = INT64_MAX;
  p.small_table_bytes = INT64_MAX;
  return p;
}

// The destination column for each source column of `source_key`.
std::vector<int> DestinationKey(const TableCopyPlan& copy, const std::vector<int>& source_key) {
  std::vector<int> out;
  for (int k : source_key) {
    auto at = std::find(copy.source_columns.begin(), copy.source_columns.end(), k);
    if (at == copy.source_columns.end()) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("key column {} is not copied, so changed rows cannot be found at "
                              "the destination",
                              copy.source.columns[size_t(k)].name),
                  ErrorContext{DisplayName(copy.source.name), "", "", ""});
    }
    out.push_back(copy.destination_columns[size_t(at - copy.source_columns.begin())]);
  }
  return out;
}

// The high-water mark less the overlap, as canonical text of the column's type; the mark as it
// is where the type has no arithmetic ferry knows.
std::string LowerBound(const ColumnType& type, const std::string& mark, int64_t overlap) {
  switch (type.kind) {
    case TypeKind::kInteger:
      return std::to_string(std::stoll(mark) - overlap);
    case TypeKind::kDate:
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz: {
      std::tm tm{};
      const char* rest = strptime(mark.c_str(), "%Y-%m-%d", &tm);
      if (rest && (*rest == ' ' || *rest == 'T')) strptime(rest + 1, "%H:%M:%S", &tm);
      if (!rest) return mark;
      std::time_t t = timegm(&tm) - overlap;
      gmtime_r(&t, &tm);
      char buffer[32];
      std::strftime(buffer, sizeof buffer,
                    type.kind == TypeKind::kDate ? "%Y-%m-%d" : "%Y-%m-%d %H:%M:%S", &tm);
      return buffer;
    }
    default:
      return mark;
  }
}

// The destination's run store, prepared, and its lock: null while another run holds it.
struct LockedRunState {
  std::unique_ptr<RunStore> store;
  std::unique_ptr<ScopeLock> lock;
};

LockedRunState LockRunState(Endpoint& destination) {
  LockedRunState state{destination.OpenRunStore(kDefaultStatePrefix), nullptr};
  state.store->Prepare();
  state.lock = state.store->TryLock();
  return state;
}

// What one log batch changed, counted from the log, and how far it reaches.
struct AppliedBatch {
  int64_t last_sequence = 0;
  int64_t entries = 0;
  int64_t inserted = 0;
  int64_t updated = 0;
  int64_t deleted = 0;
};

// Log batches per pipeline run, and the key text they may hold together.
constexpr size_t kBatchesPerRound = 16;
constexpr size_t kKeyBytesPerRound = 64u << 20;

class Syncer {
 public:
  Syncer(Endpoint& source, Endpoint& destination, const SyncOptions& options)
      : source_(source), destination_(destination), options_(options) {
    engine_ = options.engine;
    engine_.readers = 1;
    engine_.writers = 1;
    // A batch's changed rows reach the destination in smaller pieces, so it starts merging them
    // sooner (a PostgreSQL upsert merges every few thousand rows while the reader reads on).
    engine_.limits.max_rows = std::min<size_t>(engine_.limits.max_rows, 4096);
  }

  // `watermark`: the column of watermark mode, "" for tracked mode.
  void Table(const PreparedTable& prepared, const std::string& watermark, ChangeTracker& tracker,
             SyncStateStore& state, TableSync& out) {
    const TableCopyPlan& copy = prepared.copy;
    if (copy.create) {
      throw Error(ErrorCode::kNotFound,
                  fmt::format("destination table {} does not exist: copy it first (ferry run)",
                              DisplayName(copy.destination.name)),
                  ErrorContext{DisplayName(copy.source.name), "", "", ""});
    }
    converter_ = std::make_unique<RowConverter>(DisplayName(copy.source.name), PairColumns(copy),
                                                destination_.info().limits, copy.key_positions,
                                                source_.info().limits);
    if (!watermark.empty()) {
      Watermark(prepared, watermark, tracker, state, out);
    } else {
      Tracked(prepared, tracker, state, out);
    }
  }

 private:
  void Tracked(const PreparedTable& prepared, ChangeTracker& tracker, SyncStateStore& state,
               TableSync& out) {
    const TableCopyPlan& copy = prepared.copy;
    out.mode = "tracked";
    if (!tracker.Enabled(copy.source)) {
      throw Error(ErrorCode::kNotFound,
                  "change tracking is not enabled for this table: run ferry track enable "
                  "before the full copy, or sync it with --watermark",
                  ErrorContext{DisplayName(copy.source.name), "", "", ""});
    }
    const std::vector<int> key = copy.source.RowKey();
    const std::vector<int> dest_key = DestinationKey(copy, key);
    std::optional<SyncPosition> at = state.Get(copy.destination.name);
    int64_t applied = 0;
    if (at && at->mode == "tracked") applied = std::stoll(at->position);
    const int64_t upto = tracker.StableSequence(copy.source);
    out.position = std::to_string(applied);
    int failures = 0;
    while (applied < upto) {
      // A round of log batches goes through one pipeline run, each batch one transaction, in
      // order. Its reader reads the next batch from the log, then its rows, while its writer
      // applies the batch before.
      std::vector<AppliedBatch> round(kBatchesPerRound);
      std::vector<UnitJob> jobs(kBatchesPerRound);
      int64_t from = applied;
      size_t key_bytes = 0;
      for (size_t i = 0; i < kBatchesPerRound; ++i) {
        jobs[i].resolve = [&, i](UnitJob& job) {
          if (from >= upto || key_bytes >= kKeyBytesPerRound) return false;
          ChangeBatch batch = tracker.Changes(copy.source, from, upto, options_.keys_per_batch,
                                              options_.key_bytes_per_batch);
          if (batch.entries == 0) return false;
          from = batch.last_sequence;
          AppliedBatch& b = round[i];
          b.last_sequence = batch.last_sequence;
          b.entries = batch.entries;
          KeyRange read;
          std::optional<KeyRange> remove;
          Collapse(batch, key, dest_key, read, remove, b);
          for (const auto& k : *read.keys) {
            for (const std::string& part : k) key_bytes += part.size() + 4;
          }
          Fill(job, prepared, std::move(read), std::move(remove),
               state.SetSql(copy.destination.name,
                            {"tracked", std::to_string(batch.last_sequence)}));
          return true;
        };
      }
      EngineOptions ordered = engine_;
      ordered.ordered = true;
      const std::vector<UnitResult> results =
          RunPipeline(source_, destination_, ordered, jobs, 1, [](const PipelineProgress&) {});
      const int64_t before = applied;
      const UnitResult* failure = nullptr;
      for (size_t i = 0; i < results.size(); ++i) {
        if (results[i].state == UnitState::kSkipped) break;  // the log had no more
        if (results[i].state != UnitState::kDone) {
          failure = &results[i];
          break;
        }
        applied = round[i].last_sequence;
        out.inserted += round[i].inserted;
        out.updated += round[i].updated;
        out.deleted += round[i].deleted;
        out.log_entries += round[i].entries;
        ++out.batches;
      }
      out.position = std::to_string(applied);
      if (applied == before && !failure) break;  // the log ended below `upto`
      if (applied > before) {
        failures = 0;  // attempts count from the last progress
        // Safe: the destination has committed everything up to `applied`. A purge that fails
        // (a read-only server) loses nothing: the entries stay below the applied sequence.
        try {
          tracker.Purge(copy.source, applied);
        } catch (const Error& e) {
          out.warning = "the change log was not purged: " + std::string(e.what());
        }
      }
      if (failure) {
        // A unit that failed for a passing reason (a lost connection, a deadlock) is tried
        // again from the log, on fresh sessions, like a copy's units are; others end the table.
        if (!failure->transient || StopRequested() ||
            ++failures >= std::max(engine_.max_attempts, 1)) {
          throw Error(failure->error_code, failure->error);
        }
        std::this_thread::sleep_for(std::chrono::duration<double>(
            engine_.retry_delay * double(1 << std::min(failures - 1, 6))));
      }
    }
  }

  // A log batch collapsed to its keys: every changed key's row is read again as it is now (a
  // key changed twice since the last sync is applied once), and a key whose last change was a
  // delete is deleted first. When the source has the row again by the time it is read
  // (inserted anew after the logged entries, or a key one statement moved away and back), the
  // upsert puts it back. So the log's own operations, not a look-up at either end, say what to
  // delete, and the counts come from the log too.
  static void Collapse(ChangeBatch& batch, const std::vector<int>& key,
                       const std::vector<int>& dest_key, KeyRange& read,
                       std::optional<KeyRange>& remove, AppliedBatch& counts) {
    read.key_columns = key;
    read.keys.emplace();
    read.keys->reserve(batch.keys.size());
    for (ChangedKey& k : batch.keys) {
      // A key first inserted in this stretch was not there before it.
      if (k.last == 'D') {
        if (!remove) {
          remove.emplace();
          remove->key_columns = dest_key;
          remove->keys.emplace();
        }
        remove->keys->push_back(k.key);
        if (k.first != 'I') ++counts.deleted;
      } else if (k.first == 'I') {
        ++counts.inserted;
      } else {
        ++counts.updated;
      }
      read.keys->push_back(std::move(k.key));
    }
  }

  void Watermark(const PreparedTable& prepared, const std::string& watermark,
                 ChangeTracker& tracker, SyncStateStore& state, TableSync& out) {
    const TableCopyPlan& copy = prepared.copy;
    out.mode = "watermark";
    auto column = copy.source.FindColumn(watermark);
    if (!column) {
      throw Error(ErrorCode::kUsage, fmt::format("watermark column {} does not exist", watermark),
                  ErrorContext{DisplayName(copy.source.name), "", "", ""});
    }
    std::optional<SyncPosition> at = state.Get(copy.destination.name);
    // Read before the rows: a row written meanwhile is at or above it, so the next sync sees it.
    const std::optional<std::string> mark = tracker.MaxValue(copy.source, *column);
    if (!mark) return;  // an empty table
    KeyRange read;
    read.key_columns = {*column};
    if (at && at->mode == "watermark" && !at->position.empty()) {
      read.lo = std::vector<std::string>{LowerBound(copy.source.columns[size_t(*column)].type,
                                                    at->position, options_.watermark_overlap)};
    }
    // Without a lower bound the range still skips rows whose watermark is NULL, which no mark
    // can ever select; the full copy brought them.
    out.upserted = Apply(prepared, read, std::nullopt,
                         state.SetSql(copy.destination.name, {"watermark", *mark}));
    out.position = *mark;
    ++out.batches;
  }

  // Reads `read` from the source and upserts it, deleting `remove` first, in one destination
  // transaction that also runs `finish`. Returns the rows written.
  int64_t Apply(const PreparedTable& prepared, KeyRange read, std::optional<KeyRange> remove,
                std::vector<std::string> finish) {
    std::vector<UnitJob> jobs(1);
    Fill(jobs[0], prepared, std::move(read), std::move(remove), std::move(finish));
    std::vector<UnitResult> results =
        RunPipeline(source_, destination_, engine_, jobs, 1, [](const PipelineProgress&) {});
    if (results.empty() || results[0].state != UnitState::kDone) {
      throw Error(results.empty() ? ErrorCode::kInternal : results[0].error_code,
                  results.empty() ? "the sync's unit did not run" : results[0].error);
    }
    return results[0].rows;
  }

  // Makes `job` the unit that does what Apply says (its resolve() stays).
  void Fill(UnitJob& job, const PreparedTable& prepared, KeyRange read,
            std::optional<KeyRange> remove, std::vector<std::string> finish) {
    const TableCopyPlan& copy = prepared.copy;
    job.read.table = &copy.source;
    job.read.columns = copy.source_columns;
    job.read.unit.table = copy.source.name;
    job.read.unit.range = std::move(read);
    job.read.limits = engine_.limits;
    job.write.table = &copy.destination;
    job.write.columns = copy.destination_columns;
    job.write.key_positions = copy.key_positions;
    job.write.replace_range = std::move(remove);
    job.write.upsert = true;
    job.write.upsert_key = prepared.upsert_key;
    job.converter = converter_.get();
    job.finish = [finish = std::move(finish)](const UnitResult&) { return finish; };
  }

  Endpoint& source_;
  Endpoint& destination_;
  const SyncOptions& options_;
  EngineOptions engine_;
  std::unique_ptr<RowConverter> converter_;
};

}  // namespace

std::string TableSync::Summary() const {
  if (failed) return error.substr(0, error.find('\n'));
  if (mode == "watermark") {
    return fmt::format("upserted {} (watermark: deletes are not seen)", upserted);
  }
  return fmt::format("inserted {}, updated {}, deleted {}", inserted, updated, deleted);
}

bool SyncReport::AnyFailed() const {
  return std::any_of(tables.begin(), tables.end(), [](const TableSync& t) { return t.failed; });
}

SyncReport RunSync(Endpoint& source, Endpoint& destination, const Job& job,
                   const SyncOptions& options) {
  const auto start = Clock::now();
  SyncReport report;
  auto [store, lock] = LockRunState(destination);
  if (!lock) {
    report.busy = true;
    return report;
  }
  Job upsert = job;
  upsert.write_mode = WriteMode::kUpsert;
  for (TableOverride& o : upsert.overrides) o.write_mode = WriteMode::kUpsert;
  const PlannedRun planned = PlanAndPrepare(source, destination, upsert, WholeTables());
  const Plan& plan = planned.plan;
  const std::vector<PreparedTable>& tables = planned.tables;
  source.BeginSnapshot(Consistency::kNone);  // each batch reads rows as they are now

  std::unique_ptr<ChangeTracker> tracker = source.OpenChangeTracker();
  std::unique_ptr<SyncStateStore> state = destination.OpenSyncState(kDefaultStatePrefix);
  state->Prepare();

  RunRecord run = NewRunRecord(plan, "sync");
  report.run_id = run.id;
  std::vector<TableRecord> records;
  for (size_t i = 0; i < tables.size(); ++i) {
    TableRecord r;
    r.index = int(i);
    r.source = tables[i].copy.source.name;
    r.destination = tables[i].copy.destination.name;
    records.push_back(r);
  }
  store->StartRun(run, records, {});

  Syncer syncer(source, destination, options);
  for (size_t i = 0; i < tables.size(); ++i) {
    const PreparedTable& prepared = tables[i];
    TableSync t;
    t.source = prepared.copy.source.name;
    t.destination = prepared.copy.destination.name;
    // The command line's --watermark, else the job file's per-table one.
    std::string watermark = options.watermark;
    if (watermark.empty()) {
      watermark = job.OverrideFor(t.source, source.info().default_schema).watermark.value_or("");
    }
    t.mode = watermark.empty() ? "tracked" : "watermark";
    t.watermark = watermark;
    const auto table_start = Clock::now();
    if (!prepared.skip) {
      try {
        syncer.Table(prepared, watermark, *tracker, *state, t);
      } catch (const Error& e) {
        t.failed = true;
        t.error = e.what();
      }
    }
    t.seconds = Since(table_start);
    TableRecord& r = records[i];
    r.state = t.failed ? "failed" : "done";
    r.rows = t.mode == "watermark" ? t.upserted : t.inserted + t.updated + t.deleted;
    r.seconds = t.seconds;
    r.units = r.units_done = t.batches;
    r.attempts = 1;
    r.error = t.Summary();
    store->UpdateTable(run.id, r);
    report.tables.push_back(std::move(t));
  }
  report.seconds = Since(start);
  int64_t rows = 0;
  for (const TableRecord& r : records) rows += r.rows;
  const size_t failed = size_t(std::count_if(report.tables.begin(), report.tables.end(),
                                             [](const TableSync& t) { return t.failed; }));
  store->FinishRun(run.id, failed ? RunStatus::kFailed : RunStatus::kDone,
                   fmt::format("{} tables synced, {} failed, {} rows changed in {:.1f} s",
                               report.tables.size() - failed, failed, rows, report.seconds));
  return report;
}

SyncReport RunDiffSync(Endpoint& source, Endpoint& destination, const Job& job,
                       const VerifyOptions& verify) {
  const auto start = Clock::now();
  SyncReport report;
  auto [store, lock] = LockRunState(destination);
  if (!lock) {
    report.busy = true;
    return report;
  }
  Job as_is = job;
  as_is.write_mode = WriteMode::kAppend;  // the destination is compared as it is
  for (TableOverride& o : as_is.overrides) o.write_mode.reset();
  const Plan plan = BuildPlan(source, destination, as_is, verify.partitions);
  VerifyOptions options = verify;
  options.repair = true;
  const VerifyReport checked = RunVerify(source, destination, plan, options);

  RunRecord run = NewRunRecord(plan, "sync");
  report.run_id = run.id;
  std::vector<TableRecord> records;
  int64_t rows = 0;
  size_t failed = 0;
  for (size_t i = 0; i < checked.tables.size(); ++i) {
    const TableVerification& v = checked.tables[i];
    TableSync t;
    t.source = v.source;
    t.destination = v.destination;
    t.mode = "diff";
    // What the comparison found is what the repair changed: rows missing at the destination were
    // inserted, differing ones updated, extra ones deleted.
    if (v.repaired) {
      t.inserted = v.counts_before_repair.missing;
      t.updated = v.counts_before_repair.different;
      t.deleted = v.counts_before_repair.extra;
      t.batches = v.ranges_repaired;
    }
    t.seconds = v.seconds;
    if (v.verdict != Verdict::kIdentical) {
      t.failed = true;
      t.error = v.verdict == Verdict::kFailed ? v.error
                : !v.repair_error.empty()     ? "repair failed: " + v.repair_error
                                              : "still differs after the repair";
      ++failed;
    }
    TableRecord r;
    r.index = int(i);
    r.source = t.source;
    r.destination = t.destination;
    r.state = t.failed ? "failed" : "done";
    r.rows = t.inserted + t.updated + t.deleted;
    r.seconds = t.seconds;
    r.units = r.units_done = t.batches;
    r.attempts = 1;
    r.error = t.Summary();
    rows += r.rows;
    records.push_back(std::move(r));
    report.tables.push_back(std::move(t));
  }
  report.seconds = Since(start);
  run.status = failed ? RunStatus::kFailed : RunStatus::kDone;
  run.summary = fmt::format("{} tables synced by diff, {} failed, {} rows changed in {:.1f} s",
                            report.tables.size() - failed, failed, rows, report.seconds);
  store->StartRun(run, records, {});
  store->FinishRun(run.id, run.status, run.summary);
  return report;
}

FinalReport RunFinalSync(Endpoint& source, Endpoint& destination, const Job& job,
                         const SyncOptions& options, const VerifyOptions& verify) {
  FinalReport report;
  auto step = [&](std::string name) -> FinalStep& {
    report.steps.push_back(FinalStep{std::move(name), 0, true, ""});
    return report.steps.back();
  };
  {
    auto start = Clock::now();
    FinalStep& s = step("source refuses writes");
    std::optional<bool> refuses = source.OpenChangeTracker()->RefusesWrites();
    s.seconds = Since(start);
    if (!refuses) {
      s.detail = fmt::format("{} cannot tell: make sure nothing writes to it",
                             EngineName(source.info().engine));
    } else if (!*refuses) {
      s.ok = false;
      s.detail = "the source still accepts writes: stop the applications, or add --fence";
      return report;
    } else {
      s.detail = "yes";
    }
  }
  {
    auto start = Clock::now();
    report.sync = RunSync(source, destination, job, options);
    FinalStep& s = step("final sync");
    s.seconds = Since(start);
    if (report.sync.busy) {
      s.ok = false;
      s.detail = "another ferry process holds the destination's lock";
      return report;
    }
    int64_t rows = 0;
    for (const TableSync& t : report.sync.tables) {
      rows += t.inserted + t.updated + t.deleted + t.upserted;
      if (t.failed) {
        s.ok = false;
        s.detail += DisplayName(t.source) + ": " + t.Summary() + "; ";
      }
    }
    if (s.ok) s.detail = fmt::format("{} rows changed", rows);
    if (!s.ok) return report;
  }
  {
    // Identity, serial and AUTO_INCREMENT counters and sequences where the source's stand, so
    // the applications' next rows at the destination follow the source's (schema_clone.hpp).
    auto start = Clock::now();
    int set = 0;
    std::vector<std::string> errors = ContinueCounters(source, destination, job, &set);
    FinalStep& s = step("counters");
    s.seconds = Since(start);
    s.ok = errors.empty();
    s.detail = s.ok ? fmt::format("{} set where the source's stand", set)
                    : fmt::format("{}", fmt::join(errors, "; "));
  }
  {
    auto start = Clock::now();
    Job as_is = job;
    as_is.write_mode = WriteMode::kAppend;  // verify reads the destination as it is
    for (TableOverride& o : as_is.overrides) o.write_mode.reset();
    const Plan plan = BuildPlan(source, destination, as_is, verify.partitions);
    report.verify = RunVerify(source, destination, plan, verify);
    FinalStep& s = step("verify");
    s.seconds = Since(start);
    const int identical = report.verify.Count(Verdict::kIdentical);
    s.ok = identical == int(report.verify.tables.size());
    s.detail = fmt::format("{} of {} tables identical", identical, report.verify.tables.size());
    for (const TableVerification& t : report.verify.tables) {
      if (t.verdict != Verdict::kIdentical) {
        s.detail += fmt::format("; {} {}", DisplayName(t.source), VerdictName(t.verdict));
      }
    }
    try {
      RecordVerify(destination, plan, report.verify);
    } catch (const Error&) {
      // The verdict stands without its record.
    }
  }
  report.go = std::all_of(report.steps.begin(), report.steps.end(),
                          [](const FinalStep& s) { return s.ok; });
  return report;
}

std::vector<SyncEstimate> EstimateSync(Endpoint& source, Endpoint& destination, const Job& job) {
  // Throughput from the syncs recorded so far: rows applied per second of table time.
  std::unique_ptr<RunStore> store = destination.OpenRunStore(kDefaultStatePrefix);
  store->Prepare();
  int64_t rows = 0;
  double seconds = 0;
  int runs = 0;
  for (const RunRecord& r : store->Runs()) {
    if (r.command != "sync" || r.status != RunStatus::kDone) continue;
    if (++runs > 20) break;
    for (const TableRecord& t : store->Tables(r.id)) {
      if (t.rows <= 0) continue;
      rows += t.rows;
      seconds += t.seconds;
    }
  }
  const double rate = rows > 0 && seconds > 0 ? double(rows) / seconds : 0;
  std::unique_ptr<ChangeTracker> tracker = source.OpenChangeTracker();
  std::vector<SyncEstimate> out;
  for (const TableName& name : TablesInScope(source, job)) {
    SyncEstimate e;
    e.table = name;
    e.rows_per_second = rate;
    if (std::optional<Table> table = source.DescribeTable(name)) {
      e.status = tracker->Status(*table);
      if (rate > 0) e.seconds = double(e.status.backlog) / rate;
    }
    out.push_back(e);
  }
  return out;
}

std::vector<TrackOutcome> RunTrack(Endpoint& source, const Job& job, TrackAction action) {
  std::unique_ptr<ChangeTracker> tracker = source.OpenChangeTracker();
  std::vector<TrackOutcome> out;
  for (const TableName& name : TablesInScope(source, job)) {
    TrackOutcome o;
    o.table = name;
    try {
      std::optional<Table> table = source.DescribeTable(name);
      if (!table) throw Error(ErrorCode::kNotFound, "table disappeared from the source");
      if (action == TrackAction::kEnable) tracker->Enable(*table);
      if (action == TrackAction::kDisable) tracker->Disable(*table);
      o.status = tracker->Status(*table);
    } catch (const Error& e) {
      o.error = e.what();
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace ferry
