#include "copier/table_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "copier/convert.hpp"
#include "copier/error.hpp"

namespace ferry {

namespace {

enum class Family { kNumber, kText, kBytes, kTemporal, kTime, kUuid, kJson, kOther };

Family FamilyOf(TypeKind kind) {
  switch (kind) {
    case TypeKind::kBoolean:
    case TypeKind::kInteger:
    case TypeKind::kDecimal:
    case TypeKind::kReal:
    case TypeKind::kDouble:
      return Family::kNumber;
    case TypeKind::kChar:
    case TypeKind::kVarchar:
    case TypeKind::kText:
      return Family::kText;
    case TypeKind::kBinary:
    case TypeKind::kVarbinary:
    case TypeKind::kBlob:
      return Family::kBytes;
    case TypeKind::kDate:
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      return Family::kTemporal;
    case TypeKind::kTime:
      return Family::kTime;
    case TypeKind::kUuid:
      return Family::kUuid;
    case TypeKind::kJson:
      return Family::kJson;
    case TypeKind::kUnsupported:
      return Family::kOther;
  }
  return Family::kOther;
}

// Whether values of `from` can go into a column of `to` at all (each value is still checked).
bool Compatible(const ColumnType& from, const ColumnType& to) {
  Family f = FamilyOf(from.kind), t = FamilyOf(to.kind);
  if (f == t) return true;
  if (t == Family::kText) return true;  // anything has an exact text form
  if (f == Family::kText && (t == Family::kJson || t == Family::kUuid)) return true;
  if (f == Family::kJson && t == Family::kText) return true;
  if (f == Family::kUuid && t == Family::kBytes) return true;
  return false;
}

std::string Lower(const std::string& s) {
  std::string out;
  for (char c : s) out += char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The destination column for a source column: the same name, else the only one equal to it
// ignoring case (as unquoted names are folded by PostgreSQL and compared by MariaDB).
std::optional<int> MatchColumn(const Table& dest, const std::string& name) {
  if (auto exact = dest.FindColumn(name)) return exact;
  std::optional<int> found;
  for (size_t i = 0; i < dest.columns.size(); ++i) {
    if (Lower(dest.columns[i].name) == Lower(name)) {
      if (found) return std::nullopt;
      found = int(i);
    }
  }
  return found;
}

}  // namespace

TableCopyPlan PlanTableCopy(const Table& source, Engine source_engine, Endpoint& destination) {
  TableCopyPlan plan;
  plan.source = source;
  const std::string shown = DisplayName(source.name);
  TableName dest_name = destination.DestinationName(source.name, source_engine);
  std::optional<Table> existing = destination.DescribeTable(dest_name);
  if (source.columns.empty()) {
    throw Error(ErrorCode::kSchema, "the table has no columns ferry can read",
                ErrorContext{shown, "", "", ""});
  }
  if (!existing) {
    plan.create = true;
    plan.destination.name = dest_name;
    for (const Column& c : source.columns) {
      Column mapped = c;
      try {
        mapped.type = destination.MapType(c.type, source_engine);
      } catch (Error& e) {
        e.WithTable(shown).WithColumn(c.name);
        throw;
      }
      plan.destination.columns.push_back(std::move(mapped));
    }
    plan.destination.primary_key = source.primary_key;
    for (size_t i = 0; i < source.columns.size(); ++i) {
      plan.source_columns.push_back(int(i));
      plan.destination_columns.push_back(int(i));
    }
  } else {
    plan.destination = *existing;
    std::vector<bool> fed(existing->columns.size(), false);
    for (size_t i = 0; i < source.columns.size(); ++i) {
      const Column& c = source.columns[i];
      auto match = MatchColumn(*existing, c.name);
      if (!match) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("destination table {} exists but has no column {} (its columns: "
                                "{})",
                                DisplayName(dest_name), c.name,
                                [&] {
                                  std::string names;
                                  for (const Column& d : existing->columns) {
                                    names += (names.empty() ? "" : ", ") + d.name;
                                  }
                                  return names;
                                }()),
                    ErrorContext{shown, c.name, "", ""});
      }
      const Column& d = existing->columns[size_t(*match)];
      if (!Compatible(c.type, d.type)) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("destination column {}.{} is {} but the source column is {}; "
                                "their values are not interchangeable",
                                DisplayName(dest_name), d.name, d.type.native, c.type.native),
                    ErrorContext{shown, c.name, "", ""});
      }
      if (c.type.kind == TypeKind::kUnsupported && source_engine != destination.info().engine) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("type {} cannot be copied to another engine", c.type.native),
                    ErrorContext{shown, c.name, "", ""});
      }
      fed[size_t(*match)] = true;
      plan.source_columns.push_back(int(i));
      plan.destination_columns.push_back(*match);
    }
    for (size_t j = 0; j < existing->columns.size(); ++j) {
      const Column& d = existing->columns[j];
      if (!fed[j] && !d.nullable && !d.identity) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("destination table {} has a NOT NULL column {} that the source "
                                "does not have",
                                DisplayName(dest_name), d.name),
                    ErrorContext{shown, "", "", ""});
      }
    }
  }
  std::vector<int> key = source.RowKey();
  for (int k : key) {
    auto it = std::find(plan.source_columns.begin(), plan.source_columns.end(), k);
    if (it != plan.source_columns.end()) {
      plan.key_positions.push_back(int(it - plan.source_columns.begin()));
    }
  }
  return plan;
}

std::vector<ColumnPairing> PairColumns(const TableCopyPlan& plan) {
  std::vector<ColumnPairing> pairs;
  for (size_t i = 0; i < plan.source_columns.size(); ++i) {
    pairs.push_back({&plan.source.columns[size_t(plan.source_columns[i])],
                     &plan.destination.columns[size_t(plan.destination_columns[i])]});
  }
  return pairs;
}

}  // namespace ferry
