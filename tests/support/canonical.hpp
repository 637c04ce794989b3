// The tests' own view of a table's contents, independent of ferry's conversion code: each
// value is rendered to text by the server itself, then normalised per type family (numbers by
// value, timestamps as UTC text, bytes as hex, JSON re-serialised), and rows are sorted so two
// tables compare as multisets.
#pragma once

#include <string>
#include <vector>

#include "tests/support/test_database.hpp"

namespace ferry::test {

enum class Family {
  kInteger,
  kDecimal,
  kFloat4,
  kFloat8,
  kBoolean,
  kText,
  kChar,
  kBytes,
  kDate,
  kTime,
  kTimestamp,
  kTimestampTz,
  kUuid,
  kJson
};

struct ColumnInfo {
  std::string name;
  std::string type;  // as the catalog spells it
  Family family;
};

struct TableContents {
  std::vector<ColumnInfo> columns;
  std::vector<Row> rows;  // normalised, sorted
};

std::vector<ColumnInfo> DescribeColumns(TestDatabase& db, const std::string& table);
TableContents ReadCanonical(TestDatabase& db, const std::string& table);
// The user tables of `db` (ferry's run state tables, named ferry_*, left out).
std::vector<std::string> ListTables(TestDatabase& db);

// Normalises a value the server rendered as text.
std::optional<std::string> Normalise(Family family, const std::optional<std::string>& text);

// A readable description of the first difference between two tables' contents ("" if equal).
std::string FirstDifference(const TableContents& expected, const TableContents& actual);

// The same for two lists of lines (RowLines, a dump split at newlines): the first line that
// differs, or the first one too many, each value cut to a few hundred bytes. Compare with
// CHECK(LinesDifference(a, b) == ""), never CHECK(a == b) on whole tables: Catch2 prints both
// operands whole, and wraps a long line in time quadratic in its length, so a failing comparison
// of a big table never ends.
std::string LinesDifference(const std::vector<std::string>& expected,
                            const std::vector<std::string>& actual);
std::string LinesDifference(const std::string& expected, const std::string& actual);

// Loads a SQL script with the engine's own command-line client (psql, mariadb, sqlite3).
void LoadScript(TestDatabase& db, const std::string& path, const std::string& skip_through = "");

}  // namespace ferry::test
