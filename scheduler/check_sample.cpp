#include "scheduler/check_sample.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>

#include "copier/convert.hpp"
#include "copier/error.hpp"

namespace ferry {

namespace {

// Tables of at most this many rows (by the catalog's estimate) are read whole, up to this many.
constexpr int64_t kSmallRows = 1000;
constexpr size_t kSmallTables = 200;

// The run's converter for the sampled columns of `copy`, or none.
std::optional<RowConverter> SampleConverter(const Table& table, const TableCopyPlan* copy,
                                            const ValueLimits* limits,
                                            const ValueLimits& source_limits,
                                            ReadRequest& request) {
  if (!copy || !limits || copy->source_columns.empty()) return std::nullopt;
  request.columns = copy->source_columns;
  std::vector<ColumnPairing> pairs;
  for (size_t i = 0; i < copy->source_columns.size(); ++i) {
    pairs.push_back({&copy->source.columns[size_t(copy->source_columns[i])],
                     &copy->destination.columns[size_t(copy->destination_columns[i])]});
  }
  return RowConverter(DisplayName(table.name), std::move(pairs), *limits, copy->key_positions,
                      source_limits);
}

// A value the run's reader or converter refused (Error kData) met in `row` ("row" of --scan, "a
// sampled row"): a blocker naming its key and column, and `why` it matters.
Finding RefusedValue(const Error& e, const std::string& table, const char* row, bool converting,
                     const char* why) {
  const ErrorContext& at = e.context();
  return {Severity::kBlocker, "refused values", table, at.column,
          fmt::format(
              "{}{} holds a value {}{}: {} ({})", row, at.key.empty() ? "" : " " + at.key,
              converting ? "the destination cannot store" : "ferry cannot read",
              at.column.empty() ? "" : (converting ? " in column " : " from column ") + at.column,
              e.message(), why)};
}

}  // namespace

void ScanThroughConverter(Endpoint& source, const Table& table, const TableCopyPlan& copy,
                          const ValueLimits& limits, std::vector<Finding>& findings) {
  ReadRequest request;
  request.table = &table;
  request.unit.table = table.name;
  const std::optional<RowConverter> converter =
      SampleConverter(table, &copy, &limits, source.info().limits, request);
  if (!converter) return;
  const std::string shown = DisplayName(table.name);
  bool converting = false;
  try {
    source.BeginSnapshot(Consistency::kNone);
    std::unique_ptr<ReadSession> session = source.OpenReadSession();
    std::unique_ptr<RowReader> reader = session->Read(request);
    Batch batch, converted;
    while (reader->Next(batch)) {
      converting = true;
      converter->Convert(static_cast<const Batch&>(batch), converted);
      converting = false;
    }
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kData) {
      findings.push_back({Severity::kWarning, "scan", shown, "",
                          "the scan of the table's values failed: " + e.message()});
      return;
    }
    findings.push_back(RefusedValue(e, shown, "row", converting,
                                    "the scan read every row through the run's conversion and "
                                    "stopped at the first it refuses; the run would fail this "
                                    "table"));
  }
}

