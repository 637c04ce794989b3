#include "tests/support/memory_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "copier/error.hpp"

namespace ferry::test::memory {

namespace {

constexpr const char* kUnitDone = "memory-unit-done";
constexpr char kSeparator = '\x1f';

Error StateError(const std::string& what, const char* sqlstate) {
  return Error(ErrorCode::kDriver, what, {}, {Diagnostic{sqlstate, 0, what}});
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(text);
  while (std::getline(in, field, kSeparator)) out.push_back(field);
  return out;
}

RunRecord* FindRun(RunState& state, const std::string& run) {
  auto it = std::find_if(state.runs.begin(), state.runs.end(),
                         [&](const RunRecord& r) { return r.id == run; });
  return it == state.runs.end() ? nullptr : &*it;
}

class MemoryLock final : public ScopeLock {
 public:
  MemoryLock(std::shared_ptr<Shared> shared, std::string prefix)
      : shared_(std::move(shared)), prefix_(std::move(prefix)) {}
  ~MemoryLock() override {
    std::lock_guard lock(shared_->mutex);
    shared_->run_states[prefix_].locked = false;
  }

 private:
  std::shared_ptr<Shared> shared_;
  std::string prefix_;
};

class MemoryRunStore final : public RunStore {
 public:
  MemoryRunStore(std::shared_ptr<Shared> shared, std::string prefix)
      : shared_(std::move(shared)), prefix_(std::move(prefix)) {}

  void Prepare() override {
    std::lock_guard lock(shared_->mutex);
    shared_->run_states[prefix_].prepared = true;
  }

  std::unique_ptr<ScopeLock> TryLock() override {
    std::lock_guard lock(shared_->mutex);
    RunState& state = shared_->run_states[prefix_];
    if (state.locked) return nullptr;
    state.locked = true;
    return std::make_unique<MemoryLock>(shared_, prefix_);
  }

  void StartRun(const RunRecord& run, const std::vector<TableRecord>& tables,
                const std::vector<UnitRecord>& units) override {
    std::lock_guard lock(shared_->mutex);
    RunState& state = Prepared();
    owned_run_ = run.id;
    owner_token_ = run.owner_token;
    if (FindRun(state, run.id)) return;  // a repeat after a lost reply
    state.runs.push_back(run);
    state.tables[run.id] = tables;
    state.units[run.id] = units;
  }

  void ClaimRun(const RunRecord& run) override {
    std::lock_guard lock(shared_->mutex);
    owned_run_ = run.id;
    owner_token_ = run.owner_token;
    if (RunRecord* r = FindRun(Prepared(), run.id)) {
      r->status = RunStatus::kRunning;
      r->finished_at = "";
      r->summary = "resumed";
      r->host = run.host;
      r->pid = run.pid;
      r->owner_token = run.owner_token;
    }
  }

  void FinishRun(const std::string& run, RunStatus status, const std::string& summary) override {
    std::lock_guard lock(shared_->mutex);
    if (!Owned(run)) return;
    if (RunRecord* r = FindRun(Prepared(), run)) {
      r->status = status;
      r->finished_at = UtcTimestamp();
      r->summary = summary;
    }
  }

  void UpdateTable(const std::string& run, const TableRecord& t) override {
    std::lock_guard lock(shared_->mutex);
    if (!Owned(run)) return;
    for (TableRecord& r : Prepared().tables[run]) {
      if (r.index != t.index) continue;
      r.state = t.state;
      r.created = t.created;
      r.rows = t.rows;
      r.bytes = t.bytes;
      r.seconds = t.seconds;
      r.units = t.units;
      r.units_done = t.units_done;
      r.attempts = t.attempts;
      if (!t.started_at.empty()) r.started_at = t.started_at;
      r.error = t.error;
    }
  }

  void FailUnit(const std::string& run, int table, int part, int attempts,
                const std::string& error) override {
    std::lock_guard lock(shared_->mutex);
    if (!Owned(run)) return;
    for (UnitRecord& u : Prepared().units[run]) {
      if (u.table != table || u.part != part || u.state == UnitRecordState::kDone) continue;
      u.state = UnitRecordState::kFailed;
      u.attempts = attempts;
      u.error = error;
    }
  }

  void ResetUnits(const std::string& run, int table) override {
    std::lock_guard lock(shared_->mutex);
    if (!Owned(run)) return;
    for (UnitRecord& u : Prepared().units[run]) {
      if (u.table != table) continue;
      u.state = UnitRecordState::kPending;
      u.rows = 0;
      u.bytes = 0;
    }
  }

