// `ferry verify` as a whole: each table prepared, its ranges (or a sample of them) compared,
// the differing ranges repaired and compared again (scheduler/verify_run.hpp).
#include "scheduler/verify_run.hpp"

#include <algorithm>
#include <memory>
#include <random>

#include "copier/convert.hpp"
#include "copier/table_plan.hpp"
#include "scheduler/large_objects.hpp"
#include "scheduler/stop.hpp"
#include "scheduler/verify_state.hpp"

namespace ferry {

namespace verify {

namespace {

// Copies the differing ranges again through the pipeline, each replacing its range at the
// destination inside its own transaction.
void Repair(Endpoint& source, Endpoint& destination,
            std::vector<std::unique_ptr<TableState>>& tables, const VerifyOptions& options,
            std::vector<UnitResult>& units) {
  std::vector<std::unique_ptr<RowConverter>> converters;
  std::vector<UnitJob> jobs;
  for (size_t i = 0; i < tables.size(); ++i) {
    TableState& t = *tables[i];
    if (t.failed || t.leaves.empty()) continue;
    TableVerification& r = *t.result;
    r.repaired = true;
    try {
      converters.push_back(std::make_unique<RowConverter>(
          DisplayName(t.copy.source.name), PairColumns(t.copy), destination.info().limits,
          t.copy.key_positions, source.info().limits));
    } catch (const Error& e) {
      r.repair_error = e.what();
      continue;
    }
    for (const Leaf& leaf : t.leaves) {
      UnitJob job;
      job.table = i;
      job.read.table = &t.copy.source;
      job.read.columns = t.copy.source_columns;
      job.read.unit.table = t.copy.source.name;
      job.read.unit.part = int(jobs.size());
      job.read.unit.range = leaf.range.source;
      job.read.limits = options.engine.limits;
      job.write.table = &t.copy.destination;
      job.write.columns = t.copy.destination_columns;
      job.write.key_positions = t.copy.key_positions;
      job.write.replace_range = leaf.range.destination;
      job.converter = converters.back().get();
      jobs.push_back(std::move(job));
    }
  }
  if (jobs.empty()) return;
  EngineOptions engine = options.engine;
  engine.epoch = options.epoch;
  if (destination.info().max_write_sessions > 0) {
    engine.writers = std::min(engine.writers, destination.info().max_write_sessions);
  }
  std::vector<UnitResult> results =
      RunPipeline(source, destination, engine, jobs, tables.size(), [](const PipelineProgress&) {});
  for (const UnitResult& u : results) {
    TableVerification& r = *tables[u.table]->result;
    if (u.state == UnitState::kDone) {
      ++r.ranges_repaired;
      r.rows_recopied += u.rows;
    } else if (u.state == UnitState::kFailed && r.repair_error.empty()) {
      r.repair_error = u.error->what();
    }
  }
  units = std::move(results);
}

// One report entry and one comparison state a table the plan copies (skipped tables are not
// verified).
std::vector<std::unique_ptr<TableState>> StartTables(const Plan& plan, VerifyReport& report) {
  for (const TablePlan& p : plan.tables) {
    if (p.strategy == Strategy::kSkip) continue;
    TableVerification r;
    r.source = p.source;
    r.destination = p.destination;
    report.tables.push_back(std::move(r));
  }
  std::vector<std::unique_ptr<TableState>> tables;
  size_t index = 0;
  for (const TablePlan& p : plan.tables) {
    if (p.strategy == Strategy::kSkip) continue;
    auto t = std::make_unique<TableState>();
    t->plan = &p;
    t->result = &report.tables[index++];
    tables.push_back(std::move(t));
  }
  return tables;
}

// No column to compare (none, or only generated ones): the row counts must match.
void CompareCounts(TableState& t, Endpoint& source, Endpoint& destination) {
  try {
    t.source_rows = source.CountRows(t.copy.source);
    t.destination_rows = destination.CountRows(t.copy.destination);
    const int64_t gap = t.source_rows - t.destination_rows;
    (gap > 0 ? t.counts.missing : t.counts.extra) += gap > 0 ? gap : -gap;
  } catch (const Error& e) {
    t.failed = true;
    t.error = e.what();
    t.error_code = e.code();
  }
  t.result->keyed = false;
}

// The ranges of table `i` the sample checks, as tasks. A seeded choice per table, so a
// rehearsal can repeat exactly the same sample.
void SampleRanges(TableState& t, size_t i, const VerifyOptions& options, std::vector<Task>& tasks) {
  std::mt19937_64 random(options.seed ^ (0x9e3779b97f4a7c15ull * (i + 1)));
  std::uniform_real_distribution<double> percent(0, 100);
  t.checked.assign(t.ranges.size(), options.sample_percent >= 100);
  if (options.sample_percent < 100) {
    for (size_t u = 0; u < t.ranges.size(); ++u) {
      t.checked[u] = percent(random) < options.sample_percent;
    }
    if (std::find(t.checked.begin(), t.checked.end(), true) == t.checked.end()) {
      t.checked[std::uniform_int_distribution<size_t>(0, t.ranges.size() - 1)(random)] = true;
    }
  }
  for (size_t u = 0; u < t.ranges.size(); ++u) {
    if (!t.checked[u]) continue;
    ++t.result->ranges_checked;
    tasks.push_back(Task{i, t.ranges[u], {int(u)}, true});
  }
}

// Prepares every table and returns the ranges to compare; a table that cannot be prepared is
// failed, one with no column to compare is decided by its row counts.
std::vector<Task> PrepareTables(std::vector<std::unique_ptr<TableState>>& tables, Endpoint& source,
                                Endpoint& destination, const VerifyOptions& options) {
  std::vector<TableName> from, to;
  for (const auto& t : tables) {
    from.push_back(t->plan->source);
    to.push_back(t->plan->destination);
  }
  const DescriptionsAhead at_source(source, from), at_destination(destination, to);
  std::vector<Task> tasks;
  for (size_t i = 0; i < tables.size(); ++i) {
    TableState& t = *tables[i];
    const Clock::time_point table_start = Clock::now();
    try {
      Prepare(t, source, destination, options);
    } catch (const Error& e) {
      t.failed = true;
      t.error = e.what();
      t.error_code = e.code();
      t.result->seconds = SecondsBetween(table_start, Clock::now());
      continue;
    }
    if (t.copy.source_columns.empty()) {
      CompareCounts(t, source, destination);
      t.result->seconds = SecondsBetween(table_start, Clock::now());
      continue;
    }
    t.result->keyed = t.keyed();
    t.result->ranges = int(t.ranges.size());
    SampleRanges(t, i, options, tasks);
  }
  return tasks;
}

// With repair: copies the differing ranges again, then compares them once more in a snapshot
// taken after the repair committed.
void RepairAndCompareAgain(Endpoint& source, Endpoint& destination,
                           std::vector<std::unique_ptr<TableState>>& tables,
                           const VerifyOptions& options, std::vector<UnitResult>& units) {
  Repair(source, destination, tables, options, units);
  std::vector<Task> again;
  for (size_t i = 0; i < tables.size(); ++i) {
    TableState& t = *tables[i];
    TableVerification& r = *t.result;
    if (!r.repaired) continue;
    r.verdict_before_repair = r.verdict;
    r.counts_before_repair = r.counts;
    r.differences_before_repair = r.differences;
    if (!r.repair_error.empty()) continue;
    for (const Leaf& leaf : t.leaves) {
      // Sub-ranges are compared again as they are; their rows replace what the first pass
      // counted for them.
      t.source_rows -= leaf.source_rows;
      t.destination_rows -= leaf.destination_rows;
      again.push_back(Task{i, leaf.range, leaf.path, false});
    }
    // The pass below counts the repaired ranges' rows and differences afresh.
    const int64_t source_rows = t.source_rows, destination_rows = t.destination_rows;
    t.ResetPass();
    t.source_rows = source_rows;
    t.destination_rows = destination_rows;
  }
  if (!again.empty()) {
    destination.BeginSnapshot(options.consistency);
    for (Task& task : again) task.top = true;  // their rows count again
    CompareRanges(source, destination, tables, options, std::move(again));
    for (auto& t : tables) {
      TableVerification& r = *t->result;
      if (!r.repaired || !r.repair_error.empty()) continue;
      const int differed = r.ranges_differing, rehashed = r.ranges_rehashed;
      Summarise(*t, options);
      r.ranges_differing = differed;
      r.ranges_rehashed = rehashed;
      r.source_rows = t->source_rows;
      r.destination_rows = t->destination_rows;
    }
  }
  for (auto& t : tables) {
    TableVerification& r = *t->result;
    if (r.repaired && !r.repair_error.empty()) r.verdict = Verdict::kDiffers;
  }
}

}  // namespace

}  // namespace verify

VerifyReport RunVerify(Endpoint& source, Endpoint& destination, const Plan& plan,
                       const VerifyOptions& asked) {
  using namespace verify;
  const Clock::time_point start = Clock::now();
  VerifyOptions options = asked;
  options.epoch = start;
  VerifyReport report;
  report.sample_percent = options.sample_percent;
  report.seed = options.seed;
  report.repair = options.repair;
  report.hash = options.hash;
  report.method =
      "per range, a row count and a sum of row hashes: hashed by both servers in SQL for tables "
      "marked 'server' (same engine, identical column types), else xxh64 of canonical rows "
      "hashed by ferry (oneTBB); ranges that differ are compared by ferry, down to the keys";
  std::vector<std::unique_ptr<TableState>> tables = StartTables(plan, report);
  std::vector<Task> tasks = PrepareTables(tables, source, destination, options);
  report.consistency = source.BeginSnapshot(options.consistency);
  destination.BeginSnapshot(options.consistency);
  CompareRanges(source, destination, tables, options, std::move(tasks));
  for (auto& t : tables) {
    Summarise(*t, options);
    t->result->source_rows = t->source_rows;
    t->result->destination_rows = t->destination_rows;
    if (t->first_start) t->result->seconds = SecondsBetween(*t->first_start, t->last_end);
  }
  if (options.repair) {
    RepairAndCompareAgain(source, destination, tables, options, report.repair_units);
  }
  if (!StopRequested()) {
    std::vector<TableName> scope;
    for (const TablePlan& t : plan.tables) {
      if (t.strategy != Strategy::kSkip) scope.push_back(t.source);
    }
    try {
      if (!scope.empty() && PointsAtLargeObjects(source, scope)) {
        report.large_objects = CompareLargeObjects(source, destination, options.max_keys);
      }
    } catch (const Error& e) {
      report.large_objects = LargeObjectComparison{};
      report.large_objects->error = e.what();
    }
  }
  report.seconds = SecondsBetween(start, Clock::now());
  return report;
}

}  // namespace ferry
