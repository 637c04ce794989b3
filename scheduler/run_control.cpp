#include "scheduler/run_control.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "copier/error.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

namespace {

// The tables are created by the first run that writes (RunPlan, once the plan has been checked
// against both ends), so a refused run leaves the destination as it was.
std::unique_ptr<RunStore> OpenStore(Endpoint& destination, const std::string& prefix) {
  return destination.OpenRunStore(prefix);
}

std::string Describe(const RunRecord& run) {
  return fmt::format("run {} (started {} on {}, pid {})", run.id, run.started_at, run.host,
                     run.pid);
}

// Takes the destination's lock, or says who holds it.
std::unique_ptr<ScopeLock> Lock(RunStore& store, const Endpoint& destination) {
  std::unique_ptr<ScopeLock> lock = store.TryLock();
  if (lock) return lock;
  std::string holder = "another ferry process";
  for (const RunRecord& r : store.Runs()) {
    if (r.status == RunStatus::kRunning) {
      holder = fmt::format("`ferry {}` {}", r.command, Describe(r));
      break;
    }
  }
  throw Error(ErrorCode::kBusy,
              fmt::format("{} is writing into {}; one ferry run at a time writes into a "
                          "destination (wait for it, or stop it: it can be resumed)",
                          holder, destination.info().display));
}

// Runs still marked running while we hold the lock belong to processes that died.
void MarkDeadRuns(RunStore& store) {
  for (const RunRecord& r : store.Runs()) {
    if (r.status == RunStatus::kRunning) {
      std::string summary = "its process ended without finishing (killed or crashed)";
      if (!r.summary.empty() && r.summary != "resumed") summary += "; " + r.summary;
      store.FinishRun(r.id, RunStatus::kInterrupted, summary);
    }
  }
}

// What later runs did to the tables of runs[index] (runs newest first). A later run that
// finished done and copied every table of the old run (skipped ones aside) supersedes it: those
// tables hold that run's complete copy, and resuming the old run would add its missing units on
// top (duplicate keys, or doubled rows without a key). Any other later run that wrote into a
// table the old run had started makes resuming it unsafe. "Later" is by start time to the
// second (RunStore::Runs' order), then by run id.
struct LaterRuns {
  std::string superseded_by;  // run id
  std::string touched_by;     // run id
  TableName touched_table;
};

LaterRuns AfterRun(RunStore& store, const std::vector<RunRecord>& runs, size_t index) {
  LaterRuns out;
  std::vector<TableRecord> own = store.Tables(runs[index].id);
  for (size_t later = index; later-- > 0;) {
    const RunRecord& l = runs[later];
    if (l.command != "run" || l.status == RunStatus::kRunning) continue;
    std::vector<TableRecord> theirs = store.Tables(l.id);
    bool covers = l.status == RunStatus::kDone;
    for (const TableRecord& t : own) {
      if (t.state == "skipped") continue;
      auto same = std::find_if(theirs.begin(), theirs.end(), [&](const TableRecord& x) {
        return x.destination == t.destination && x.state != "pending" && x.state != "skipped";
      });
      covers = covers && same != theirs.end() && same->state == "done";
      if (same != theirs.end() && t.state != "pending" && out.touched_by.empty()) {
        out.touched_by = l.id;
        out.touched_table = t.destination;
      }
    }
    if (covers && !own.empty()) {
      out.superseded_by = l.id;
      return out;
    }
  }
  return out;
}

// Refuses --resume with a plan file that is not the plan the run stored: a resume runs the
// stored plan, and silently dropping the file's edits would copy something else than asked.
void RefuseOtherPlan(const RunRecord& run, const RunControl& control) {
  if (!control.plan_file) return;
  Plan stored = PlanFromJson(run.plan, fmt::format("the stored plan of run {}", run.id));
  std::vector<std::string> differences = PlanDifferences(stored, *control.plan_file);
  if (differences.empty()) return;
  std::string list;
  for (const std::string& d : differences) list += "\n    " + d;
  throw Error(ErrorCode::kUsage,
              fmt::format("--resume continues run {} with the plan it stored, and plan file {} "
                          "differs from it:{}\nresume without --plan to finish the stored plan, "
                          "or start over with the new plan after `ferry reset --yes`",
                          run.id, control.plan_file_name, list));
}

std::string Summary(const CopyReport& report) {
  int done = 0, failed = 0, interrupted = 0;
  int64_t rows = 0;
  for (const TableOutcome& t : report.tables) {
    done += t.state == TableState::kDone && t.schema_errors.empty();
    failed += t.state == TableState::kFailed || !t.schema_errors.empty();
    interrupted += t.state == TableState::kInterrupted;
    rows += t.rows;
  }
  std::string out = fmt::format("{} of {} tables done", done, report.tables.size());
  if (failed > 0) out += fmt::format(", {} failed", failed);
  if (interrupted > 0) out += fmt::format(", {} interrupted", interrupted);
  return out + fmt::format("; {} rows in {:.1f} s", rows, report.seconds);
}

}  // namespace

