// Benchmarks of a staging export's unit commits (drivers/files/staging_dir.hpp): each commits one
// unit of an export of n units (its journal entry and "done" mark) into a directory under
// /dev/shm, so fdatasync costs next to nothing and what is measured is ferry's own work. The time
// a unit takes must not grow with n: a commit that looked through every unit (as CommitUnit and
// the journal's ApplyUnit did) made an export of n units O(n^2). BM_StagingJournalLoad reads the
// journal of such an export back (an import following it, `ferry status`, a resume).
// BM_StagingRunStoreAsks asks the run store of such an export, for every unit, whether it is
// committed (what a writer asks after a lost commit reply), and once for the run's units and
// tables (a resume, `ferry status`): a question that copied the manifest cost O(n) each.
// The counter "per_unit" is seconds per unit; compare it across n (1,000 to 20,000).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/staging_bench_folder.hpp"
#include "copier/run_state.hpp"
#include "drivers/files/manifest_journal.hpp"
#include "drivers/files/staging_dir.hpp"

namespace {

using namespace ferry;
using namespace ferry::staging;
namespace fs = std::filesystem;

const TableName kTable{"public", "lineitem"};

std::string NewFolder() {
  return bench::NewStagingFolder("ferry-bench");
}

// An export of one table in `units` units, its run recorded, holding the directory's lock.
class Export {
 public:
  explicit Export(int units) : folder_(NewFolder()), units_(units) {
    dir_ = std::make_shared<Directory>(folder_, true);
    store_ = MakeFileRunStore(dir_);
    lock_ = store_->TryLock();
    dir_->Update([](Manifest& m, std::vector<std::string>&) {
      TableEntry t;
      t.shape.name = kTable;
      m.tables.push_back(t);
    });
    RunRecord run;
    run.id = "20261207T000000Z-bench";
    run.owner_token = "token";
    TableRecord table;
    table.source = table.destination = kTable;
    table.units = units;
    std::vector<UnitRecord> records(static_cast<size_t>(units));
    for (int part = 0; part < units; ++part) {
      records[size_t(part)].part = part;
      records[size_t(part)].range =
          "[(" + std::to_string(part * 1000) + "), (" + std::to_string(part * 1000 + 1000) + "))";
    }
    store_->StartRun(run, {table}, records);
    run_ = run.id;
  }
  ~Export() {
    lock_.reset();
    store_.reset();
    dir_.reset();
    std::error_code ec;
    fs::remove_all(folder_, ec);
  }

  // Unit `part`, as the export's writer commits it: one chunk file's entry and its done mark.
  void Commit(int part) {
    UnitEntry unit;
    unit.part = part;
    unit.parts = units_;
    unit.key = {"l_orderkey"};
    unit.lo = std::vector<std::string>{std::to_string(part * 1000)};
    unit.hi = std::vector<std::string>{std::to_string(part * 1000 + 1000)};
    unit.chunks.push_back({dir_->NewChunkPath(0, part, 0).substr(folder_.size() + 1), 1000, 65536,
                           std::string(64, 'a'), uint64_t(part)});
    dir_->CommitUnit(kTable, std::move(unit), store_->UnitDoneSql(run_, 0, part, 1000, 65536, 1));
  }

  const std::string& folder() const { return folder_; }
  RunStore& store() { return *store_; }
  const std::string& run() const { return run_; }

 private:
  std::string folder_;
  int units_;
  std::shared_ptr<Directory> dir_;
  std::unique_ptr<RunStore> store_;
  std::unique_ptr<ScopeLock> lock_;
  std::string run_;
};

void PerUnit(benchmark::State& state, int units) {
  state.SetItemsProcessed(int64_t(state.iterations()) * units);
  state.counters["per_unit"] = benchmark::Counter(
      double(units), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Every unit of an export of n units committed, in part order.
void BM_StagingCommit(benchmark::State& state) {
  const int units = int(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto e = std::make_unique<Export>(units);
    state.ResumeTiming();
    for (int part = 0; part < units; ++part) e->Commit(part);
    state.PauseTiming();
    e.reset();
    state.ResumeTiming();
  }
  PerUnit(state, units);
}
BENCHMARK(BM_StagingCommit)
    ->Arg(1000)
    ->Arg(5000)
    ->Arg(20000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// The manifest of an export of n units read back with its journal, every unit's entry applied.
void BM_StagingJournalLoad(benchmark::State& state) {
  const int units = int(state.range(0));
  Export e(units);
  for (int part = 0; part < units; ++part) e.Commit(part);
  for (auto _ : state) {
    std::optional<Manifest> m = LoadManifest(e.folder());
    benchmark::DoNotOptimize(m);
  }
  PerUnit(state, units);
}
BENCHMARK(BM_StagingJournalLoad)
    ->Arg(1000)
    ->Arg(5000)
    ->Arg(20000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace

// Every unit of an export of n units asked after, as committed or not, then the run's records.
void BM_StagingRunStoreAsks(benchmark::State& state) {
  const int units = int(state.range(0));
  Export e(units);
  for (int part = 0; part < units; ++part) e.Commit(part);
  for (auto _ : state) {
    int committed = 0;
    for (int part = 0; part < units; ++part) committed += e.store().UnitCommitted(e.run(), 0, part);
    benchmark::DoNotOptimize(committed);
    benchmark::DoNotOptimize(e.store().Units(e.run()));
    benchmark::DoNotOptimize(e.store().Tables(e.run()));
  }
  PerUnit(state, units);
}
BENCHMARK(BM_StagingRunStoreAsks)
    ->Arg(1000)
    ->Arg(5000)
    ->Arg(20000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
