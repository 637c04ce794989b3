#include "tests/support/memory_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <set>

#include "copier/convert.hpp"

namespace ferry::test::memory {

Error ServerError(ErrorCode code, const std::string& what, const char* sqlstate,
                  ErrorContext context) {
  return Error(code, what, std::move(context), {Diagnostic{sqlstate, 0, what}});
}

// ---------------------------------------------------------------------------------------------
// Values: a cell holds a value in its column's batch storage, so it moves to and from batches
// without a conversion, and compares in the column type's order.

Cell CellOf(const ColumnVector& column, size_t row) {
  Cell cell;
  if (column.IsNull(row)) return cell;
  cell.null = false;
  if (column.variable_length()) {
    cell.bytes = std::string(column.Bytes(row));
  } else {
    cell.fixed = column.Int(row);
  }
  return cell;
}

void Append(const Cell& cell, ColumnVector& column) {
  if (cell.null) {
    column.AppendNull();
  } else if (column.variable_length()) {
    column.AppendBytes(cell.bytes);
  } else {
    column.AppendInt(cell.fixed);
  }
}

Cell Parse(const Value& value, const Column& column) {
  if (!value) return Cell{};
  ColumnVector vector(StorageOf(column.type));
  if (!ParseValue(*value, vector)) {
    throw Error(ErrorCode::kData, fmt::format("'{}' is not a value of column {} ({})", *value,
                                              column.name, DescribeType(column.type)));
  }
  return CellOf(vector, 0);
}

Value Format(const Cell& cell, const Column& column) {
  if (cell.null) return std::nullopt;
  ColumnVector vector(StorageOf(column.type));
  Append(cell, vector);
  return FormatValue(vector, 0);
}

int Compare(const Cell& a, const Cell& b, Storage storage) {
  // NULLs sort last, as in PostgreSQL's ascending order.
  if (a.null || b.null) return int(a.null) - int(b.null);
  auto order = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (storage) {
    case Storage::kUInt64:
      return order(uint64_t(a.fixed), uint64_t(b.fixed));
    case Storage::kFloat64:
      return order(std::bit_cast<double>(a.fixed), std::bit_cast<double>(b.fixed));
    case Storage::kDecimal:
      return order(std::strtold(a.bytes.c_str(), nullptr), std::strtold(b.bytes.c_str(), nullptr));
    case Storage::kText:
    case Storage::kBytes:
    case Storage::kUuid:
      return order(a.bytes, b.bytes);
    default:
      return order(a.fixed, b.fixed);
  }
}

int CompareOn(const Table& table, const std::vector<int>& columns, const StoredRow& a,
              const StoredRow& b) {
  for (int c : columns) {
    int r = Compare(a[size_t(c)], b[size_t(c)], StorageOf(table.columns[size_t(c)].type));
    if (r != 0) return r;
  }
  return 0;
}

// The row's values in `columns`, as one string that is equal exactly when the values are.
std::string Encode(const StoredRow& row, const std::vector<int>& columns) {
  std::string out;
  for (int c : columns) {
    const Cell& cell = row[size_t(c)];
    out += cell.null ? 'N' : 'V';
    out += std::to_string(cell.fixed) + ":" + std::to_string(cell.bytes.size()) + ":" + cell.bytes;
  }
  return out;
}

std::string DescribeKey(const Table& table, const std::vector<int>& columns, const StoredRow& row) {
  std::string names, values;
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& column = table.columns[size_t(columns[i])];
    names += (i ? ", " : "") + column.name;
    values += (i ? ", " : "") + Format(row[size_t(columns[i])], column).value_or("NULL");
  }
  return fmt::format("({})=({})", names, values);
}

// Whether `row` is in the work unit `range` (key columns as indices into `table`).
bool InRange(const Table& table, const KeyRange& range, const StoredRow& row) {
  if (range.by_location) {
    throw Error(ErrorCode::kInternal, "the memory engine has no physical row locations");
  }
  if (range.IsWholeTable()) return true;
  const std::vector<int>& key = range.key_columns;
  auto bound = [&](const std::vector<std::string>& text) {
    StoredRow b(table.columns.size());
    for (size_t i = 0; i < key.size() && i < text.size(); ++i) {
      b[size_t(key[i])] = Parse(text[i], table.columns[size_t(key[i])]);
    }
    return b;
  };
  if (range.keys) {
    for (const std::vector<std::string>& k : *range.keys) {
      if (CompareOn(table, key, row, bound(k)) == 0) return true;
    }
    return false;
  }
  if (range.null_keys) return row[size_t(key.front())].null;
  if (row[size_t(key.front())].null) return false;
  if (range.lo && CompareOn(table, key, row, bound(*range.lo)) < 0) return false;
  if (range.hi && CompareOn(table, key, row, bound(*range.hi)) >= 0) return false;
  return true;
}

