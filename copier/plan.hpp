// The plan: for every table, where it goes, which column feeds which with what types, how it
// is cut into units and why, how it is written, what is built after its rows are in, and a
// record of the source shape it was made for. A JSON file a DBA can read, diff and edit;
// `ferry run --plan` executes exactly what it says, and refuses it when the source drifted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/job.hpp"
#include "copier/work_unit.hpp"

namespace ferry {

struct PlannedColumn {
  std::string source;
  std::string destination;
  std::string source_type;       // native spelling at the source
  std::string destination_type;  // native spelling at the destination (to create, or found)
};

// One column of the source as the plan saw it, to detect drift.
struct ShapeColumn {
  std::string name;
  std::string type;
  bool nullable = true;
};

struct PlannedIndex {
  std::string name;
  std::vector<std::string> columns;  // destination column names
  bool unique = false;
  std::string native_definition;  // same-engine expression or partial index
  // A partition's own index (copier/catalog.hpp TablePartition::indexes): the partition it is
  // built on, at the destination; empty for the table's own.
  TableName partition;

  std::string On() const { return partition.name.empty() ? "" : " on " + DisplayName(partition); }
};

struct PlannedForeignKey {
  std::string name;
  std::vector<std::string> columns;  // destination column names
  TableName references;              // destination table
  std::vector<std::string> referenced_columns;
  std::string on_delete = "NO ACTION";
  std::string on_update = "NO ACTION";
  std::string deferrable;  // ForeignKey::deferrable
  // A key one partition declares (copier/catalog.hpp TablePartition::foreign_keys): the
  // partition it is added to, at the destination; empty for the table's own.
  TableName partition;

  std::string On() const { return partition.name.empty() ? "" : " on " + DisplayName(partition); }
};

struct PlannedUnit {
  std::optional<std::vector<std::string>> lo;
  std::optional<std::vector<std::string>> hi;
  bool null_keys = false;
  bool by_location = false;
};

struct TablePlan {
  TableName source;
  TableName destination;
  bool create = false;  // the destination table does not exist when the plan is made
  WriteMode write_mode = WriteMode::kCreate;
  Strategy strategy = Strategy::kSingle;
  std::string why;
  int partitions = 1;
  std::vector<std::string> split_key;  // source column names the units are cut on
  std::vector<PlannedUnit> units;      // empty, or as many as `partitions`
  std::vector<PlannedColumn> columns;
  std::vector<std::string> primary_key;         // destination column names
  std::vector<PlannedIndex> indexes;            // built after the rows are in
  std::vector<PlannedForeignKey> foreign_keys;  // built after every table is loaded
  std::vector<ShapeColumn> source_shape;
  std::vector<std::string> source_key;  // the source's primary key, part of its shape
  std::string fingerprint;
  // Read from a plan file whose DDL (destination name, columns and types, keys, indexes,
  // foreign keys) differs from what `ferry plan` wrote there: a person edited it, so the tables
  // are made as the file says, not cloned from the source.
  bool ddl_edited = false;
  int64_t estimated_rows = -1;
  int64_t estimated_bytes = -1;
  double estimated_seconds = -1;
};

struct Plan {
  static constexpr int kFormat = 1;
  std::string source;  // connection text without secrets
  std::string destination;
  std::string created_at;  // UTC, ISO 8601
  bool schema_only = false;
  bool data_only = false;
  std::vector<TablePlan> tables;
};

// The fingerprint of a source table's shape (columns, types, nullability, primary key).
std::string ShapeFingerprint(const Table& table);
std::vector<ShapeColumn> ShapeOf(const Table& table);
// How `now` differs from the shape a plan recorded, one sentence per difference; empty when
// it has not drifted.
std::vector<std::string> ShapeDrift(const TablePlan& plan, const Table& now);

// A hash of what a table's DDL is made from in the plan (TablePlan::ddl_edited).
std::string DdlFingerprint(const TablePlan& table);

std::string PlanToJson(const Plan& plan);
// Throws Error(kUsage) naming `file`, the JSON path ("tables[3].units[0].lo") and the problem
// (malformed JSON: its line and column). `edited_by_hand`: a plan file a person may have
// edited, where a field this version does not read is refused, naming it and the field meant.
Plan PlanFromJson(const std::string& text, const std::string& file, bool edited_by_hand = false);

PlannedUnit ToPlannedUnit(const KeyRange& range);

// How plan `given` differs from plan `stored` in what a copy does (tables, destinations, write
// modes, columns and their types, keys, indexes, foreign keys, splits and units; not estimates,
// explanations or timestamps), one line per difference naming the table and the field
// ("public.t: columns[1].destination_type: numeric(12,2) here, numeric(10,2) stored"). Units
// are compared only where `given` lists them.
std::vector<std::string> PlanDifferences(const Plan& stored, const Plan& given);

}  // namespace ferry
