#include "copier/planner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "copier/text.hpp"

namespace ferry {

namespace {

std::string Size(const Table& t) {
  // fmt, not operator+: GCC 12 at -O3 warns falsely (-Wrestrict) about the concatenation.
  std::string rows =
      t.estimated_rows >= 0 ? fmt::format("~{} rows", Grouped(t.estimated_rows)) : "unknown rows";
  if (t.estimated_bytes > 0) rows += fmt::format(", {:.0f} MB", double(t.estimated_bytes) / 1e6);
  return rows;
}

// The key to split on: the primary key, else a unique index whose columns are NOT NULL, else a
// single-column unique index (its NULLs get a unit of their own).
std::vector<int> SplitKey(const Table& table, bool* nullable) {
  *nullable = false;
  std::vector<int> key = table.RowKey();
  if (!key.empty()) return key;
  for (const Index& index : table.unique_indexes) {
    if (index.columns.size() == 1) {
      *nullable = table.columns[size_t(index.columns[0])].nullable;
      return index.columns;
    }
  }
  return {};
}

int UnitsFor(const Table& t, const PartitionOptions& o) {
  if (o.units > 0) return std::min(o.units, o.max_units);
  double by_rows = t.estimated_rows > 0 ? double(t.estimated_rows) / double(o.target_unit_rows) : 1;
  double by_bytes =
      t.estimated_bytes > 0 ? double(t.estimated_bytes) / double(o.target_unit_bytes) : 1;
  int units = int(std::ceil(std::max(by_rows, by_bytes)));
  return std::clamp(units, 1, o.max_units);
}

bool IsSmall(const Table& t, const PartitionOptions& o) {
  if (o.units > 0) return o.units == 1;
  bool few_rows = t.estimated_rows >= 0 && t.estimated_rows < o.small_table_rows;
  bool few_bytes = t.estimated_bytes < 0 || t.estimated_bytes < o.small_table_bytes;
  return few_rows && few_bytes;
}

PartitionPlan Single(const Table& t, std::string reason) {
  PartitionPlan plan;
  WorkUnit unit;
  unit.table = t.name;
  plan.units.push_back(unit);
  plan.strategy = Strategy::kSingle;
  plan.reason = std::move(reason);
  return plan;
}

}  // namespace

std::string DescribeRange(const KeyRange& r) {
  if (r.IsWholeTable()) return "whole table";
  if (r.null_keys) return "key IS NULL";
  if (r.keys) return std::to_string(r.keys->size()) + " keys";
  auto bound = [&](const std::optional<std::vector<std::string>>& b, const char* open) {
    if (!b) return std::string(open);
    std::string out = "(";
    for (size_t i = 0; i < b->size(); ++i) out += (i ? ", " : "") + (*b)[i];
    return out + ")";
  };
  return std::string(r.by_location ? "pages " : "") + "[" + bound(r.lo, "-inf") + ", " +
         bound(r.hi, "+inf") + ")";
}

std::vector<KeyRange> RangesFromSample(const std::vector<std::vector<std::string>>& sample,
                                       const std::vector<int>& key, int parts, bool nullable) {
  std::vector<std::vector<std::string>> bounds;
  if (parts > 1 && !sample.empty()) {
    for (int i = 1; i < parts; ++i) {
      const auto& candidate = sample[size_t(double(i) * double(sample.size()) / parts)];
      // Equal bounds would make an empty range; a heavy key value stays in one unit.
      if (bounds.empty() || bounds.back() != candidate) bounds.push_back(candidate);
    }
    // The smallest sampled key as a bound would leave only keys below the sample in unit 0.
    if (!bounds.empty() && bounds.front() == sample.front()) bounds.erase(bounds.begin());
  }
  std::vector<KeyRange> ranges;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    KeyRange r;
    r.key_columns = key;
    if (i > 0) r.lo = bounds[i - 1];
    if (i < bounds.size()) r.hi = bounds[i];
    ranges.push_back(std::move(r));
  }
  if (nullable) {
    KeyRange nulls;
    nulls.key_columns = key;
    nulls.null_keys = true;
    ranges.push_back(std::move(nulls));
  }
  return ranges;
}