// The column a fault's key is a value of: the table's first key column, or its first column
// while it has no key (a destination table whose key is built after the load).
std::optional<int> FaultColumn(const Table& table) {
  std::vector<int> key = table.RowKey();
  if (!key.empty()) return key.front();
  if (table.columns.empty()) return std::nullopt;
  return 0;
}

bool Holds(const Table& table, const StoredRow& row, const Value& key) {
  std::optional<int> column = FaultColumn(table);
  if (!key) return true;
  if (!column) return false;
  return Compare(row[size_t(*column)], Parse(key, table.columns[size_t(*column)]),
                 StorageOf(table.columns[size_t(*column)].type)) == 0;
}

bool AnyHolds(const Table& table, const std::vector<StoredRow>& rows, const Value& key) {
  if (!key) return true;
  return std::any_of(rows.begin(), rows.end(),
                     [&](const StoredRow& row) { return Holds(table, row, key); });
}

// Every key and NOT NULL column of `stored` holds; the first violation is thrown, as a
// server's constraint error.
void CheckConstraints(const StoredTable& stored) {
  const Table& table = stored.table;
  const std::string shown = DisplayName(table.name);
  for (const StoredRow& row : stored.rows) {
    for (size_t c = 0; c < table.columns.size(); ++c) {
      if (row[c].null && !table.columns[c].nullable) {
        throw ServerError(ErrorCode::kDriver,
                          fmt::format("null value in column \"{}\" violates not-null constraint",
                                      table.columns[c].name),
                          "23502", ErrorContext{shown, table.columns[c].name, "", ""});
      }
    }
  }
  std::vector<std::pair<std::string, std::vector<int>>> keys;
  if (!table.primary_key.empty()) keys.emplace_back(table.name.name + "_pkey", table.primary_key);
  for (const Index& index : table.unique_indexes) keys.emplace_back(index.name, index.columns);
  for (const auto& [name, columns] : keys) {
    std::set<std::string> seen;
    for (const StoredRow& row : stored.rows) {
      bool has_null =
          std::any_of(columns.begin(), columns.end(), [&](int c) { return row[size_t(c)].null; });
      if (has_null) continue;  // NULLs are distinct, as in SQL
      if (!seen.insert(Encode(row, columns)).second) {
        throw ServerError(
            ErrorCode::kDriver,
            fmt::format("duplicate key value violates unique constraint \"{}\"", name), "23505",
            ErrorContext{shown, "", DescribeKey(table, columns, row), ""});
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// What every connection shares.

void Shared::Record(EventKind kind, const Table& table, int part,
                    const std::vector<StoredRow>& rows) {
  Value first_key;
  std::optional<int> column = FaultColumn(table);
  if (column && !rows.empty()) {
    first_key = Format(rows.front()[size_t(*column)], table.columns[size_t(*column)]);
  }
  events.push_back({kind, table.name, part, int64_t(rows.size()), std::move(first_key),
                    std::chrono::steady_clock::now()});
}

std::optional<Fault> Shared::Take(FaultKind kind, const Table& table,
                                  const std::function<bool(const Fault&)>& matches) {
  for (Fault& f : faults) {
    if (f.kind != kind || f.table != table.name || f.times <= 0 || !matches(f)) continue;
    --f.times;
    return f;
  }
  return std::nullopt;
}

std::shared_ptr<Stall> Shared::TakeStall(Stage stage, const Table& table,
                                         const std::vector<StoredRow>& rows) {
  for (StallAt& s : stalls) {
    if (s.used || s.stage != stage || s.table != table.name) continue;
    if (!AnyHolds(table, rows, s.key)) continue;
    s.used = true;
    return s.stall;
  }
  return nullptr;
}

void Shared::CheckReachable() const {
  if (!reachable) throw ConnectionLost("could not connect to server: Connection refused");
}

StoredTable& Shared::Get(const TableName& name) {
  auto it = tables.find(name);
  if (it == tables.end()) {
    throw ServerError(ErrorCode::kDriver,
                      fmt::format("relation \"{}\" does not exist", DisplayName(name)), "42P01",
                      ErrorContext{DisplayName(name), "", "", ""});
  }
  return it->second;
}

}  // namespace ferry::test::memory