  std::vector<std::string> UnitDoneSql(const std::string& run, int table, int part, int64_t rows,
                                       int64_t bytes, int attempts,
                                       const UnitTiming& = {}) override {
    std::lock_guard lock(shared_->mutex);
    const std::string token = run == owned_run_ ? owner_token_ : "";
    return {fmt::format("{1}{0}{2}{0}{3}{0}{4}{0}{5}{0}{6}{0}{7}{0}{8}{0}{9}", kSeparator,
                        kUnitDone, prefix_, run, token, table, part, rows, bytes, attempts)};
  }

  bool UnitCommitted(const std::string& run, int table, int part) override {
    std::lock_guard lock(shared_->mutex);
    for (const UnitRecord& u : shared_->run_states[prefix_].units[run]) {
      if (u.table == table && u.part == part) return u.state == UnitRecordState::kDone;
    }
    return false;
  }

  int EndSessionsOf(const std::string&, int64_t) override { return 0; }

  std::vector<RunRecord> Runs() override {
    std::lock_guard lock(shared_->mutex);
    std::vector<RunRecord> runs = shared_->run_states[prefix_].runs;
    // Newest first, by start time to the second, then by id: the real stores' order.
    std::stable_sort(runs.begin(), runs.end(), [](const RunRecord& a, const RunRecord& b) {
      return std::tie(a.started_at, a.id) > std::tie(b.started_at, b.id);
    });
    return runs;
  }

  std::vector<TableRecord> Tables(const std::string& run) override {
    std::lock_guard lock(shared_->mutex);
    return shared_->run_states[prefix_].tables[run];
  }

  std::vector<UnitRecord> Units(const std::string& run) override {
    std::lock_guard lock(shared_->mutex);
    return shared_->run_states[prefix_].units[run];
  }

  void DeleteRun(const std::string& run) override {
    std::lock_guard lock(shared_->mutex);
    RunState& state = shared_->run_states[prefix_];
    std::erase_if(state.runs, [&](const RunRecord& r) { return r.id == run; });
    state.tables.erase(run);
    state.units.erase(run);
  }

 private:
  // The state tables, which a write needs (caller holds the mutex).
  RunState& Prepared() {
    RunState& state = shared_->run_states[prefix_];
    if (!state.prepared) {
      throw StateError(fmt::format("relation \"{}runs\" does not exist", prefix_), "42P01");
    }
    return state;
  }

  // Writes about a run this process owns only land while it still owns it.
  bool Owned(const std::string& run) {
    if (run != owned_run_) return true;
    const RunRecord* r = FindRun(Prepared(), run);
    return r && r->owner_token == owner_token_;
  }

  std::shared_ptr<Shared> shared_;
  std::string prefix_;
  std::string owned_run_;
  std::string owner_token_;
};

}  // namespace

std::unique_ptr<RunStore> NewRunStore(std::shared_ptr<Shared> shared, const std::string& prefix) {
  return std::make_unique<MemoryRunStore>(std::move(shared), prefix);
}

void RunStatements(Shared& shared, const std::vector<std::string>& statements) {
  for (const std::string& statement : statements) {
    const std::vector<std::string> f = Split(statement);
    if (f.size() != 9 || f[0] != kUnitDone) {
      throw StateError(fmt::format("syntax error in \"{}\"", statement), "42601");
    }
    RunState& state = shared.run_states[f[1]];
    RunRecord* run = state.prepared ? FindRun(state, f[2]) : nullptr;
    if (!run || (!f[3].empty() && run->owner_token != f[3])) {
      throw StateError(fmt::format("ferry: run {} is no longer owned by this process (another "
                                   "ferry process resumed it); this process stops without "
                                   "committing more",
                                   f[2]),
                       kRunTakenOver);
    }
    for (UnitRecord& u : state.units[f[2]]) {
      if (u.table != std::stoi(f[4]) || u.part != std::stoi(f[5])) continue;
      u.state = UnitRecordState::kDone;
      u.rows = std::stoll(f[6]);
      u.bytes = std::stoll(f[7]);
      u.attempts = std::stoi(f[8]);
      u.error.clear();
    }
  }
}

void TakeOver(Shared& shared, const std::string& prefix, const std::string& run) {
  if (RunRecord* r = FindRun(shared.run_states[prefix], run)) r->owner_token = NewOwnerToken();
}

}  // namespace ferry::test::memory
