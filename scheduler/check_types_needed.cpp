#include "scheduler/check_types_needed.hpp"

#include <fmt/format.h>

#include <optional>

#include "copier/table_plan.hpp"

namespace ferry {

const char* const kTextFormRule =
    "types the destination does not have are copied as their exact text form (as the source "
    "prints them) into text columns: the rows copy and verify compares that text, but queries "
    "there see text, not the type (a cast view at the source is the way to copy another form)";

namespace {

const char* const kCaseInsensitiveRule =
    "text the source compares ignoring case (SQLite COLLATE NOCASE) keeps its keys "
    "case-insensitive: MariaDB gets a case-insensitive collation (which also ignores the case of "
    "letters beyond ASCII), PostgreSQL an exclusion on lower() beside each unique key (its "
    "queries still compare with case); checks that read the column are not carried";
const char* const kCaseInsensitiveKeyRule =
    "text the source compares ignoring the case of ASCII letters only (SQLite COLLATE NOCASE) "
    "that is part of a primary, unique or foreign key gets the destination's exact collation: "
    "its case-insensitive ones also take letters beyond ASCII as equal (É and é, ß and ss), "
    "which the source keeps apart, so the key could refuse source rows; there these keys, and "
    "comparisons of the column, mind case";

}  // namespace

std::pair<const char*, const char*> CaseInsensitiveNote(const Table& table, const Column& column,
                                                        const EngineTraits& to) {
  const std::optional<int> at = table.FindColumn(column.name);
  if (at && CaseInsensitiveKeyMadeExact(table, *at, to)) {
    return {"case-sensitive key", kCaseInsensitiveKeyRule};
  }
  return {"case-insensitive text", kCaseInsensitiveRule};
}

const char* const kSpatialBytesRule =
    "spatial columns land in PostgreSQL and SQLite as bytes holding each value's EWKB (its SRID "
    "and WKB: lossless, NULLs kept; ferry does not create PostGIS geometry columns), and their "
    "spatial indexes are left out; with PostGIS (CREATE EXTENSION postgis) one becomes a "
    "geometry with ALTER TABLE t ALTER COLUMN c TYPE geometry USING ST_GeomFromEWKB(c) "
    "(SpatiaLite: GeomFromEWKB(hex(c)))";

std::string SpatialBytesNote(const ColumnType& source, const ColumnType& destination) {
  if (source.spatial.empty() || !destination.spatial.empty()) return "";
  return source.native + " as " + destination.native;
}

std::string TextFormNote(const ColumnType& source, const ColumnType& destination) {
  if (source.kind != TypeKind::kUnsupported || !source.text_form ||
      destination.kind != TypeKind::kText) {
    return "";
  }
  std::string note = source.native + " as " + destination.native;
  if (source.native == "tsvector")
    note += ", its lexemes and positions; build a full-text index there";
  return note;
}

void AddExtensionColumns(const Table& table, const std::string& shown,
                         std::vector<ExtensionColumn>& out) {
  for (const Column& c : table.columns) {
    if (!c.extension.empty()) out.push_back({shown, c});
  }
}

void CheckExtensionsNeeded(Endpoint& destination, const std::vector<ExtensionColumn>& columns,
                           std::vector<Finding>& findings) {
  if (columns.empty()) return;
  std::vector<CloneNeed> needs;
  for (const ExtensionColumn& c : columns) {
    needs.push_back(
        {CloneNeed::Kind::kExtension, c.column.extension, "a column's type comes from it"});
  }
  // Asked once per extension by the destination (UnmetNeeds remembers its answers).
  const std::vector<std::string> unmet = destination.UnmetNeeds(needs);
  for (size_t i = 0; i < columns.size() && i < unmet.size(); ++i) {
    if (unmet[i].empty()) continue;
    const Column& c = columns[i].column;
    findings.push_back(
        {Severity::kBlocker, "type", columns[i].table, c.name,
         fmt::format("column {} is of type {}, which extension {} provides, and the destination "
                     "cannot get it: {}; have it created there first (CREATE EXTENSION {} WITH "
                     "SCHEMA {}), or leave the table out (--exclude {})",
                     c.name, c.type.native, c.extension, unmet[i], c.extension, c.extension_schema,
                     columns[i].table)});
  }
}

}  // namespace ferry
