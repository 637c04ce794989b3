#include "scheduler/run_recorder.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

namespace ferry {

namespace {

bool StartedState(const TableRecord* r) {
  return r && ParseTableState(r->state) != TableState::kPending;
}

// A unit's timing as its done mark records it, made just before its commit: the pipeline's
// clock (seconds since it started) is turned into the wall clock from this moment.
UnitTiming TimingOf(const UnitResult& r) {
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  UnitTiming t;
  t.finished_at = now;
  t.started_at = now - std::max(0.0, r.finished_at - r.started_at);
  t.read = r.times.read;
  t.convert = r.times.convert;
  t.wait_slot = r.times.wait_slot;
  t.wait_data = r.times.wait_data;
  t.write = r.times.write;
  t.reader = r.reader;
  t.writer = r.writer;
  return t;
}

constexpr const char* kCloneSequences = "clone_sequences";

// The plan's JSON with the clone's sequences beside its fields (a stored plan is read leniently:
// PlanFromJson passes over the field).
std::string WithCloneSequences(std::string plan, const std::vector<TableName>& sequences) {
  if (sequences.empty()) return plan;
  nlohmann::json doc = nlohmann::json::parse(plan);
  for (const TableName& n : sequences) {
    doc[kCloneSequences].push_back({{"schema", n.schema}, {"name", n.name}});
  }
  return doc.dump(2) + "\n";
}

}  // namespace

std::vector<TableName> CloneSequences(const RunRecord& run) {
  std::vector<TableName> out;
  try {
    const nlohmann::json doc = nlohmann::json::parse(run.plan);
    for (const nlohmann::json& n : doc.value(kCloneSequences, nlohmann::json::array())) {
      out.push_back({n.at("schema").get<std::string>(), n.at("name").get<std::string>()});
    }
  } catch (const nlohmann::json::exception&) {
    return {};  // not a plan this ferry wrote
  }
  return out;
}

RunRecorder::RunRecorder(RunRecording* recording, size_t tables)
    : recording_(recording), tables_(tables, nullptr) {
  if (!resuming()) return;
  for (const TableRecord& r : recording_->tables) {
    if (r.index >= 0 && size_t(r.index) < tables) tables_[size_t(r.index)] = &r;
  }
}

bool RunRecorder::Started(size_t table) const {
  return StartedState(tables_[table]);
}

bool RunRecorder::Finished(size_t table) const {
  return tables_[table] && ParseTableState(tables_[table]->state) == TableState::kDone;
}

bool RunRecorder::Created(size_t table) const {
  return tables_[table] && tables_[table]->created;
}

int64_t RunRecorder::RecordedRows(size_t table) const {
  return tables_[table] ? tables_[table]->rows : 0;
}

const UnitRecord* RunRecorder::DoneUnit(size_t table, int part) const {
  if (!resuming()) return nullptr;
  const UnitRecord* u = FindUnitRecord(recording_->units, int(table), part);
  return u && u->state == UnitRecordState::kDone ? u : nullptr;
}

Plan RunRecorder::Adjusted(const Plan& plan) const {
  Plan out = plan;
  for (size_t i = 0; i < out.tables.size() && i < tables_.size(); ++i) {
    WriteMode& mode = out.tables[i].write_mode;
    if (Started(i) && (mode == WriteMode::kCreate || mode == WriteMode::kTruncate)) {
      mode = WriteMode::kAppend;
    }
  }
  return out;
}

void RunRecorder::Start(const Plan& plan, const std::vector<PreparedTable>& tables,
                        const std::vector<TableName>& clone_sequences) {
  if (!recording_) return;
  if (!recording_->resuming) {
    Plan stored = plan;
    std::vector<TableRecord> table_records;
    std::vector<UnitRecord> unit_records;
    for (size_t i = 0; i < tables.size(); ++i) {
      TablePlan& sp = stored.tables[i];
      TableRecord r;
      r.index = int(i);
      r.source = sp.source;
      r.destination = sp.destination;
      r.state = TableStateName(tables[i].skip ? TableState::kSkipped : TableState::kPending);
      r.estimated_rows = sp.estimated_rows;
      r.units = int(tables[i].units.size());
      table_records.push_back(r);
      if (tables[i].skip) continue;
      if (tables[i].units.size() > 1) {
        sp.units.clear();
        for (const WorkUnit& u : tables[i].units) sp.units.push_back(ToPlannedUnit(u.range));
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
    recording_->run.plan = WithCloneSequences(PlanToJson(stored), clone_sequences);
    recording_->run.plan_fingerprint = PlanFingerprint(recording_->run.plan);
    recording_->store->Prepare();
    recording_->store->StartRun(recording_->run, table_records, unit_records);
  }
  recording_->started = true;
}

void RunRecorder::Abandon() {
  if (recording_ && !recording_->resuming) recording_->started = false;
}

void RunRecorder::MarkOnCommit(UnitJob& job, size_t table, int part) const {
  if (!recording_) return;
  job.finish = [store = recording_->store, run = recording_->run.id, table,
                part](const UnitResult& r) {
    return store->UnitDoneSql(run, int(table), part, r.rows, r.bytes, r.attempts, TimingOf(r));
  };
  job.committed = [store = recording_->store, run = recording_->run.id, table, part] {
    return store->UnitCommitted(run, int(table), part);
  };
  job.spooled = [store = recording_->store, run = recording_->run.id, table, part](int64_t rows,
                                                                                   uint64_t bytes) {
    store->SpoolUnit(run, int(table), part, rows, int64_t(bytes));
  };
}

std::function<bool(const UnitJob&)> RunRecorder::UnitClaim() const {
  const SharedWork* work = shared();
  if (!work) return nullptr;
  return [store = recording_->store, run = recording_->run.id, worker = work->worker,
          lease_ms = work->lease_ms](const UnitJob& job) {
    return store->ClaimUnit(run, worker, int(job.table), job.read.unit.part, lease_ms);
  };
}

void RunRecorder::TableRunning(size_t table, const TableOutcome& t) const {
  if (!recording_) return;
  TableRecord r;
  r.index = int(table);
  r.state =
      TableStateName(t.state == TableState::kFailed ? TableState::kFailed : TableState::kRunning);
  r.created = t.created;
  r.units = t.units;
  r.units_done = t.units_done;
  r.rows = t.resumed_rows;
  if (t.error) r.error = t.error->what();
  recording_->store->UpdateTable(recording_->run.id, r);
}

void RunRecorder::TableStarted(size_t table, const TableOutcome& t, double seconds_ago) const {
  if (!recording_) return;
  TableRecord r;
  r.index = int(table);
  r.state = TableStateName(TableState::kRunning);
  r.created = t.created;
  r.units = t.units;
  r.units_done = t.units_done;
  r.rows = t.resumed_rows;
  r.started_at = UtcTimestamp(double(std::time(nullptr)) - seconds_ago);
  try {
    recording_->store->UpdateTable(recording_->run.id, r);
  } catch (const std::exception&) {
    // Called while the pipeline runs: a lost start time only costs `status` a table's time so
    // far, and the unit records' own commits report a broken destination.
  }
}

void RunRecorder::TableDropped(size_t table) const {
  if (recording_) recording_->store->ResetUnits(recording_->run.id, int(table));
}

void RunRecorder::TableFinished(size_t table, const TableOutcome& t, int resumed_units) const {
  if (!recording_) return;
  for (const UnitResult& u : t.unit_results) {
    if (u.state == UnitState::kFailed && !u.Interrupted()) {
      recording_->store->FailUnit(recording_->run.id, int(table), u.part, u.attempts,
                                  u.error->what());
    }
  }
  TableRecord r;
  r.index = int(table);
  r.state = TableStateName(t.state);
  r.created = t.created;
  r.rows = t.rows;
  r.bytes = t.bytes;
  r.seconds = t.seconds;
  r.units = t.units;
  r.units_done = t.resumed_rows > 0 || t.state != TableState::kFailed ? resumed_units : 0;
  for (const UnitResult& u : t.unit_results) r.units_done += u.state == UnitState::kDone;
  r.attempts = t.attempts;
  r.estimated_rows = t.estimated_rows;
  r.error = t.error ? t.error->what() : "";
  for (const std::string& e : t.schema_errors) r.error += (r.error.empty() ? "" : "\n") + e;
  r.warnings = t.warnings;
  recording_->store->UpdateTable(recording_->run.id, r);
}

}  // namespace ferry
