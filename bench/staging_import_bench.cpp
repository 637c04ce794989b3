// Benchmarks of an import's start from a staging directory (drivers/files/files_endpoint.cpp):
// a finished export of n units, in tables of p units each, under /dev/shm (so file system calls
// cost next to nothing), read back as `ferry run --source dir:...` does before and while it
// copies. BM_StagingImportStart opens the directory, describes every table, takes its stored
// units and tells the endpoint what will be read (PrepareToRead). BM_StagingImportUnits then opens
// each unit's reader and reports each unit copied (UnitCopied, with --remove-imported, which
// looks the unit up to take its chunk away). The time a unit takes must not grow with n; compare
// the counter "per_unit" (seconds per unit) across n, for both table shapes.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/staging_bench_folder.hpp"
#include "copier/run_state.hpp"
#include "drivers/files/staging_dir.hpp"
#include "drivers/open.hpp"

namespace {

using namespace ferry;
using namespace ferry::staging;
namespace fs = std::filesystem;

std::string NewFolder() {
  return bench::NewStagingFolder("ferry-import-bench");
}

TableName NameOf(int table) {
  return {"public", "t" + std::to_string(table)};
}

// A finished export of `units` units, `parts` to a table, each unit one (empty) chunk file.
class FinishedExport {
 public:
  FinishedExport(int units, int parts) : folder_(NewFolder()) {
    const int tables = (units + parts - 1) / parts;
    auto dir = std::make_shared<Directory>(folder_, true);
    auto store = MakeFileRunStore(dir);
    auto lock = store->TryLock();
    dir->Update([&](Manifest& m, std::vector<std::string>&) {
      m.source_engine = "SQLite";
      for (int t = 0; t < tables; ++t) {
        TableEntry entry;
        entry.shape.name = NameOf(t);
        Column id;
        id.name = "id";
        id.type.kind = TypeKind::kInteger;
        id.type.width_bits = 64;
        entry.shape.columns.push_back(id);
        entry.shape.primary_key = {0};
        entry.forms = {"number"};
        m.tables.push_back(std::move(entry));
      }
    });
    RunRecord run;
    run.id = "20261207T000000Z-bench";
    run.owner_token = "token";
    std::vector<TableRecord> table_records;
    std::vector<UnitRecord> unit_records;
    for (int t = 0; t < tables; ++t) {
      TableRecord record;
      record.index = t;
      record.source = record.destination = NameOf(t);
      record.units = std::min(parts, units - t * parts);
      table_records.push_back(record);
      for (int part = 0; part < record.units; ++part) {
        UnitRecord u;
        u.table = t;
        u.part = part;
        unit_records.push_back(u);
      }
    }
    store->StartRun(run, table_records, unit_records);
    for (const UnitRecord& r : unit_records) {
      const int n = std::min(parts, units - r.table * parts);
      UnitEntry unit;
      unit.part = r.part;
      unit.parts = n;
      if (n > 1) {
        unit.key = {"id"};
        if (r.part > 0) unit.lo = std::vector<std::string>{std::to_string(r.part * 1000)};
        if (r.part + 1 < n)
          unit.hi = std::vector<std::string>{std::to_string(r.part * 1000 + 1000)};
      }
      const std::string path = dir->NewChunkPath(size_t(r.table), r.part, 0);
      std::ofstream(path).flush();
      unit.chunks.push_back(
          {path.substr(folder_.size() + 1), 1000, 0, std::string(64, 'a'), uint64_t(r.part)});
      dir->CommitUnit(NameOf(r.table), std::move(unit),
                      store->UnitDoneSql(run.id, r.table, r.part, 1000, 0, 1));
    }
    store->FinishRun(run.id, RunStatus::kDone, "");
  }
  ~FinishedExport() {
    std::error_code ec;
    fs::remove_all(folder_, ec);
  }
  FinishedExport(const FinishedExport&) = delete;
  FinishedExport& operator=(const FinishedExport&) = delete;

  std::string url() const { return "dir:" + folder_; }
  const std::string& folder() const { return folder_; }

 private:
  std::string folder_;
};

// One export per shape, made once (making it is not measured).
FinishedExport& ExportOf(int units, int parts) {
  static std::map<std::pair<int, int>, std::unique_ptr<FinishedExport>> made;
  auto& e = made[{units, parts}];
  if (!e) e = std::make_unique<FinishedExport>(units, parts);
  return *e;
}

// What an import's start asks of its source before it writes: its tables, their shapes and
// stored units (the planner), then every unit it will read (PrepareToRead).
struct Started {
  std::unique_ptr<Endpoint> source;
  std::vector<Table> tables;
  std::vector<WorkUnit> units;
};

Started Start(const std::string& url, bool remove_imported) {
  EndpointOptions options;
  options.staging_remove_imported = remove_imported;
  Started s;
  s.source = OpenEndpoint(url, EndpointRole::kSource, options);
  for (const TableName& name : s.source->ListTables()) {
    s.tables.push_back(*s.source->DescribeTable(name));
  }
  for (const Table& t : s.tables) {
    const std::vector<KeyRange> stored = s.source->StoredUnits(t);
    for (size_t part = 0; part < stored.size(); ++part) {
      s.units.push_back({t.name, int(part), int(stored.size()), stored[part]});
    }
  }
  EndpointInfo into;
  into.display = "sqlite:/dev/null";
  s.source->PrepareToRead(s.units, into);
  return s;
}

void PerUnit(benchmark::State& state, int units) {
  state.SetItemsProcessed(int64_t(state.iterations()) * units);
  state.counters["per_unit"] = benchmark::Counter(
      double(units), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Arguments: the export's units, and units per table.
void BM_StagingImportStart(benchmark::State& state) {
  const int units = int(state.range(0));
  const std::string url = ExportOf(units, int(state.range(1))).url();
  for (auto _ : state) {
    Started s = Start(url, false);
    benchmark::DoNotOptimize(s.units.data());
  }
  PerUnit(state, units);
}

// Each unit's reader opened (not read: its chunk is empty) and the unit reported copied, its
// chunk taken away; the export is made again for each iteration (not measured).
void BM_StagingImportUnits(benchmark::State& state) {
  const int units = int(state.range(0));
  const int parts = int(state.range(1));
  for (auto _ : state) {
    state.PauseTiming();
    auto e = std::make_unique<FinishedExport>(units, parts);
    Started s = Start(e->url(), true);
    std::map<TableName, const Table*> tables;
    for (const Table& t : s.tables) tables[t.name] = &t;
    state.ResumeTiming();
    std::unique_ptr<ReadSession> session = s.source->OpenReadSession();
    for (const WorkUnit& unit : s.units) {
      ReadRequest request;
      request.table = tables.at(unit.table);
      request.columns = {0};
      request.unit = unit;
      std::unique_ptr<RowReader> reader = session->Read(request);
      benchmark::DoNotOptimize(reader.get());
      s.source->UnitCopied(unit);
    }
    state.PauseTiming();
    s = Started{};
    e.reset();
    state.ResumeTiming();
  }
  PerUnit(state, units);
}

void Shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"units", "per_table"});
  for (int parts : {200, 1}) {
    for (int units : {2000, 20000}) b->Args({units, parts});
  }
  b->Unit(benchmark::kMillisecond)->Iterations(1);
}
BENCHMARK(BM_StagingImportStart)->Apply(Shapes);
BENCHMARK(BM_StagingImportUnits)->Apply(Shapes);

}  // namespace
