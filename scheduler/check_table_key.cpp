#include "scheduler/check_table_key.hpp"

#include <fmt/format.h>

#include <cctype>

#include "copier/table_plan.hpp"
#include "copier/text.hpp"

namespace ferry {

TableCheck StartTableCheck(const Table& table, const TablePlan& plan, bool exists) {
  TableCheck t;
  t.source = table.name;
  t.destination = plan.destination;
  t.destination_exists = exists;
  t.estimated_rows = table.estimated_rows;
  t.estimated_bytes = table.estimated_bytes;
  t.split_key = plan.split_key;
  t.strategy = plan.strategy;
  t.why = plan.why;
  t.partitions = plan.partitions;
  return t;
}

// The key resume and verify would identify rows by, and how it was found.
void DescribeKey(const Table& table, const EndpointInfo& source, TableCheck& out,
                 std::vector<Finding>& findings) {
  std::vector<int> key = table.RowKey();
  out.key = ColumnNames(table, key);
  if (!key.empty()) {
    out.key_note = table.primary_key.empty() ? "unique index on NOT NULL columns" : "primary key";
    return;
  }
  const std::string shown = DisplayName(table.name);
  const bool pages = source.traits.keyless_by_pages;
  out.key_note = "none: no primary key and no unique index on NOT NULL columns";
  for (const Index& index : table.unique_indexes) {
    if (index.columns.size() == 1) {
      out.key_note += fmt::format(" (the unique index on nullable {} can still split it)",
                                  table.columns[size_t(index.columns[0])].name);
      break;
    }
  }
  findings.push_back(
      {Severity::kWarning, "no key", shown, "",
       fmt::format("{} has no primary key or unique index on NOT NULL columns: it can be copied, "
                   "but resume and verify are coarser ({}, not per row){}",
                   shown, pages ? "per range of heap pages" : "the whole table at once",
                   pages ? "" : ", and it is read by one stream")});
}

namespace {

// A column that looks like it grows on every change of its row: a watermark candidate.
std::optional<std::string> WatermarkCandidate(const Table& table) {
  static const char* const kNames[] = {"updated_at",  "modified_at", "last_modified",
                                       "last_update", "updated",     "modified",
                                       "row_version", "rowversion",  "version"};
  for (const char* name : kNames) {
    for (const Column& c : table.columns) {
      std::string lower = c.name;
      for (char& ch : lower) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      const bool fits = c.type.kind == TypeKind::kTimestamp ||
                        c.type.kind == TypeKind::kTimestampTz || c.type.kind == TypeKind::kInteger;
      if (lower == name && fits) return c.name;
    }
  }
  return std::nullopt;
}

}  // namespace

void RecommendSync(const Table& table, const EndpointInfo& source, TableCheck& out) {
  const std::optional<std::string> mark = WatermarkCandidate(table);
  const bool triggers = source.traits.change_tracking;
  if (table.RowKey().empty()) {
    out.sync_mode = "diff";
    out.sync_note = "no key to name changed rows by: ferry verify --repair re-copies what differs";
  } else if (triggers) {
    out.sync_mode = "tracked";
    out.sync_note =
        "ferry track enable before the copy (triggers on the source; exact, deletes "
        "included)";
    if (mark) {
      out.sync_note += fmt::format(
          "; or --watermark {} without touching the source, but deletes are not seen", *mark);
    }
  } else if (mark) {
    out.sync_mode = "watermark";
    out.sync_note = fmt::format(
        "--watermark {}: deletes are not seen (ferry verify --repair finds them)", *mark);
  } else {
    out.sync_mode = "diff";
    out.sync_note = "no change tracking here and no watermark column: ferry verify --repair";
  }
}

}  // namespace ferry