RecordedRun RunRecorded(Endpoint& source, Endpoint& destination, const std::string& scope,
                        const std::function<Plan()>& make_plan, const CopyOptions& options,
                        const RunControl& control, CopyObserver& observer) {
  RecordedRun out;
  if (options.explain_only) {
    out.report = RunPlan(source, destination, make_plan(), options, observer);
    return out;
  }
  std::unique_ptr<RunStore> store = OpenStore(destination, control.state_prefix);
  std::unique_ptr<ScopeLock> lock = Lock(*store, destination);
  MarkDeadRuns(*store);

  std::vector<RunRecord> runs = store->Runs();
  const RunRecord* latest = nullptr;  // the newest `run` of the same copy
  for (const RunRecord& r : runs) {
    if (r.command == "run" && r.scope == scope) {
      latest = &r;
      break;
    }
  }
  // An unfinished run whose tables a later run copied again, or partly wrote.
  auto later_runs = [&](const RunRecord& r) {
    return AfterRun(*store, runs, size_t(&r - runs.data()));
  };
  auto superseded_note = [&](const RunRecord& r, const LaterRuns& later) {
    std::string note = fmt::format(
        "run {} was {}, but run {} copied all its tables since: it is "
        "superseded and neither blocks nor can be resumed",
        r.id, RunStatusName(r.status), later.superseded_by);
    if (r.summary.find("superseded") == std::string::npos) {
      store->FinishRun(r.id, r.status,
                       r.summary + fmt::format("; superseded by run {}", later.superseded_by));
    }
    return note;
  };
  auto refuse_touched = [&](const RunRecord& r, const LaterRuns& later) {
    return Error(ErrorCode::kSchema,
                 fmt::format("run {} cannot be resumed: run {} wrote into {} since, which run {} "
                             "had started, so its missing units would land on other rows; "
                             "start over with `ferry reset --yes` (empties the tables it wrote), "
                             "or copy again with --truncate",
                             r.id, later.touched_by, DisplayName(later.touched_table), r.id));
  };
  const RunRecord* resumable = nullptr;
  if (control.resume && !control.resume_run.empty()) {
    for (const RunRecord& r : runs) {
      if (r.id == control.resume_run) resumable = &r;
    }
    if (!resumable || resumable->command != "run") {
      throw Error(ErrorCode::kNotFound,
                  fmt::format("no run {} in {}'s run state (ferry status lists the runs)",
                              control.resume_run, destination.info().display));
    }
    if (resumable->status == RunStatus::kDone) {
      throw Error(ErrorCode::kUsage, fmt::format("run {} finished ({}); nothing to resume",
                                                 resumable->id, resumable->summary));
    }
    if (resumable->status != RunStatus::kRunning) {
      const LaterRuns later = later_runs(*resumable);
      if (!later.superseded_by.empty()) {
        throw Error(ErrorCode::kUsage, superseded_note(*resumable, later) + "; nothing to resume");
      }
      if (!later.touched_by.empty()) throw refuse_touched(*resumable, later);
    }
    if (resumable->scope != scope) {
      throw Error(ErrorCode::kUsage,
                  fmt::format("run {} copied other tables or between other ends than these "
                              "options (or this plan file) name ({} -> {}); resume it with the "
                              "options it was started with, or without --plan",
                              resumable->id, resumable->source, resumable->destination));
    }
  } else if (control.resume) {
    if (latest && latest->status != RunStatus::kDone) resumable = latest;
    if (resumable) {
      const LaterRuns later = later_runs(*resumable);
      if (!later.superseded_by.empty()) {
        observer.Note(superseded_note(*resumable, later));
        resumable = nullptr;
      } else if (!later.touched_by.empty()) {
        throw refuse_touched(*resumable, later);
      }
    }
    if (!resumable) {
      std::string note = "nothing to resume for this copy: starting a new run";
      for (const RunRecord& r : runs) {
        if (r.command == "run" && r.status == RunStatus::kInterrupted) {
          note += fmt::format(
              " (the destination also holds interrupted run {} of another copy "
              "of {}; `--resume {}` names it)",
              r.id, r.source, r.id);
          break;
        }
      }
      observer.Note(note);
    }
  } else if (latest && latest->status == RunStatus::kInterrupted &&
             !later_runs(*latest).superseded_by.empty()) {
    observer.Note(superseded_note(*latest, later_runs(*latest)));
  } else if (latest && latest->status == RunStatus::kInterrupted) {
    throw Error(ErrorCode::kSchema,
                fmt::format("the destination holds an interrupted {} of this copy ({}); "
                            "continue it with `ferry run --resume`, or start over with "
                            "`ferry reset --yes` (empties the tables it wrote)",
                            Describe(*latest), latest->summary));
  }

  RunRecording recording;
  recording.store = store.get();
  Plan run_plan;
  if (resumable) RefuseOtherPlan(*resumable, control);
  if (resumable) {
    recording.resuming = true;
    recording.run = *resumable;
    recording.tables = store->Tables(resumable->id);
    recording.units = store->Units(resumable->id);
    run_plan =
        PlanFromJson(resumable->plan, fmt::format("the stored plan of run {}", resumable->id));
    observer.Note(fmt::format("resuming {}", Describe(*resumable)));
    store->FinishRun(resumable->id, RunStatus::kRunning, "resumed");
    out.resumed = true;
  } else {
    run_plan = make_plan();
    recording.run = NewRunRecord(run_plan, "run");
    recording.run.scope = scope;
  }
  try {
    out.report = RunPlan(source, destination, run_plan, options, observer, &recording);
  } catch (const Error& e) {
    // Refused before anything was written (drift, a bad destination): nothing to resume,
    // unless this was a resume, which stays as it was.
    if (!recording.resuming) {
      try {
        store->DeleteRun(recording.run.id);
      } catch (const Error&) {
      }
    } else {
      store->FinishRun(recording.run.id, RunStatus::kInterrupted,
                       fmt::format("resume refused: {}", e.message()));
    }
    throw;
  }
  // Units stopped by --fail-fast count as interrupted too, but that run failed.
  RunStatus status = RunStatus::kDone;
  if (StopRequested()) {
    status = RunStatus::kInterrupted;
  } else if (out.report.failed() > 0) {
    status = RunStatus::kFailed;
  } else if (out.report.interrupted() > 0) {
    status = RunStatus::kInterrupted;
  }
  store->FinishRun(recording.run.id, status, Summary(out.report));
  out.run = recording.run;
  out.run.status = status;
  return out;
}

