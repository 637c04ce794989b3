#include "scheduler/sync_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
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

// A tracked position: "<generation>/<applied sequence>". A position an older ferry wrote has no
// generation (0), which matches no tracking.
struct TrackedPosition {
  int64_t generation = 0;
  int64_t applied = 0;
};

TrackedPosition ParsePosition(const std::string& text) {
  TrackedPosition p;
  try {
    const size_t slash = text.find('/');
    if (slash == std::string::npos) {
      p.applied = text.empty() ? 0 : std::stoll(text);
    } else {
      p.generation = std::stoll(text.substr(0, slash));
      p.applied = std::stoll(text.substr(slash + 1));
    }
  } catch (const std::exception&) {
    return TrackedPosition{};
  }
  return p;
}

std::string FormatPosition(int64_t generation, int64_t applied) {
  return fmt::format("{}/{}", generation, applied);
}

// How to copy a table again so that sync continues from there.
std::string CopyAgainAdvice(const TableCopyPlan& copy) {
  return fmt::format(
      "copy it again (ferry run --truncate --include '{}' with the same source and "
      "destination); the next sync continues from that copy",
      DisplayName(copy.source.name));
}

// Whether a `ferry run` that started after `since` copied destination `table` completely.
// Timestamps are to the second, and a run of the same second as `since` may have started before
// it (the copy a refused sync followed, say): only a later second proves the copy came after.
bool CopiedSince(RunStore& store, const TableName& table, const std::string& since) {
  for (const RunRecord& r : store.Runs()) {
    if (r.command != "run" || r.status == RunStatus::kRunning || r.started_at <= since) continue;
    for (const TableRecord& t : store.Tables(r.id)) {
      if (t.destination == table && t.state == "done") return true;
    }
  }
  return false;
}

// The column pairs a table is synced with, names and declared types at both ends, one line each.
std::string ShapeText(const TablePlan& plan) {
  std::string out;
  for (const PlannedColumn& c : plan.columns) {
    out +=
        c.source + "\t" + c.destination + "\t" + c.source_type + "\t" + c.destination_type + "\n";
  }
  return out;
}

// Columns whose declared type changed at either end between two shapes (columns in both only:
// added and dropped ones are found otherwise), as "name (was -> now)".
std::vector<std::string> Retyped(const std::string& was, const std::string& now) {
  auto parse = [](const std::string& text) {
    std::vector<std::array<std::string, 4>> out;
    size_t at = 0;
    while (at < text.size()) {
      size_t end = text.find('\n', at);
      if (end == std::string::npos) end = text.size();
      std::array<std::string, 4> fields;
      size_t from = at;
      for (size_t f = 0; f < 4; ++f) {
        size_t tab = f < 3 ? text.find('\t', from) : end;
        if (tab == std::string::npos || tab > end) tab = end;
        fields[f] = text.substr(from, tab - from);
        from = std::min(tab + 1, end);
      }
      out.push_back(fields);
      at = end + 1;
    }
    return out;
  };
  std::vector<std::string> out;
  for (const auto& n : parse(now)) {
    for (const auto& w : parse(was)) {
      if (w[0] != n[0] || w[1] != n[1]) continue;
      if (w[2] != n[2]) out.push_back(fmt::format("{} ({} -> {} at the source)", n[1], w[2], n[2]));
      if (w[3] != n[3]) {
        out.push_back(fmt::format("{} ({} -> {} at the destination)", n[1], w[3], n[3]));
      }
    }
  }
  return out;
}

// Columns that changed between the copy and now, at either end.
struct Drift {
  std::vector<std::string> added;    // at the source only (destination names)
  std::vector<std::string> dropped;  // at the destination only
  std::vector<std::string> retyped;  // whose types no longer go together
  bool empty() const { return added.empty() && dropped.empty() && retyped.empty(); }
};

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::optional<int> FindByName(const Table& table, const std::string& name) {
  if (auto at = table.FindColumn(name)) return at;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const std::string& c = table.columns[i].name;
    if (c.size() == name.size() && std::equal(c.begin(), c.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        })) {
      return int(i);
    }
  }
  return std::nullopt;
}

