#include "scheduler/sync_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>

#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "copier/table_plan.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/stop.hpp"
#include "scheduler/sync_drift.hpp"
#include "scheduler/sync_purge.hpp"
#include "scheduler/sync_support.hpp"
#include "scheduler/sync_swap.hpp"

namespace ferry {

namespace sync {

namespace {

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
  // `store`: the destination's run state (a table refused for a gap waits for a full copy
  // recorded there); `consumer`: this destination's id and name as a change-log consumer.
  // `purger`: where the logs are purged (null: here, in line).
  Syncer(Endpoint& source, Endpoint& destination, const SyncOptions& options, RunStore& store,
         LogConsumer consumer, LogPurger* purger)
      : source_(source),
        destination_(destination),
        options_(options),
        store_(store),
        consumer_(std::move(consumer)),
        purger_(purger) {
    engine_ = options.engine;
    engine_.readers = 1;
    engine_.writers = 1;
    // A batch's changed rows reach the destination in smaller pieces, so it starts merging them
    // sooner (a PostgreSQL upsert merges every few thousand rows while the reader reads on).
    engine_.limits.max_rows = std::min<size_t>(engine_.limits.max_rows, 4096);
  }

  // `watermark`: the column of watermark mode, "" for tracked mode.
  void Table(const PreparedTable& prepared, const std::string& watermark, ChangeTracker& tracker,
             SyncStateStore& state, TableSync& out, bool backfill) {
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
    if (backfill) {
      // Columns were added at the destination: every row is read again, which fills them.
      const int64_t rows = Apply(prepared, KeyRange{}, std::nullopt, {});
      out.schema_changes += fmt::format("; {} rows re-copied to fill them", rows);
    }
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
    const bool reread_deleted = KeysMayRepeat(tracker, copy.source);
    std::vector<LogGap> gaps;  // pending below `applied`
    LogConsumer me = JoinLog(copy, tracker, state, gaps);
    int64_t applied = me.applied;
    if (!gaps.empty()) gaps = Refill(prepared, tracker, state, me.generation, applied, gaps, out);
    // The log is read as far as it goes, without waiting for writers in flight: numbers they
    // took below its end are new gaps, recorded with the position of the batch that passes them.
    const LogHorizon horizon = tracker.Horizon(copy.source, applied);
    const int64_t upto = horizon.upto;
    auto pending_at = [&](int64_t sequence) {
      std::vector<LogGap> all = gaps;
      for (LogGap& g : GapsUpTo(horizon.gaps, sequence)) all.push_back(std::move(g));
      return all;
    };
    out.position = std::to_string(applied);
    int failures = 0;
    // Two writers apply a round's batches side by side, each committing after the one before,
    // where no lock of one can hold the other up: the destination says so (sync_writers), the
    // table has no unique index but its key and no foreign key (whose checks lock other rows), and
    // a batch that changes a key the one before it changes starts after that one committed. A
    // failed round goes on with one writer.
    const ferry::Table& into = copy.destination;
    bool side_by_side = destination_.info().sync_writers > 1 && into.unique_indexes.empty() &&
                        into.foreign_keys.empty();
    while (applied < upto) {
      if (StopRequested()) {
        throw Error(ErrorCode::kInterrupted, "stopped by a signal between batches");
      }
      // A round of log batches goes through one pipeline run, each batch one transaction, in
      // order. Its reader reads the next batch from the log, then its rows, while its writer
      // applies the batch before.
      std::vector<AppliedBatch> round(kBatchesPerRound);
      std::vector<UnitJob> jobs(kBatchesPerRound);
      int64_t from = applied;
      size_t key_bytes = 0;
      std::unordered_set<std::string> previous;  // the keys of the batch before
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
          Collapse(batch, key, dest_key, reread_deleted, read, remove, b);
          auto count = [&](const KeyRange& keys) {
            for (const auto& k : *keys.keys) {
              for (const std::string& part : k) key_bytes += part.size() + 4;
            }
          };
          count(read);
          if (remove) count(*remove);  // keys only deleted are held too
          if (side_by_side) {
            // Deleted keys too: a delete must not pass an insert of the batch before.
            std::unordered_set<std::string> keys = KeySet(*read.keys);
            if (remove) keys.merge(KeySet(*remove->keys));
            job.after_previous = i > 0 && Overlap(keys, previous);
            previous = std::move(keys);
          }
          Fill(job, prepared, std::move(read), std::move(remove),
               state.SetSql(copy.destination.name,
                            {"tracked",
                             FormatPosition(me.generation, batch.last_sequence,
                                            pending_at(batch.last_sequence)),
                             "", ShapeText(*prepared.plan)}));
          return true;
        };
      }
      EngineOptions ordered = engine_;
      ordered.ordered = true;
      ordered.ordered_writers = side_by_side ? 2 : 1;  // the overlap test looks one batch back
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
        // Safe: the destination has committed everything up to `applied`. The log is purged only
        // below what every registered destination applied. A purge that fails (a read-only
        // server) loses nothing: the entries stay below the applied sequence.
        me.applied = PurgeFloor(applied, pending_at(applied));
        if (purger_) {
          purger_->Purge(DisplayName(copy.destination.name), copy.source, me);
        } else {
          try {
            tracker.Purge(copy.source, me);
          } catch (const Error& e) {
            out.warning = "the change log was not purged: " + std::string(e.what());
          }
        }
      }
      if (failure) {
        side_by_side = false;
        // A unit that failed for a passing reason (a lost connection, a deadlock) is tried
        // again from the log, on fresh sessions, like a copy's units are; others end the table.
        if (StopRequested()) {
          throw Error(ErrorCode::kInterrupted,
                      "stopped by a signal: the batch in flight was rolled back");
        }
        if (!failure->transient || ++failures >= std::max(engine_.max_attempts, 1)) {
          throw *failure->error;
        }
        std::this_thread::sleep_for(std::chrono::duration<double>(
            engine_.retry_delay * double(1 << std::min(failures - 1, 6))));
      }
    }
  }

  // Registers this destination with the table's change log at the sequence it continues from
  // (me.applied): its own position in this generation; else where a copy registered it with the
  // log (ferry run on a tracked source, or a refusal that then waits for a copy); else, for a
  // table never synced, the log's start. Refuses the table (Refuse) where the log has a gap for it.
  // `gaps`: the gaps its position keeps pending.
  LogConsumer JoinLog(const TableCopyPlan& copy, ChangeTracker& tracker, SyncStateStore& state,
                      std::vector<LogGap>& gaps) {
    const TrackGeneration generation = tracker.Generation(copy.source);
    LogConsumer me = consumer_;
    me.destination += " " + DisplayName(copy.destination.name);
    me.generation = generation.generation;
    std::optional<SyncPosition> at = state.Get(copy.destination.name);
    const bool recorded = at && (at->mode == "tracked" || at->mode == "resync");
    const TrackedPosition position = recorded ? ParsePosition(at->position) : TrackedPosition{};
    int64_t applied = 0;
    if (recorded && at->mode == "tracked" && position.generation == generation.generation) {
      applied = position.applied;
      gaps = position.gaps;
    } else if (std::optional<LogConsumer> registered =
                   tracker.Registration(copy.source, consumer_.id);
               registered &&
               (!recorded || CopiedSince(store_, copy.destination.name, registered->updated_at))) {
      applied = registered->applied;
    } else if (recorded && at->mode == "resync" && position.generation == generation.generation) {
      throw Error(ErrorCode::kResyncNeeded,
                  fmt::format("still waiting for a full copy since {} (its change log has a gap "
                              "for this destination): {}",
                              at->updated_at, CopyAgainAdvice(copy)),
                  ErrorContext{DisplayName(copy.source.name), "", "", ""});
    } else if (recorded) {
      Refuse(tracker, state, copy, me,
             at->mode == "resync"
                 ? "tracking was enabled again since this table was refused for a gap in its "
                   "change log"
             : position.generation == 0
                 ? "its sync position was recorded without a tracking generation (by an older "
                   "ferry), so a gap in the change log cannot be ruled out"
                 : "tracking was disabled and enabled again since this destination last synced: "
                   "the changes made while it was off are in no change log");
    }
    // Registered (or still registered) at what it applied, below its first pending gap, unless
    // the log lost entries it needs.
    me.applied = PurgeFloor(applied, gaps);
    const bool joined = tracker.Join(copy.source, me);
    me.applied = applied;
    if (joined && !position.export_consumer.empty() && applied == position.applied) {
      // Imported from a staging directory: this destination is registered now, so the export's
      // registration no longer needs to keep the log (nothing it alone needs is left).
      tracker.Unregister(copy.source, position.export_consumer);
    }
    if (!joined) {
      const TrackGeneration now = tracker.Generation(copy.source);
      Refuse(tracker, state, copy, me,
             now.generation != generation.generation
                 ? std::string("tracking was enabled again during this sync")
                 : fmt::format("the change log was purged below sequence {} while this "
                               "destination still needed the entries after {} (it was not "
                               "registered as a consumer of the log then: its first sync came "
                               "after another destination's, or it was unregistered)",
                               now.purged_below, applied));
    }
    return me;
  }

  // A gap in the change log for this destination: from now on the log keeps every entry after
  // its current end for it (it is registered there), its position says it waits for a full
  // copy of the table, and the table is refused.
  [[noreturn]] void Refuse(ChangeTracker& tracker, SyncStateStore& state, const TableCopyPlan& copy,
                           LogConsumer me, const std::string& why) {
    me.generation = tracker.Generation(copy.source).generation;
    me.applied = tracker.StableSequence(copy.source);
    tracker.Join(copy.source, me);
    state.Set(copy.destination.name,
              SyncPosition{"resync", FormatPosition(me.generation, me.applied), ""});
    throw Error(
        ErrorCode::kResyncNeeded,
        fmt::format("changes are missing for this destination: {}; {}", why, CopyAgainAdvice(copy)),
        ErrorContext{DisplayName(copy.source.name), "", "", ""});
  }

  // Pending gaps read again (copier/log_gaps.hpp): the entries that appeared in them are applied
  // in units of their own, the last of which records what is left of the gaps; returns that.
  std::vector<LogGap> Refill(const PreparedTable& prepared, ChangeTracker& tracker,
                             SyncStateStore& state, int64_t generation, int64_t applied,
                             const std::vector<LogGap>& gaps, TableSync& out) {
    const TableCopyPlan& copy = prepared.copy;
    // Asked before the re-read: a writer seen ended here had committed (its entries are read
    // below) or rolled back before it.
    const std::vector<std::string> open = tracker.OpenWriters(GapWriters(gaps));
    std::vector<ChangeBatch> batches;
    std::vector<bool> complete;
    for (const LogGap& g : gaps) {
      int64_t entries = 0;
      for (int64_t from = g.first - 1; from < g.last;) {
        ChangeBatch b = tracker.Changes(copy.source, from, g.last, options_.keys_per_batch,
                                        options_.key_bytes_per_batch);
        if (b.entries == 0) break;
        from = b.last_sequence;
        entries += b.entries;
        batches.push_back(std::move(b));
      }
      complete.push_back(entries == g.last - g.first + 1);
    }
    std::vector<LogGap> left = ResolveGaps(gaps, open, complete);
    auto position = [&](const std::vector<LogGap>& pending) {
      return SyncPosition{"tracked", FormatPosition(generation, applied, pending), "",
                          ShapeText(*prepared.plan)};
    };
    if (batches.empty()) {
      if (FormatGaps(left) != FormatGaps(gaps)) state.Set(copy.destination.name, position(left));
      return left;
    }
    const std::vector<int> key = copy.source.RowKey();
    const std::vector<int> dest_key = DestinationKey(copy, key);
    const bool reread_deleted = KeysMayRepeat(tracker, copy.source);
    std::vector<AppliedBatch> counts(batches.size());
    std::vector<UnitJob> jobs(batches.size());
    for (size_t i = 0; i < batches.size(); ++i) {
      KeyRange read;
      std::optional<KeyRange> remove;
      Collapse(batches[i], key, dest_key, reread_deleted, read, remove, counts[i]);
      // Until the last unit commits, the gaps stay as they were: an entry applied twice changes
      // nothing.
      Fill(jobs[i], prepared, std::move(read), std::move(remove),
           state.SetSql(copy.destination.name, position(i + 1 == batches.size() ? left : gaps)));
    }
    EngineOptions ordered = engine_;
    ordered.ordered = true;
    const std::vector<UnitResult> results =
        RunPipeline(source_, destination_, ordered, jobs, 1, [](const PipelineProgress&) {});
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].state != UnitState::kDone) {
        if (results[i].error) throw *results[i].error;
        throw Error(ErrorCode::kInterrupted, "stopped while applying entries of the log's gaps");
      }
      out.inserted += counts[i].inserted;
      out.updated += counts[i].updated;
      out.deleted += counts[i].deleted;
      out.log_entries += batches[i].entries;
      ++out.batches;
    }
    return left;
  }

  // A log batch collapsed to its keys: every changed key's row is read again as it is now (a
  // key changed twice since the last sync is applied once). A key whose last change was a delete
  // is deleted first, and read again only where it may still hold a row (KeysMayRepeat: under a
  // DEFERRABLE key); elsewhere a delete last means no row at the batch's end (an insert since is
  // a later entry). So the log's own operations say what to delete, and the counts come from it.
  static void Collapse(ChangeBatch& batch, const std::vector<int>& key,
                       const std::vector<int>& dest_key, bool reread_deleted, KeyRange& read,
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
        if (k.first != 'I') ++counts.deleted;
        remove->keys->push_back(reread_deleted ? k.key : std::move(k.key));
        if (!reread_deleted) continue;  // no row at the batch's end: deleted, not read
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
    out.upserted = Apply(
        prepared, read, std::nullopt,
        state.SetSql(copy.destination.name, {"watermark", *mark, "", ShapeText(*prepared.plan)}));
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
      if (StopRequested()) {
        throw Error(ErrorCode::kInterrupted,
                    "stopped by a signal: the batch in flight was rolled back");
      }
      if (results.empty()) throw Error(ErrorCode::kInternal, "the sync's unit did not run");
      throw *results[0].error;
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
  RunStore& store_;
  const LogConsumer consumer_;
  LogPurger* purger_;
  EngineOptions engine_;
  std::unique_ptr<RowConverter> converter_;
};