RunHistory ReadRunHistory(Endpoint& destination, const std::string& state_prefix) {
  RunHistory history;
  history.runs = OpenStore(destination, state_prefix)->Runs();
  return history;
}

RunDetail ReadRunDetail(Endpoint& destination, const std::string& state_prefix,
                        const std::string& run) {
  std::unique_ptr<RunStore> store = OpenStore(destination, state_prefix);
  std::vector<RunRecord> runs = store->Runs();
  auto it = run.empty() ? runs.begin()
                        : std::find_if(runs.begin(), runs.end(),
                                       [&](const RunRecord& r) { return r.id == run; });
  if (it == runs.end()) {
    throw Error(ErrorCode::kNotFound,
                run.empty()
                    ? fmt::format("{} has no ferry runs recorded", destination.info().display)
                    : fmt::format("no run {} in {}'s run state", run, destination.info().display));
  }
  RunDetail detail;
  detail.run = *it;
  detail.tables = store->Tables(it->id);
  detail.units = store->Units(it->id);
  return detail;
}

ResetPlan PlanReset(Endpoint& destination, const std::string& state_prefix,
                    const std::string& source_display, const std::vector<TableName>& in_scope) {
  std::unique_ptr<RunStore> store = OpenStore(destination, state_prefix);
  ResetPlan reset;
  for (const RunRecord& r : store->Runs()) {
    if (r.source != source_display || r.command != "run") continue;
    bool touches = false;
    for (const TableRecord& t : store->Tables(r.id)) {
      if (std::find(in_scope.begin(), in_scope.end(), t.source) == in_scope.end()) continue;
      touches = true;
      if (t.state == "pending" || t.state == "skipped") continue;
      if (std::find(reset.tables.begin(), reset.tables.end(), t.destination) ==
              reset.tables.end() &&
          destination.DescribeTable(t.destination)) {
        reset.tables.push_back(t.destination);
      }
    }
    if (touches) reset.runs.push_back(r.id);
  }
  return reset;
}

void ApplyReset(Endpoint& destination, const std::string& state_prefix, const ResetPlan& reset) {
  std::unique_ptr<RunStore> store = OpenStore(destination, state_prefix);
  std::unique_ptr<ScopeLock> lock = Lock(*store, destination);
  for (const TableName& t : reset.tables) destination.TruncateTable(t);
  for (const std::string& run : reset.runs) store->DeleteRun(run);
}

std::string AdviceFor(const std::string& error) {
  auto has = [&](const char* text) { return error.find(text) != std::string::npos; };
  if (has("[23505]") || has("Duplicate entry") || has("UNIQUE constraint")) {
    return "the destination already holds a row with this key: empty the table (ferry reset "
           "--yes, or --truncate), or copy with --write-mode upsert";
  }
  if (has("[22001]") || has("too long") || has("does not fit")) {
    return "a value is longer than the destination column allows: widen the column, or let "
           "ferry create the table";
  }
  if (has("[23502]") || has("cannot be null") || has("NOT NULL")) {
    return "the destination column refuses NULL but the source holds NULLs";
  }
  if (has("[23503]") || has("foreign key constraint")) {
    return "a foreign key at the destination refuses the row: copy the referenced table first "
           "or let ferry build foreign keys after the load";
  }
  if (has("[42501]") || has("permission denied") || has("command denied")) {
    return "the destination user lacks a privilege: `ferry check` lists what is missing";
  }
  if (has("[08") || has("connection")) {
    return "the connection dropped and the retries ran out: `ferry run --resume` continues "
           "where the run stopped";
  }
  return "";
}

}  // namespace ferry