// What the source and destination columns disagree on. A table that planned: destination
// columns no source column feeds. A table whose planning failed with a schema error: both ends
// described again and compared by (renamed) column name; a column the error names that both
// ends have is retyped.
Drift FindDrift(const PreparedTable& prepared, const std::optional<Error>& problem,
                Endpoint& source, Endpoint& destination, const Job& job) {
  Drift drift;
  if (!problem) {
    if (prepared.skip) return drift;
    const Table& d = prepared.copy.destination;
    for (size_t j = 0; j < d.columns.size(); ++j) {
      if (std::find(prepared.copy.destination_columns.begin(),
                    prepared.copy.destination_columns.end(),
                    int(j)) == prepared.copy.destination_columns.end()) {
        drift.dropped.push_back(d.columns[j].name);
      }
    }
    return drift;
  }
  if (problem->code() != ErrorCode::kSchema) return drift;
  const TablePlan& plan = *prepared.plan;
  std::optional<Table> s = source.DescribeTable(plan.source);
  std::optional<Table> d = destination.DescribeTable(plan.destination);
  if (!s || !d) return drift;
  std::vector<bool> matched(d->columns.size(), false);
  for (const Column& c : s->columns) {
    const std::string name =
        job.renames.ApplyToColumn(plan.source, c.name, source.info().default_schema);
    std::optional<int> at = FindByName(*d, name);
    if (!at) {
      drift.added.push_back(name);
      continue;
    }
    matched[size_t(*at)] = true;
    if (problem->context().column == c.name) drift.retyped.push_back(name);
  }
  for (size_t j = 0; j < d->columns.size(); ++j) {
    if (!matched[j]) drift.dropped.push_back(d->columns[j].name);
  }
  return drift;
}

