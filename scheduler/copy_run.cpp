#include "scheduler/copy_run.hpp"

#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "copier/convert.hpp"
#include "copier/table_plan.hpp"

namespace ferry {

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// PostgreSQL to PostgreSQL with the same column types in the same order: the binary COPY
// stream can go through as it is, with no decoding and no conversion.
bool CanPassThrough(const TableCopyPlan& plan, const EndpointInfo& from, const EndpointInfo& to) {
  if (from.engine != Engine::kPostgres || to.engine != Engine::kPostgres) return false;
  if (!from.binary_copy_pass_through || !to.binary_copy_pass_through) return false;
  if (plan.source_columns.size() != plan.destination.columns.size()) return false;
  for (size_t i = 0; i < plan.source_columns.size(); ++i) {
    const Column& s = plan.source.columns[size_t(plan.source_columns[i])];
    const Column& d = plan.destination.columns[size_t(plan.destination_columns[i])];
    if (plan.destination_columns[i] != int(i)) return false;
    if (s.type.native != d.type.native) return false;
    if (s.type.database_specific || d.type.database_specific) return false;
  }
  return true;
}

void Sum(StageTimes& into, const StageTimes& add) {
  into.read += add.read;
  into.convert += add.convert;
  into.wait_slot += add.wait_slot;
  into.wait_data += add.wait_data;
  into.write += add.write;
  into.commit += add.commit;
}

}  // namespace

const char* TableStateName(TableState state) {
  switch (state) {
    case TableState::kPending:
      return "pending";
    case TableState::kRunning:
      return "running";
    case TableState::kDone:
      return "done";
    case TableState::kFailed:
      return "failed";
    case TableState::kSkipped:
      return "skipped";
  }
  return "unknown";
}

int CopyReport::failed() const {
  int n = 0;
  for (const TableOutcome& t : tables) n += t.state == TableState::kFailed;
  return n;
}

