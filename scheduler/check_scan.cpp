#include "scheduler/check_scan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "scheduler/check_sample.hpp"

namespace ferry {

namespace {

bool IsTextKind(TypeKind kind) {
  return kind == TypeKind::kChar || kind == TypeKind::kVarchar || kind == TypeKind::kText ||
         kind == TypeKind::kJson;
}

bool IsDateKind(TypeKind kind) {
  return kind == TypeKind::kDate || kind == TypeKind::kTimestamp || kind == TypeKind::kTimestampTz;
}

}  // namespace

// ferry check --scan for one table: the values each column holds that the destination refuses,
// counted by the source server in one pass; each rule that finds some is a blocker.
void ScanTable(Endpoint& source, const Table& table, const TableCopyPlan& copy,
               const EndpointInfo& from, const EndpointInfo& to, std::vector<Finding>& findings) {
  std::vector<ValueScan> scans;
  std::vector<std::string> what;
  for (size_t i = 0; i < copy.source_columns.size(); ++i) {
    const int column = copy.source_columns[i];
    // As the run reads it: a SQLite column into SQLite takes any value (KeepValueTypes).
    const ColumnType& s = copy.source.columns[size_t(column)].type;
    const ColumnType& d = copy.destination.columns[size_t(copy.destination_columns[i])].type;
    auto add = [&](ValueRule rule, const std::string& description, int64_t limit = 0,
                   int64_t limit2 = 0) {
      scans.push_back({column, rule, limit, limit2});
      what.push_back(description);
    };
    if (s.kind == TypeKind::kReal || s.kind == TypeKind::kDouble) {
      if (from.limits.float_nan && !to.limits.float_nan) add(ValueRule::kNaN, "NaN");
      if (from.limits.float_infinity && !to.limits.float_infinity) {
        add(ValueRule::kInfinity, "Infinity or -Infinity");
      }
      if (from.limits.float_negative_zero && !to.limits.float_negative_zero) {
        add(ValueRule::kNegativeZero, fmt::format("-0 ({} would store 0)", to.product));
      }
    }
    if (s.kind == TypeKind::kDecimal && from.limits.decimal_nan && !to.limits.decimal_nan) {
      add(ValueRule::kNaN, "NaN");
    }
    if (IsTextKind(s.kind)) {
      if (from.limits.nul_in_text && !to.limits.nul_in_text) add(ValueRule::kNul, "NUL (U+0000)");
      if (!from.limits.requires_utf8 && to.limits.requires_utf8) {
        add(ValueRule::kInvalidUtf8, "text that is not valid UTF-8");
      }
      // SQLite does not hold its text to the declared length.
      const bool bounded = s.kind != TypeKind::kText && s.kind != TypeKind::kJson && s.length > 0 &&
                           from.traits.enforces_declared_types;
      if ((d.kind == TypeKind::kChar || d.kind == TypeKind::kVarchar) && d.length >= 0 &&
          (!bounded || s.length > d.length)) {
        add(ValueRule::kLongerThan,
            fmt::format("text longer than {} characters ({})", d.length, d.native), d.length);
      }
      if (d.max_bytes >= 0) {
        add(ValueRule::kBytesLongerThan,
            fmt::format("text longer than {} bytes ({})", d.max_bytes, d.native), d.max_bytes);
      }
    }
    if (StorageOf(s) == Storage::kBytes && StorageOf(d) == Storage::kBytes) {
      const bool bounded =
          s.kind != TypeKind::kBlob && s.length > 0 && from.traits.enforces_declared_types;
      if ((d.kind == TypeKind::kBinary || d.kind == TypeKind::kVarbinary) && d.length >= 0 &&
          (!bounded || s.length > d.length)) {
        add(ValueRule::kBytesLongerThan,
            fmt::format("values longer than {} bytes ({})", d.length, d.native), d.length);
      }
    }
    if (IsDateKind(s.kind)) {
      // PostgreSQL holds years far past 9999, BC years and infinity, whatever the limits say.
      if (from.limits.unbounded_dates ? !to.limits.unbounded_dates
                                      : to.limits.min_year > from.limits.min_year ||
                                            to.limits.max_year < from.limits.max_year) {
        add(ValueRule::kYearOutside,
            fmt::format("dates outside the years {}..{}", to.limits.min_year, to.limits.max_year),
            to.limits.min_year, to.limits.max_year);
      }
      if (from.limits.zero_dates && !to.limits.zero_dates) {
        add(ValueRule::kZeroDate, "zero dates (0000-00-00, or a zero month or day)");
      }
    }
    // SQLite stores any value in any column: the ones the reader refuses for the column's type.
    const Storage storage = StorageOf(s);
    if (!from.traits.enforces_declared_types && storage != Storage::kText &&
        storage != Storage::kBytes) {
      add(ValueRule::kOtherKind,
          fmt::format("values stored as another type than the column's {}, which ferry cannot "
                      "read as one",
                      s.native.empty() ? DescribeType(s) : s.native),
          int64_t(storage));
    }
    if (s.kind == TypeKind::kTime && from.limits.times_beyond_day && !to.limits.times_beyond_day) {
      add(ValueRule::kTimeBeyondDay, "times negative or beyond 24:00:00");
    }
  }
  if (scans.empty()) return;
  const std::string shown = DisplayName(table.name);
  std::vector<ValueScanResult> results;
  try {
    results = source.ScanValues(table, scans);
  } catch (const Error& e) {
    findings.push_back({Severity::kWarning, "scan", shown, "",
                        "the scan of the table's values failed: " + e.message()});
    return;
  }
  // A source that cannot count (a staging directory): every row through the run's converter.
  if (std::any_of(results.begin(), results.end(),
                  [](const ValueScanResult& r) { return r.count < 0; })) {
    ScanThroughConverter(source, table, copy, to.limits, findings);
  }
  const std::vector<int> key = table.RowKey();
  for (size_t i = 0; i < scans.size() && i < results.size(); ++i) {
    if (results[i].count <= 0) continue;
    const std::string& column = table.columns[size_t(scans[i].column)].name;
    std::string examples;
    for (const std::string& e : results[i].examples) {
      examples += (examples.empty() ? "" : ", ") + e;
    }
    findings.push_back(
        {Severity::kBlocker, "refused values", shown, column,
         fmt::format("column {} holds {} value{} {} refuses: {}{}", column, results[i].count,
                     results[i].count == 1 ? "" : "s",
                     scans[i].rule == ValueRule::kOtherKind ? "ferry" : to.product, what[i],
                     examples.empty()
                         ? ""
                         : fmt::format(" (e.g. rows with {} {})",
                                       table.columns[size_t(key[0])].name, examples))});
  }
}

}  // namespace ferry
