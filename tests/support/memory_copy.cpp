#include "tests/support/memory_copy.hpp"

#include <fmt/format.h>

#include "copier/planner.hpp"
#include "scheduler/stop.hpp"

namespace ferry::test {

std::vector<Row> NumberedRows(int64_t count, int64_t first) {
  std::vector<Row> rows;
  for (int64_t id = first; id < first + count; ++id) {
    rows.push_back(
        {std::to_string(id), fmt::format("row {}", id), fmt::format("{}.{:02}", id * 3, id % 100)});
  }
  return rows;
}

TableName CreateNumberedTable(MemoryDatabase& database, const std::string& name, int64_t count,
                              int64_t first) {
  Table table = MakeTable(name,
                          {MakeColumn("id", IntegerType(), false), MakeColumn("label", TextType()),
                           MakeColumn("amount", DecimalType(12, 2))},
                          {"id"});
  database.Create(table);
  database.Insert(table.name, NumberedRows(count, first));
  return table.name;
}

std::vector<int64_t> Ids(const std::vector<Row>& rows) {
  std::vector<int64_t> ids;
  for (const Row& row : rows) ids.push_back(std::stoll(row.at(0).value()));
  return ids;
}

EngineOptions QuickOptions() {
  EngineOptions options;
  options.readers = 2;
  options.writers = 2;
  options.limits.max_rows = 64;
  options.retry_delay = 0.01;
  options.memory_limit = 16u << 20;
  return options;
}

PipelineCopy::PipelineCopy(MemoryDatabase& source, MemoryDatabase& destination,
                           const TableName& table, int units)
    : source_(source.Connect()), destination_(destination.Connect()) {
  std::optional<Table> described = source_->DescribeTable(table);
  if (!described) throw Error(ErrorCode::kNotFound, "no source table " + DisplayName(table));
  const Table& t = *described;
  copy_ = PlanTableCopy(t, source_->info().engine, *destination_,
                        destination_->DestinationName(table, source_->info().engine), AllColumns(t),
                        ColumnNames(t, t.primary_key));
  if (copy_.create) {
    destination_->CreateTable(copy_.destination);
    copy_.destination = *destination_->DescribeTable(copy_.destination.name);
  }
  PartitionOptions partitions;
  partitions.units = units;
  units_ = PlanPartitions(t, *source_, partitions).units;
  for (size_t u = 0; u < units_.size(); ++u) {
    units_[u].part = int(u);
    units_[u].parts = int(units_.size());
  }
  converter_ = std::make_unique<RowConverter>(DisplayName(t.name), PairColumns(copy_),
                                              destination_->info().limits, copy_.key_positions,
                                              source_->info().limits);
}

int PipelineCopy::PartHolding(int64_t id) const {
  for (const WorkUnit& unit : units_) {
    const KeyRange& r = unit.range;
    if (r.null_keys) continue;
    if (r.lo && std::stoll(r.lo->front()) > id) continue;
    if (r.hi && std::stoll(r.hi->front()) <= id) continue;
    return unit.part;
  }
  return -1;
}

std::vector<int64_t> PipelineCopy::IdsOfPart(int part, const std::vector<int64_t>& ids) const {
  std::vector<int64_t> out;
  for (int64_t id : ids) {
    if (PartHolding(id) == part) out.push_back(id);
  }
  return out;
}

std::vector<UnitJob> PipelineCopy::Jobs() const {
  std::vector<UnitJob> jobs;
  for (const WorkUnit& unit : units_) {
    UnitJob job;
    job.table = 0;
    job.read.table = &copy_.source;
    job.read.columns = copy_.source_columns;
    job.read.unit = unit;
    job.write.table = &copy_.destination;
    job.write.columns = copy_.destination_columns;
    job.write.key_positions = copy_.key_positions;
    job.converter = converter_.get();
    jobs.push_back(std::move(job));
  }
  return jobs;
}

std::vector<UnitResult> PipelineCopy::Run(
    const EngineOptions& options, const std::function<void(const PipelineProgress&)>& progress,
    const std::function<void(size_t)>& table_done) {
  source_->BeginSnapshot(Consistency::kSnapshot);
  return RunPipeline(*source_, *destination_, options, Jobs(), 1, progress, table_done);
}

std::vector<UnitResult> PipelineCopy::Run(
    const EngineOptions& options, const std::vector<UnitJob>& jobs,
    const std::function<void(const PipelineProgress&)>& progress) {
  source_->BeginSnapshot(Consistency::kSnapshot);
  return RunPipeline(*source_, *destination_, options, jobs, 1, progress);
}

std::string ErrorText(const UnitResult& result) {
  return result.error ? result.error->what() : "";
}

ErrorCode ErrorCodeOf(const UnitResult& result) {
  return result.error ? result.error->code() : ErrorCode::kInternal;
}

bool Transient(const UnitResult& result) {
  return result.transient;
}

std::vector<std::string> RetriedErrors(const UnitResult& result) {
  std::vector<std::string> out;
  for (const Error& e : result.retried_errors) out.push_back(e.what());
  return out;
}

bool RecordedDone(const UnitRecord& unit) {
  return unit.state == UnitRecordState::kDone;
}

StopGuard::StopGuard() {
  ClearStopRequest();
}

StopGuard::~StopGuard() {
  ClearStopRequest();
}

}  // namespace ferry::test