PartitionPlan PlanPartitions(const Table& t, Endpoint& source, const PartitionOptions& o) {
  if (std::vector<KeyRange> stored = source.StoredUnits(t); !stored.empty()) {
    PartitionPlan plan;
    plan.strategy = stored.size() == 1 && stored[0].IsWholeTable() ? Strategy::kSingle
                    : stored[0].by_location                        ? Strategy::kPageRanges
                                                                   : Strategy::kKeyRanges;
    for (KeyRange& r : stored) {
      WorkUnit unit;
      unit.table = t.name;
      unit.range = std::move(r);
      plan.units.push_back(std::move(unit));
    }
    plan.reason = fmt::format("{}: the {} unit(s) the source's rows are stored in, each read whole",
                              Size(t), plan.units.size());
    return plan;
  }
  if (IsSmall(t, o)) {
    return Single(t,
                  fmt::format("small table ({}): one unit, splitting would not pay off", Size(t)));
  }
  const int wanted = UnitsFor(t, o);
  if (wanted <= 1) return Single(t, fmt::format("{}: one unit", Size(t)));
  bool nullable = false;
  std::vector<int> key = SplitKey(t, &nullable);
  if (!o.key.empty()) {
    key = o.key;
    nullable = false;
    for (int k : key) nullable = nullable || t.columns[size_t(k)].nullable;
    if (nullable && key.size() > 1) {
      return Single(t,
                    fmt::format("{}: the chosen split key has nullable columns and more than one "
                                "column; one unit",
                                Size(t)));
    }
  }
  if (o.by_location) key.clear();
  if (key.empty()) {
    if (t.pages > 0) {
      PartitionPlan plan;
      plan.strategy = Strategy::kPageRanges;
      const int64_t units = std::min<int64_t>(wanted, t.pages);
      const int64_t step = (t.pages + units - 1) / units;
      for (int64_t lo = 0; lo < t.pages; lo += step) {
        WorkUnit unit;
        unit.table = t.name;
        unit.range.by_location = true;
        if (lo > 0) unit.range.lo = std::vector<std::string>{std::to_string(lo)};
        // The last unit is open-ended: pages added since the estimate still get read.
        if (lo + step < t.pages)
          unit.range.hi = std::vector<std::string>{std::to_string(lo + step)};
        plan.units.push_back(std::move(unit));
      }
      plan.reason = fmt::format(
          "{}, no key: {} ranges of {} heap pages (ctid); resume and verify are per range, not "
          "per row",
          Size(t), plan.units.size(), Grouped(step));
      return plan;
    }
    return Single(t, fmt::format("{}, no primary key or unique index: one reader (this engine has "
                                 "no row location to split by)",
                                 Size(t)));
  }
  std::string key_names;
  for (int k : key) key_names += (key_names.empty() ? "" : ", ") + t.columns[size_t(k)].name;
  const size_t samples = size_t(wanted) * size_t(std::max(o.samples_per_unit, 1));
  std::vector<std::vector<std::string>> sample = source.SampleKeys(t, key, samples);
  if (sample.size() < size_t(wanted)) {
    return Single(t, fmt::format("{}: the key sample came back with {} keys, too few to cut {} "
                                 "ranges; one unit",
                                 Size(t), sample.size(), wanted));
  }
  PartitionPlan plan;
  plan.strategy = Strategy::kKeyRanges;
  for (KeyRange& r : RangesFromSample(sample, key, wanted, nullable)) {
    WorkUnit unit;
    unit.table = t.name;
    unit.range = std::move(r);
    plan.units.push_back(std::move(unit));
  }
  plan.reason =
      fmt::format("{}: {} ranges of {} ({}) cut at quantiles of {} sampled keys{}", Size(t),
                  plan.units.size(), key.size() > 1 ? "the composite key" : "key", key_names,
                  Grouped(int64_t(sample.size())), nullable ? ", plus one for NULL keys" : "");
  return plan;
}

}  // namespace ferry