CopyReport RunCopy(Endpoint& source, Endpoint& destination, const CopyOptions& options,
                   CopyObserver& observer) {
  const Clock::time_point start = Clock::now();
  std::vector<TableName> names =
      options.scope.Select(source.ListTables(), source.info().default_schema);
  if (names.empty()) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("no table in scope: {} has no tables in schema '{}' matching the "
                            "--include/--exclude patterns",
                            source.info().display, source.info().default_schema));
  }

  // Prepare everything first: bad input must fail before the first row is written.
  std::vector<TableCopyPlan> plans;
  CopyReport report;
  for (const TableName& name : names) {
    std::optional<Table> table = source.DescribeTable(name);
    if (!table) {
      throw Error(ErrorCode::kNotFound,
                  fmt::format("table {} disappeared from the source", DisplayName(name)));
    }
    TableCopyPlan plan = PlanTableCopy(*table, source.info().engine, destination);
    if (!plan.create && options.existing_rows == ExistingRows::kRefuse &&
        destination.HasRows(plan.destination.name)) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("destination table {} already holds rows; empty it, or run with "
                              "--truncate to empty it first or --append to add to it",
                              DisplayName(plan.destination.name)),
                  ErrorContext{DisplayName(name), "", "", ""});
    }
    TableOutcome outcome;
    outcome.source = name;
    outcome.destination = plan.destination.name;
    outcome.estimated_rows = table->estimated_rows;
    report.tables.push_back(outcome);
    plans.push_back(std::move(plan));
  }
  // Two source tables landing on one destination table would mix their rows.
  for (size_t i = 0; i < plans.size(); ++i) {
    for (size_t j = i + 1; j < plans.size(); ++j) {
      if (plans[i].destination.name == plans[j].destination.name) {
        throw Error(
            ErrorCode::kSchema,
            fmt::format("source tables {} and {} would both be copied into {}",
                        DisplayName(plans[i].source.name), DisplayName(plans[j].source.name),
                        DisplayName(plans[i].destination.name)));
      }
    }
  }

  // Cut tables into units (this samples keys on the source).
  std::vector<PartitionPlan> partitions;
  for (size_t i = 0; i < plans.size(); ++i) {
    partitions.push_back(PlanPartitions(plans[i].source, source, options.partitions));
    TableOutcome& t = report.tables[i];
    t.units = int(partitions.back().units.size());
    t.strategy = partitions.back().strategy;
    t.reason = partitions.back().reason;
    t.pass_through = CanPassThrough(plans[i], source.info(), destination.info());
  }
  if (options.explain_only) {
    observer.Prepared(report);
    return report;
  }

  // Destination tables first, before any data moves. Where loading without the primary key is
  // faster, the key is built when the table's last unit has committed.
  std::vector<std::optional<Table>> deferred_keys(plans.size());
  for (size_t i = 0; i < plans.size(); ++i) {
    TableOutcome& t = report.tables[i];
    TableCopyPlan& plan = plans[i];
    try {
      if (plan.create) {
        Table create = plan.destination;
        if (destination.info().keys_after_load && !options.keys_first &&
            !create.primary_key.empty()) {
          deferred_keys[i] = create;
          create.primary_key.clear();
        }
        destination.CreateTable(create);
        t.created = true;
        // Read back what the server made of it: values are checked against the real column
        // types (a key column MariaDB had to make a varchar, say).
        auto created = destination.DescribeTable(plan.destination.name);
        if (!created) {
          throw Error(ErrorCode::kInternal,
                      fmt::format("table {} is missing right after it was created",
                                  DisplayName(plan.destination.name)));
        }
        plan.destination = std::move(*created);
        if (deferred_keys[i]) deferred_keys[i]->name = plan.destination.name;
        t.pass_through = CanPassThrough(plan, source.info(), destination.info());
      } else if (options.existing_rows == ExistingRows::kTruncate) {
        destination.TruncateTable(plan.destination.name);
      }
    } catch (const Error& e) {
      t.state = TableState::kFailed;
      t.error = e.what();
      t.error_code = e.code();
    }
  }

  std::vector<std::unique_ptr<RowConverter>> converters;
  std::vector<UnitJob> jobs;
  for (size_t i = 0; i < plans.size(); ++i) {
    TableOutcome& t = report.tables[i];
    const TableCopyPlan& plan = plans[i];
    converters.push_back(t.pass_through ? nullptr
                                        : std::make_unique<RowConverter>(
                                              DisplayName(plan.source.name), PairColumns(plan),
                                              destination.info().limits, plan.key_positions,
                                              source.info().limits));
    if (t.state == TableState::kFailed) continue;
    for (size_t u = 0; u < partitions[i].units.size(); ++u) {
      UnitJob job;
      job.table = i;
      job.read.table = &plan.source;
      job.read.columns = plan.source_columns;
      job.read.unit = partitions[i].units[u];
      job.read.unit.part = int(u);
      job.read.unit.parts = int(partitions[i].units.size());
      job.read.limits = options.engine.limits;
      job.read.pass_through = t.pass_through;
      job.write.table = &plan.destination;
      job.write.columns = plan.destination_columns;
      job.write.key_positions = plan.key_positions;
      job.write.pass_through = t.pass_through;
      job.converter = converters.back().get();
      jobs.push_back(std::move(job));
    }
  }
  // Largest units first, so the last to finish are small ones and workers end together.
  std::stable_sort(jobs.begin(), jobs.end(), [&](const UnitJob& a, const UnitJob& b) {
    auto size = [&](const UnitJob& j) {
      const TableOutcome& t = report.tables[j.table];
      return t.units > 0 ? std::max<int64_t>(t.estimated_rows, 0) / t.units : 0;
    };
    return size(a) > size(b);
  });

  report.consistency = source.BeginSnapshot(options.consistency);
  observer.Prepared(report);
  for (TableOutcome& t : report.tables) {
    if (t.state == TableState::kPending) t.state = TableState::kRunning;
  }
  EngineOptions engine = options.engine;
  if (destination.info().max_write_sessions > 0) {
    engine.writers = std::min(engine.writers, destination.info().max_write_sessions);
  }
  const Clock::time_point copy_start = Clock::now();
  std::vector<double> key_done_at(plans.size(), 0);  // set by the writer that builds the key
  std::vector<UnitResult> results = RunPipeline(
      source, destination, engine, jobs, plans.size(),
      [&](const PipelineProgress& progress) {
        for (size_t i = 0; i < report.tables.size(); ++i) {
          TableOutcome& t = report.tables[i];
          t.rows = progress.rows[i];
          t.bytes = progress.bytes[i];
          t.units_done = progress.units_done[i];
          if (t.state == TableState::kRunning) t.seconds = SecondsSince(copy_start);
        }
        observer.Progress(report);
      },
      [&](size_t table) {
        if (!deferred_keys[table]) return;
        const Clock::time_point start = Clock::now();
        destination.AddPrimaryKey(*deferred_keys[table]);
        report.tables[table].key_seconds = SecondsSince(start);
        key_done_at[table] = SecondsSince(copy_start);
      });

  std::vector<double> first_start(report.tables.size(), -1), last_end(report.tables.size(), 0);
  for (TableOutcome& t : report.tables) {
    if (t.state == TableState::kRunning) t.state = TableState::kDone;
    t.rows = 0;
    t.bytes = 0;
    t.seconds = 0;
  }
  for (UnitResult& r : results) {
    TableOutcome& t = report.tables[r.table];
    if (r.state != UnitState::kSkipped) {
      double& first = first_start[r.table];
      first = first < 0 ? r.started_at : std::min(first, r.started_at);
      last_end[r.table] = std::max(last_end[r.table], r.finished_at);
      t.seconds = last_end[r.table] - first;
    }
    Sum(t.times, r.times);
    if (t.read_method.empty()) t.read_method = r.read_method;
    if (t.write_method.empty()) t.write_method = r.write_method;
    if (r.state == UnitState::kDone) {
      t.rows += r.rows;
      t.bytes += r.bytes;
    } else if (r.state == UnitState::kFailed && t.state != TableState::kFailed) {
      t.state = TableState::kFailed;
      t.error = r.error;
      t.error_code = r.error_code;
    } else if (r.state == UnitState::kSkipped && t.state == TableState::kDone) {
      t.state = TableState::kSkipped;  // stopped by --fail-fast before it ran
    }
    t.unit_results.push_back(std::move(r));
  }
  for (size_t i = 0; i < report.tables.size(); ++i) {
    TableOutcome& t = report.tables[i];
    if (key_done_at[i] > 0 && first_start[i] >= 0) t.seconds = key_done_at[i] - first_start[i];
    if (t.state == TableState::kDone) continue;
    t.rows = 0;
    if (t.created) {
      // Leave the destination as it was: a table ferry made for this copy goes again.
      try {
        destination.DropTable(plans[i].destination.name);
        t.created = false;
      } catch (const Error&) {
      }
    }
  }
  report.seconds = SecondsSince(start);
  observer.Finished(report);
  return report;
}

}  // namespace ferry
