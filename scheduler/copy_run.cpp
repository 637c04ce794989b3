#include "scheduler/copy_run.hpp"

#include <fmt/format.h>

#include "copier/convert.hpp"
#include "copier/table_plan.hpp"

namespace ferry {

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Copies one table; throws on failure after rolling back what it wrote.
void CopyTable(Endpoint& source, Endpoint& destination, TableCopyPlan& plan,
               const CopyOptions& options, TableOutcome& outcome, size_t index,
               CopyObserver& observer) {
  const std::string shown = DisplayName(plan.source.name);
  if (plan.create) {
    destination.CreateTable(plan.destination);
    outcome.created = true;
    // Read back what the server made of it: the converter checks values against the real
    // column types (a key column MariaDB had to make a varchar, say).
    auto created = destination.DescribeTable(plan.destination.name);
    if (!created) {
      throw Error(ErrorCode::kInternal,
                  fmt::format("table {} is missing right after it was created",
                              DisplayName(plan.destination.name)));
    }
    plan.destination = std::move(*created);
  } else if (options.existing_rows == ExistingRows::kTruncate) {
    destination.TruncateTable(plan.destination.name);
  }
  RowConverter converter(shown, PairColumns(plan), destination.info().limits, plan.key_positions);

  ReadRequest read;
  read.table = &plan.source;
  read.columns = plan.source_columns;
  read.unit.table = plan.source.name;
  read.limits = options.limits;
  WriteRequest write;
  write.table = &plan.destination;
  write.columns = plan.destination_columns;
  write.key_positions = plan.key_positions;

  auto read_session = source.OpenReadSession();
  auto write_session = destination.OpenWriteSession();
  auto reader = read_session->Read(read);
  auto writer = write_session->Write(write);
  Batch in, out;
  const Clock::time_point start = Clock::now();
  Clock::time_point last_report = start;
  try {
    while (reader->Next(in)) {
      converter.Convert(in, out);
      writer->Write(out);
      outcome.rows += int64_t(in.num_rows());
      outcome.bytes += int64_t(in.ByteSize());
      if (Clock::now() - last_report > std::chrono::seconds(1)) {
        last_report = Clock::now();
        outcome.seconds = SecondsSince(start);
        observer.TableProgress(index, outcome);
      }
    }
    writer->Commit();
  } catch (...) {
    writer->Rollback();
    throw;
  }
  outcome.seconds = SecondsSince(start);
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
  observer.Prepared(report.tables);

  bool stop = false;
  for (size_t i = 0; i < plans.size(); ++i) {
    TableOutcome& outcome = report.tables[i];
    if (stop) {
      outcome.state = TableState::kSkipped;
      observer.TableFinished(i, outcome);
      continue;
    }
    outcome.state = TableState::kRunning;
    observer.TableStarted(i, outcome);
    try {
      CopyTable(source, destination, plans[i], options, outcome, i, observer);
      outcome.state = TableState::kDone;
    } catch (const std::exception& e) {
      const Error* error = dynamic_cast<const Error*>(&e);
      outcome.state = TableState::kFailed;
      outcome.error = error ? e.what() : Error(ErrorCode::kInternal, e.what()).what();
      outcome.error_code = error ? error->code() : ErrorCode::kInternal;
      outcome.rows = 0;
      if (outcome.created) {
        // Leave the destination as it was: a table ferry made for this copy goes again.
        try {
          destination.DropTable(plans[i].destination.name);
          outcome.created = false;
        } catch (const Error&) {
        }
      }
      stop = options.fail_fast;
    }
    observer.TableFinished(i, outcome);
  }
  report.seconds = SecondsSince(start);
  return report;
}

}  // namespace ferry