// The sync's run record, with one table record a table, started in the destination's run store.
std::vector<TableRecord> StartSyncRun(RunStore& store, const Plan& plan,
                                      const std::vector<PreparedTable>& tables, RunRecord& run) {
  run = NewRunRecord(plan, "sync");
  std::vector<TableRecord> records;
  for (size_t i = 0; i < tables.size(); ++i) {
    TableRecord r;
    r.index = int(i);
    r.source = tables[i].plan->source;
    r.destination = tables[i].plan->destination;
    records.push_back(r);
  }
  store.StartRun(run, records, {});
  return records;
}

// What one table's sync needs besides the table itself.
struct SyncContext {
  Endpoint& source;
  Endpoint& destination;
  const Job& job;
  const SyncOptions& options;
  const Plan& plan;
  const DriftOutcome& drift;
  Syncer& syncer;
  ChangeTracker& tracker;
  SyncStateStore& state;
};

// Syncs table `i` (tracked, by watermark, or by diff when keyless); a failure is recorded in the
// entry it returns, never thrown.
TableSync SyncOne(SyncContext& c, const PreparedTable& prepared, size_t i,
                  const std::optional<Error>& problem) {
  TableSync t;
  t.source = prepared.plan->source;
  t.destination = prepared.plan->destination;
  // The command line's --watermark, else the job file's per-table one.
  std::string watermark = c.options.watermark;
  if (watermark.empty()) {
    watermark = c.job.OverrideFor(t.source, c.source.info().default_schema).watermark.value_or("");
  }
  t.mode = watermark.empty() ? "tracked" : "watermark";
  t.watermark = watermark;
  t.schema_changes = c.drift.applied[i];
  const auto table_start = Clock::now();
  const bool keyless = !prepared.skip && prepared.copy.source.RowKey().empty();
  try {
    if (StopRequested()) {
      throw Error(ErrorCode::kInterrupted, "stopped by a signal before this table began");
    }
    if (problem && c.drift.errors[i].empty()) throw *problem;
    if (!c.drift.errors[i].empty()) {
      throw Error(ErrorCode::kSchema, c.drift.errors[i],
                  ErrorContext{DisplayName(t.source), "", "", ""});
    }
    if (keyless) {
      DiffKeyless(c.source, c.destination, c.plan, *prepared.plan, c.options, t);
    } else if (!prepared.skip) {
      c.syncer.Table(prepared, watermark, c.tracker, c.state, t, c.drift.backfill[i]);
    }
  } catch (const Error& e) {
    t.failed = true;
    t.error = e.what();
    t.resync = e.code() == ErrorCode::kResyncNeeded;
    t.interrupted = e.code() == ErrorCode::kInterrupted;
  }
  t.seconds = Since(table_start);
  return t;
}

