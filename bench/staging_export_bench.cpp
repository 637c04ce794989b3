// Benchmarks of a staging export's table events and of unit commits across many tables
// (drivers/files/files_endpoint.cpp, staging_dir.hpp), in a directory under /dev/shm, so fsync
// costs next to nothing and what is measured is ferry's own work. BM_StagingTableEvents: an
// export of n units in 20 tables, every unit committed, then every table finished as `ferry run`
// finishes it (SyncIdentity, then its run record marked done); a table event that rewrote the
// whole manifest cost O(n) each, an export O(tables x units). BM_StagingCommitTables: n units,
// one to a table, each committed through a writer as the export commits it; a look for the
// unit's table through every table made an export O(n^2). The counters "per_event" and
// "per_unit" are seconds each; compare them across n (100 to 20,000).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/staging_bench_folder.hpp"
#include "copier/run_state.hpp"
#include "drivers/open.hpp"

namespace {

using namespace ferry;
namespace fs = std::filesystem;

constexpr int kTables = 20;

std::string NewFolder() {
  return bench::NewStagingFolder("ferry-export-bench");
}

Table TableOf(int t) {
  Table table;
  table.name = {"public", "t" + std::to_string(t)};
  Column id;
  id.name = "id";
  id.type.kind = TypeKind::kInteger;
  id.type.width_bits = 64;
  id.identity = true;
  table.columns.push_back(id);
  table.primary_key = {0};
  return table;
}

// An export into a staging directory through its endpoint, as `ferry run --dest dir:` makes one:
// its tables created, its run started, `units` units (an even share of each table) committed
// through the endpoint's writer, each an empty chunk.
class RunningExport {
 public:
  RunningExport(int units, int tables) : folder_(NewFolder()) {
    dest_ = OpenEndpoint("dir:" + folder_, EndpointRole::kDestination, EndpointOptions{});
    for (int t = 0; t < tables; ++t) {
      tables_.push_back(TableOf(t));
      dest_->CreateTable(tables_.back());
    }
    store_ = dest_->OpenRunStore("");
    lock_ = store_->TryLock();
    RunRecord run;
    run.id = "20261207T000000Z-bench";
    run.owner_token = "token";
    std::vector<UnitRecord> unit_records;
    for (int t = 0; t < tables; ++t) {
      TableRecord record;
      record.index = t;
      record.source = record.destination = tables_[size_t(t)].name;
      record.units = units / tables + (t < units % tables ? 1 : 0);
      records_.push_back(record);
      for (int part = 0; part < record.units; ++part) {
        UnitRecord u;
        u.table = t;
        u.part = part;
        unit_records.push_back(u);
      }
    }
    store_->StartRun(run, records_, unit_records);
    run_ = run.id;
    units_ = unit_records;
  }
  ~RunningExport() {
    lock_.reset();
    store_.reset();
    dest_.reset();
    std::error_code ec;
    fs::remove_all(folder_, ec);
  }
  RunningExport(const RunningExport&) = delete;
  RunningExport& operator=(const RunningExport&) = delete;

  void CommitAll() {
    std::unique_ptr<WriteSession> session = dest_->OpenWriteSession();
    for (const UnitRecord& u : units_) {
      const TableRecord& record = records_[size_t(u.table)];
      WriteRequest request;
      request.table = &tables_[size_t(u.table)];
      request.columns = {0};
      KeyRange range;
      range.key_columns = {0};
      if (u.part > 0) range.lo = std::vector<std::string>{std::to_string(u.part * 1000)};
      if (u.part + 1 < record.units) {
        range.hi = std::vector<std::string>{std::to_string(u.part * 1000 + 1000)};
      }
      request.unit = WorkUnit{record.destination, u.part, record.units, range};
      std::unique_ptr<RowWriter> writer = session->Write(request);
      writer->Commit(store_->UnitDoneSql(run_, u.table, u.part, 0, 0, 1));
    }
  }

  // Every table finished as CopyRun finishes one: its identity counter set, its record done.
  void FinishTables() {
    for (size_t t = 0; t < tables_.size(); ++t) {
      dest_->SyncIdentity(tables_[t], {{"id", 1001}});
      TableRecord done = records_[t];
      done.state = "done";
      done.units_done = done.units;
      store_->UpdateTable(run_, done);
    }
  }

 private:
  std::string folder_;
  std::unique_ptr<Endpoint> dest_;
  std::unique_ptr<RunStore> store_;
  std::unique_ptr<ScopeLock> lock_;
  std::vector<Table> tables_;
  std::vector<TableRecord> records_;
  std::vector<UnitRecord> units_;
  std::string run_;
};

void PerItem(benchmark::State& state, const char* counter, int items) {
  state.SetItemsProcessed(int64_t(state.iterations()) * items);
  state.counters[counter] = benchmark::Counter(
      double(items), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Argument: the export's units (in 20 tables). Measured: each table's two finishing events.
void BM_StagingTableEvents(benchmark::State& state) {
  const int units = int(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto e = std::make_unique<RunningExport>(units, kTables);
    e->CommitAll();
    state.ResumeTiming();
    e->FinishTables();
    state.PauseTiming();
    e.reset();
    state.ResumeTiming();
  }
  PerItem(state, "per_event", 2 * kTables);
}
BENCHMARK(BM_StagingTableEvents)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(20000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// Argument: the export's units, one to a table. Measured: every unit's writer and commit.
void BM_StagingCommitTables(benchmark::State& state) {
  const int units = int(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto e = std::make_unique<RunningExport>(units, units);
    state.ResumeTiming();
    e->CommitAll();
    state.PauseTiming();
    e.reset();
    state.ResumeTiming();
  }
  PerItem(state, "per_unit", units);
}
BENCHMARK(BM_StagingCommitTables)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(5000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