std::string DriftMessage(const Drift& drift, const TableCopyPlan& copy, const TablePlan& plan,
                         Endpoint& source, Endpoint& destination) {
  const std::string dest = DisplayName(plan.destination);
  std::string out = "schema drift since the copy, so this table is not synced:";
  if (!drift.added.empty()) {
    out += fmt::format(
        " column(s) {} are at the source but not in destination table {} (added "
        "at the source, or dropped or renamed at the destination);",
        Joined(drift.added), dest);
  }
  if (!drift.dropped.empty()) {
    out += fmt::format(
        " column(s) {} of destination table {} are not at the source (dropped or "
        "renamed at the source, or added at the destination);",
        Joined(drift.dropped), dest);
  }
  if (!drift.retyped.empty()) {
    std::string types;
    std::optional<Table> s = source.DescribeTable(plan.source);
    std::optional<Table> d = destination.DescribeTable(plan.destination);
    for (const std::string& name : drift.retyped) {
      if (name.find(" (") != std::string::npos) {  // already says how
        types += (types.empty() ? "" : ", ") + name;
        continue;
      }
      std::optional<int> at_s = s ? FindByName(*s, name) : std::nullopt;
      std::optional<int> at_d = d ? FindByName(*d, name) : std::nullopt;
      types +=
          fmt::format("{}{} ({} at the source, {} at the destination)", types.empty() ? "" : ", ",
                      name, at_s ? s->columns[size_t(*at_s)].type.native : "?",
                      at_d ? d->columns[size_t(*at_d)].type.native : "?");
    }
    out += fmt::format(
        " column(s) {} changed type since the copy (ferry does not change a "
        "column's type, nor sync values into a column of another type: alter it "
        "yourself);",
        types);
  }
  (void)copy;
  out += drift.retyped.empty()
             ? " apply the change with sync --apply-schema-changes (adds and drops those columns "
               "at the destination, then re-copies the table's rows by upsert), or copy the table "
               "again (ferry run --truncate --include '" +
                   DisplayName(plan.source) + "')"
             : " or copy the table again (ferry run --truncate --include '" +
                   DisplayName(plan.source) + "')";
  return out;
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
  Syncer(Endpoint& source, Endpoint& destination, const SyncOptions& options, RunStore& store,
         LogConsumer consumer)
      : source_(source),
        destination_(destination),
        options_(options),
        store_(store),
        consumer_(std::move(consumer)) {
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
    const TrackGeneration generation = tracker.Generation(copy.source);
    LogConsumer me = consumer_;
    me.destination += " " + DisplayName(copy.destination.name);
    me.generation = generation.generation;
    std::optional<SyncPosition> at = state.Get(copy.destination.name);
    const bool recorded = at && (at->mode == "tracked" || at->mode == "resync");
    const TrackedPosition position = recorded ? ParsePosition(at->position) : TrackedPosition{};
    // Where this destination continues from: its own position in this generation; else where
    // a copy registered it with the log (ferry run on a tracked source, or a refusal that then
    // waits for a copy); else, for a table never synced, the log's start.
    int64_t applied = 0;
    if (recorded && at->mode == "tracked" && position.generation == generation.generation) {
      applied = position.applied;
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
    me.applied = applied;
    // Registered (or still registered) at what it applied, unless the log lost entries it needs.
    if (!tracker.Join(copy.source, me)) {
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
    const int64_t upto = tracker.StableSequence(copy.source);
    out.position = std::to_string(applied);
    int failures = 0;
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
                            {"tracked", FormatPosition(me.generation, batch.last_sequence), "",
                             ShapeText(*prepared.plan)}));
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
        // Safe: the destination has committed everything up to `applied`. The log is purged only
        // below what every registered destination applied. A purge that fails (a read-only
        // server) loses nothing: the entries stay below the applied sequence.
        try {
          me.applied = applied;
          tracker.Purge(copy.source, me);
        } catch (const Error& e) {
          out.warning = "the change log was not purged: " + std::string(e.what());
        }
      }
      if (failure) {
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

bool SyncReport::AnyResync() const {
  return std::any_of(tables.begin(), tables.end(), [](const TableSync& t) { return t.resync; });
}

namespace {

// A keyless table has no key to name changed rows by: both ends are read whole and compared as
// multisets of row hashes (ferry verify's keyless comparison), and a table that differs is
// replaced by the source's rows in one destination transaction (verify --repair).
void DiffKeyless(Endpoint& source, Endpoint& destination, const Plan& planned,
                 const TablePlan& table, const SyncOptions& options, TableSync& out) {
  out.mode = "diff";
  Plan plan = planned;
  plan.tables = {table};
  VerifyOptions verify = options.verify;
  verify.repair = true;
  const VerifyReport report = RunVerify(source, destination, plan, verify);
  if (report.tables.empty()) throw Error(ErrorCode::kInternal, "the diff compared no table");
  const TableVerification& v = report.tables[0];
  if (v.repaired) {
    out.inserted = v.counts_before_repair.missing;
    out.updated = v.counts_before_repair.different;
    out.deleted = v.counts_before_repair.extra;
    out.batches = v.ranges_repaired;
  }
  if (v.verdict != Verdict::kIdentical) {
    if (StopRequested()) throw Error(ErrorCode::kInterrupted, "stopped by a signal");
    throw Error(v.verdict == Verdict::kFailed ? v.error_code : ErrorCode::kData,
                v.verdict == Verdict::kFailed ? v.error
                : !v.repair_error.empty()     ? "repair failed: " + v.repair_error
                                              : "still differs after the repair");
  }
}

}  // namespace

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
  // Tolerant planning: a table that cannot be planned (a missing destination table, drift) is
  // recorded as failed, and the others are synced.
  std::vector<std::optional<Error>> problems;
  PlannedRun planned = PlanAndPrepare(source, destination, upsert, WholeTables(), &problems);

  std::unique_ptr<ChangeTracker> tracker = source.OpenChangeTracker();
  std::unique_ptr<SyncStateStore> state = destination.OpenSyncState(kDefaultStatePrefix);
  state->Prepare();

  // Schema drift: refused per table, or applied where the DBA opted in and ferry can.
  std::vector<std::string> drift_errors(planned.tables.size());
  std::vector<std::string> applied_changes(planned.tables.size());
  std::vector<bool> backfill(planned.tables.size(), false);
  bool changed = false;
  for (size_t i = 0; i < planned.tables.size(); ++i) {
    const PreparedTable& prepared = planned.tables[i];
    Drift drift;
    try {
      drift = FindDrift(prepared, problems[i], source, destination, upsert);
    } catch (const Error& e) {
      drift_errors[i] = e.what();
      continue;
    }
    if (!problems[i] && !prepared.skip) {
      // A column retyped at either end since the last sync (the types ferry paired then are
      // recorded with the position), unless the table was copied again since.
      try {
        const std::string shape = ShapeText(*prepared.plan);
        std::optional<SyncPosition> at = state->Get(prepared.plan->destination);
        if (at && at->shape != shape) {
          std::vector<std::string> retyped = Retyped(at->shape, shape);
          if (!retyped.empty() &&
              !CopiedSince(*store, prepared.plan->destination, at->updated_at)) {
            drift.retyped = std::move(retyped);
          } else if (drift.empty()) {
            state->SetShape(prepared.plan->destination, shape);
          }
        }
      } catch (const Error& e) {
        drift_errors[i] = e.what();
        continue;
      }
    }
    if (drift.empty()) continue;
    if (!options.apply_schema_changes || !drift.retyped.empty()) {
      drift_errors[i] = DriftMessage(drift, prepared.copy, *prepared.plan, source, destination);
      continue;
    }
    try {
      const TablePlan& plan = *prepared.plan;
      for (const std::string& column : drift.dropped) state->DropColumn(plan.destination, column);
      if (!drift.added.empty()) {
        std::optional<Table> s = source.DescribeTable(plan.source);
        std::optional<Table> d = destination.DescribeTable(plan.destination);
        if (!s || !d) throw Error(ErrorCode::kNotFound, "the table disappeared");
        for (const Column& c : s->columns) {
          const std::string name =
              upsert.renames.ApplyToColumn(plan.source, c.name, source.info().default_schema);
          if (std::find(drift.added.begin(), drift.added.end(), name) == drift.added.end()) {
            continue;
          }
          Column added = c;
          added.name = name;
          added.type = destination.MapType(c.type, source.info().engine);
          // Rows already there get their values from the re-copy that follows.
          added.nullable = true;
          added.identity = false;
          d->columns.push_back(added);
          state->AddColumn(*d, d->columns.size() - 1);
        }
        backfill[i] = true;
      }
      std::string what;
      if (!drift.added.empty()) what += "added column(s) " + Joined(drift.added);
      if (!drift.dropped.empty()) {
        what +=
            (what.empty() ? "" : "; ") + std::string("dropped column(s) ") + Joined(drift.dropped);
      }
      applied_changes[i] = what;
      changed = true;
    } catch (const Error& e) {
      drift_errors[i] = "applying the schema change failed: " + std::string(e.what());
    }
  }
  if (changed) {
    // The destination's shape changed: plan again against it.
    problems.clear();
    planned = PlanAndPrepare(source, destination, upsert, WholeTables(), &problems);
    for (size_t i = 0; i < planned.tables.size(); ++i) {
      if (applied_changes[i].empty() || problems[i] || planned.tables[i].skip) continue;
      state->SetShape(planned.tables[i].plan->destination, ShapeText(*planned.tables[i].plan));
    }
  }
  const Plan& plan = planned.plan;
  const std::vector<PreparedTable>& tables = planned.tables;
  source.BeginSnapshot(Consistency::kNone);  // each batch reads rows as they are now

  LogConsumer consumer;
  consumer.id = state->Identity();
  consumer.destination = destination.info().display;

  RunRecord run = NewRunRecord(plan, "sync");
  report.run_id = run.id;
  std::vector<TableRecord> records;
  for (size_t i = 0; i < tables.size(); ++i) {
    TableRecord r;
    r.index = int(i);
    r.source = tables[i].plan->source;
    r.destination = tables[i].plan->destination;
    records.push_back(r);
  }
  store->StartRun(run, records, {});

  Syncer syncer(source, destination, options, *store, consumer);
  for (size_t i = 0; i < tables.size(); ++i) {
    const PreparedTable& prepared = tables[i];
    TableSync t;
    t.source = prepared.plan->source;
    t.destination = prepared.plan->destination;
    // The command line's --watermark, else the job file's per-table one.
    std::string watermark = options.watermark;
    if (watermark.empty()) {
      watermark = job.OverrideFor(t.source, source.info().default_schema).watermark.value_or("");
    }
    t.mode = watermark.empty() ? "tracked" : "watermark";
    t.watermark = watermark;
    t.schema_changes = applied_changes[i];
    const auto table_start = Clock::now();
    const bool keyless = !prepared.skip && prepared.copy.source.RowKey().empty();
    try {
      if (StopRequested()) {
        throw Error(ErrorCode::kInterrupted, "stopped by a signal before this table began");
      }
      if (problems[i] && drift_errors[i].empty()) throw *problems[i];
      if (!drift_errors[i].empty()) {
        throw Error(ErrorCode::kSchema, drift_errors[i],
                    ErrorContext{DisplayName(t.source), "", "", ""});
      }
      if (keyless) {
        DiffKeyless(source, destination, plan, *prepared.plan, options, t);
      } else if (!prepared.skip) {
        syncer.Table(prepared, watermark, *tracker, *state, t, backfill[i]);
      }
    } catch (const Error& e) {
      t.failed = true;
      t.error = e.what();
      t.resync = e.code() == ErrorCode::kResyncNeeded;
      t.interrupted = e.code() == ErrorCode::kInterrupted;
      report.interrupted = report.interrupted || t.interrupted;
    }
    t.seconds = Since(table_start);
    TableRecord& r = records[i];
    r.state = t.interrupted ? "interrupted" : t.failed ? "failed" : "done";
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
  const size_t resync = size_t(std::count_if(report.tables.begin(), report.tables.end(),
                                             [](const TableSync& t) { return t.resync; }));
  std::string summary =
      fmt::format("{} tables synced, {} failed", report.tables.size() - failed, failed - resync);
  if (resync > 0) summary += fmt::format(", {} to copy again (gap in the change log)", resync);
  summary += fmt::format(", {} rows changed in {:.1f} s", rows, report.seconds);
  store->FinishRun(run.id,
                   report.interrupted ? RunStatus::kInterrupted
                   : failed           ? RunStatus::kFailed
                                      : RunStatus::kDone,
                   summary);
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

std::string RegisterCopyWithChangeLogs(Endpoint& source, Endpoint& destination,
                                       const std::vector<TableName>& tables) {
  std::unique_ptr<ChangeTracker> tracker;
  try {
    tracker = source.OpenChangeTracker();
  } catch (const Error&) {
    return "";  // an engine without change tracking
  }
  std::unique_ptr<SyncStateStore> state;
  LogConsumer me;
  for (const TableName& name : tables) {
    Table table;
    table.name = name;
    try {
      if (!tracker->Enabled(table)) continue;
      if (!state) {
        state = destination.OpenSyncState(kDefaultStatePrefix);
        state->Prepare();
        me.id = state->Identity();
        me.destination = destination.info().display;
      }
      LogConsumer c = me;
      c.destination += " " + DisplayName(destination.DestinationName(name, source.info().engine));
      c.generation = tracker->Generation(table).generation;
      c.applied = tracker->StableSequence(table);
      tracker->Join(table, c, /*keep=*/true);
    } catch (const Error& e) {
      return fmt::format(
          "{}: this destination could not register with the change log ({}); "
          "its first sync may have to copy the table again",
          DisplayName(name), e.what());
    }
  }
  return "";
}

std::vector<TrackOutcome> RunTrack(Endpoint& source, const Job& job, TrackAction action,
                                   const std::string& consumer) {
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
      if (action == TrackAction::kUnregister && tracker->Enabled(*table)) {
        o.unregistered = tracker->Unregister(*table, consumer);
      }
      o.status = tracker->Status(*table);
    } catch (const Error& e) {
      o.error = e.what();
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace ferry