void RecordTable(RunStore& store, const std::string& run_id, const TableSync& t, TableRecord& r) {
  r.state = t.interrupted ? "interrupted" : t.failed ? "failed" : "done";
  r.rows = t.mode == "watermark" ? t.upserted : t.inserted + t.updated + t.deleted;
  r.seconds = t.seconds;
  r.units = r.units_done = t.batches;
  r.attempts = 1;
  r.error = t.Summary();
  store.UpdateTable(run_id, r);
}

void FinishSyncRun(RunStore& store, const std::string& run_id,
                   const std::vector<TableRecord>& records, const SyncReport& report) {
  int64_t rows = 0;
  for (const TableRecord& r : records) rows += r.rows;
  const size_t failed = size_t(std::count_if(report.tables.begin(), report.tables.end(),
                                             [](const TableSync& t) { return t.failed; }));
  const size_t resync = size_t(std::count_if(report.tables.begin(), report.tables.end(),
                                             [](const TableSync& t) { return t.resync; }));
  std::string summary =
      fmt::format("{} tables synced, {} failed", report.tables.size() - failed, failed - resync);
  if (resync > 0) summary += fmt::format(", {} to copy again (gap in the change log)", resync);
  summary += fmt::format(", {} rows changed in {:.1f} s", rows, report.seconds);
  store.FinishRun(run_id,
                  report.interrupted ? RunStatus::kInterrupted
                  : failed           ? RunStatus::kFailed
                                     : RunStatus::kDone,
                  summary);
}

}  // namespace

}  // namespace sync