ReadSample SampleReads(Endpoint& source, const std::vector<Table>& tables,
                       const CheckOptions& options, std::vector<Finding>& findings,
                       const std::map<TableName, TableCopyPlan>* copies, const ValueLimits* limits,
                       const std::map<TableName, TableCopyPlan>* passed) {
  std::vector<const Table*> order;
  for (const Table& t : tables) {
    if (t.estimated_rows > 0 || t.estimated_bytes > 0) order.push_back(&t);
  }
  std::stable_sort(order.begin(), order.end(), [](const Table* a, const Table* b) {
    return std::max<int64_t>(a->estimated_bytes, 0) > std::max<int64_t>(b->estimated_bytes, 0) ||
           (a->estimated_bytes == b->estimated_bytes && a->estimated_rows > b->estimated_rows);
  });
  // The largest tables are read for the estimate. Small tables are read whole too, for their
  // values alone (the run's reader and converter meet each of them, so a value the run would
  // refuse is a blocker here, not a failed table later); they are too small to time.
  const size_t timed = std::min(order.size(), size_t(std::max(options.sample_tables, 0)));
  size_t kept = timed;
  for (size_t i = timed; i < order.size() && kept < timed + kSmallTables; ++i) {
    if (order[i]->estimated_rows >= 0 && order[i]->estimated_rows <= kSmallRows) {
      order[kept++] = order[i];
    }
  }
  order.resize(kept);
  ReadSample sample;
  if (order.empty()) return sample;
  double catalog_bytes = 0;
  // Readers would run with a snapshot; a sample needs none, and none holds nothing open.
  source.BeginSnapshot(Consistency::kNone);
  std::unique_ptr<ReadSession> session = source.OpenReadSession();
  for (size_t at = 0; at < order.size(); ++at) {
    const Table* table = order[at];
    ReadRequest request;
    request.table = table;
    for (size_t c = 0; c < table->columns.size(); ++c) request.columns.push_back(int(c));
    request.unit.table = table->name;
    request.limits.max_rows = size_t(std::clamp<int64_t>(options.sample_rows, 1, 8192));
    const TableCopyPlan* copy = nullptr;
    if (copies) {
      auto found = copies->find(table->name);
      if (found != copies->end()) copy = &found->second;
    }
    if (passed) {
      auto found = passed->find(table->name);
      if (found != passed->end()) {
        request.columns = found->second.source_columns;
        request.pass_through = true;
        copy = nullptr;
      }
    }
    bool converting = false;  // an error from here on is the destination's refusal
    int64_t rows = 0;
    size_t batch_bytes = 0;
    double seconds = 0;
    try {
      const auto start = std::chrono::steady_clock::now();
      const std::optional<RowConverter> converter =
          SampleConverter(*table, copy, limits, source.info().limits, request);
      std::unique_ptr<RowReader> reader = session->Read(request);
      Batch batch, converted;
      while (rows < options.sample_rows && seconds < options.sample_seconds &&
             reader->Next(batch)) {
        if (converter) {
          converting = true;
          converter->Convert(static_cast<const Batch&>(batch), converted);
          converting = false;
        }
        rows += int64_t(batch.num_rows());
        for (size_t c = 0; c < batch.num_columns(); ++c) batch_bytes += batch.column(c).ByteSize();
        if (request.pass_through) batch_bytes += batch.ByteSize();
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
      // Stopping a read early (the reader's destructor) is not part of reading.
    } catch (const Error& e) {
      // A value the reader cannot take (text in a SQLite DATE column that is not a date, say)
      // fails the run's read of this table just the same: a blocker, naming column and row.
      const ErrorContext& at = e.context();
      const bool counted = std::any_of(findings.begin(), findings.end(), [&](const Finding& f) {
        return f.kind == "refused values" && f.table == DisplayName(table->name) &&
               f.column == at.column;
      });
      if (counted) {
        // --scan counted the column's refused values already.
      } else if (e.code() == ErrorCode::kData) {
        findings.push_back(RefusedValue(e, DisplayName(table->name), "a sampled row", converting,
                                        "the run would fail this table; other rows may hold "
                                        "more"));
      } else {
        findings.push_back({Severity::kWarning, "read sample", DisplayName(table->name), "",
                            fmt::format("reading a sample of rows failed: {}", e.message())});
      }
      session = source.OpenReadSession();  // the failed read may have spoiled the session
      continue;
    }
    if (rows == 0 || seconds <= 0 || at >= timed) continue;
    const double per_row = table->estimated_bytes > 0 && table->estimated_rows > 0
                               ? double(table->estimated_bytes) / double(table->estimated_rows)
                               : double(batch_bytes) / double(rows);
    sample.tables.push_back(table->name);
    sample.rows += rows;
    sample.seconds += seconds;
    catalog_bytes += per_row * double(rows);
  }
  if (sample.seconds > 0) sample.bytes_per_second = catalog_bytes / sample.seconds;
  return sample;
}

void Estimate(CheckReport& report, const std::vector<Table>& tables, const ReadSample& sample) {
  if (sample.bytes_per_second <= 0) return;
  double total = 0, longest = 0;
  bool known = true;
  for (size_t i = 0; i < report.tables.size(); ++i) {
    TableCheck& t = report.tables[i];
    if (t.strategy == Strategy::kSkip) {
      t.estimated_seconds = 0;
      continue;
    }
    const Table& table = tables[i];
    double bytes = double(table.estimated_bytes);
    if (bytes < 0 && table.estimated_rows >= 0 && sample.rows > 0) {
      // No size from the catalog: the sample's average row.
      bytes = double(table.estimated_rows) * sample.bytes_per_second * sample.seconds /
              double(sample.rows);
    }
    if (bytes < 0) {
      known = false;
      continue;
    }
    t.estimated_seconds = bytes / sample.bytes_per_second;
    t.sampled =
        std::find(sample.tables.begin(), sample.tables.end(), t.source) != sample.tables.end();
    total += t.estimated_seconds;
    longest = std::max(longest,
                       t.estimated_seconds / std::max(1, std::min(t.partitions, report.readers)));
  }
  if (known) report.estimated_seconds = std::max(total / std::max(report.readers, 1), longest);
}

}  // namespace ferry