std::string TableSync::Summary() const {
  if (failed) return error.substr(0, error.find('\n'));
  if (mode == "watermark") {
    return fmt::format("upserted {} (watermark: deletes are not seen)", upserted);
  }
  return fmt::format("inserted {}, updated {}, deleted {}", inserted, updated, deleted);
}

bool SyncReport::AnyFailed() const {
  return std::any_of(tables.begin(), tables.end(), [](const TableSync& t) { return t.failed; }) ||
         (large_objects && !large_objects->error.empty());
}

bool SyncReport::AnyResync() const {
  return std::any_of(tables.begin(), tables.end(), [](const TableSync& t) { return t.resync; });
}

SyncReport RunSync(Endpoint& source, Endpoint& destination, const Job& job,
                   const SyncOptions& options) {
  using namespace sync;
  RefuseSwappedEnds(source, destination, job, options.watermark);  // before anything is written
  auto [store, lock] = LockRunState(destination);
  if (!lock) return sync::BusyReport();
  const auto start = Clock::now();
  SyncReport report;
  Job upsert = job;
  upsert.write_mode = WriteMode::kUpsert;
  for (TableOverride& o : upsert.overrides) o.write_mode = WriteMode::kUpsert;
  // Tolerant planning: a table that cannot be planned (a missing destination table, drift) is
  // recorded as failed, and the others are synced.
  std::vector<std::optional<Error>> problems;
  PlannedRun planned = PlanAndPrepare(source, destination, upsert, WholeTables(), &problems);

  std::unique_ptr<ChangeTracker> tracker = source.OpenChangeTracker();
  std::unique_ptr<SyncStateStore> state = destination.OpenSyncState(kDefaultStatePrefix);
  state->Prepare();

  // Schema drift: refused per table, or applied where the DBA opted in and ferry can.
  const DriftOutcome drift =
      ReconcileDrift(source, destination, upsert, options, *store, *state, planned, problems);
  const Plan& plan = planned.plan;
  const std::vector<PreparedTable>& tables = planned.tables;
  source.BeginSnapshot(Consistency::kNone);  // each batch reads rows as they are now

  LogConsumer consumer;
  consumer.id = state->Identity();
  consumer.destination = destination.info().display;

  RunRecord run;
  std::vector<TableRecord> records = StartSyncRun(*store, plan, tables, run);
  report.run_id = run.id;

  // Purged beside the sync where the source takes another writer at once (not SQLite).
  LogPurger purger(source);
  Syncer syncer(source, destination, options, *store, consumer,
                source.info().max_write_sessions != 1 ? &purger : nullptr);
  SyncContext context{source, destination, job, options, plan, drift, syncer, *tracker, *state};
  for (size_t i = 0; i < tables.size(); ++i) {
    const double started_at = Since(start);
    TableSync t = SyncOne(context, tables[i], i, problems[i]);
    t.started_at = started_at;
    report.interrupted = report.interrupted || t.interrupted;
    RecordTable(*store, run.id, t, records[i]);
    if (options.table_done) options.table_done(t, i, tables.size());
    report.tables.push_back(std::move(t));
  }
  for (auto& [table, warning] : purger.Finish()) {
    for (TableSync& t : report.tables) {
      if (DisplayName(t.destination) == table && t.warning.empty()) t.warning = warning;
    }
  }
  if (!report.interrupted) report.large_objects = SyncLargeObjects(source, destination, plan);
  report.seconds = Since(start);
  FinishSyncRun(*store, run.id, records, report);
  return report;
}

}  // namespace ferry
