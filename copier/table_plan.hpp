// Decides how one table is copied before any row moves: where it lands, with which column
// types, which source column feeds which destination column, and whether the destination
// must be created. A destination that exists with a shape the source cannot fill is refused
// here, so bad input fails before anything is written.
#pragma once

#include <optional>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/endpoint.hpp"
#include "copier/plan.hpp"

namespace ferry {

struct TableCopyPlan {
  Table source;
  Table destination;  // as it exists, or as it will be created (types mapped)
  bool create = false;
  std::vector<int> source_columns;       // batch order
  std::vector<int> destination_columns;  // same order
  std::vector<int> key_positions;        // batch positions of the source's row key
};

// Which source column goes to which destination column; `destination_type`, when set, is the
// native type to create the column with instead of the mapped one (an edited plan); `map_as`,
// when set, the source-shaped type to map instead of the column's own (a foreign key's columns
// made one type: UnifyForeignKeyTypes).
struct ColumnChoice {
  int source = 0;
  std::string destination;
  std::string destination_type;
  std::optional<ColumnType> map_as;
};

// Pairs `columns` of `source` with the table `destination_name` at `destination`: describes
// it, or maps the types it will be created with. `primary_key` names destination columns for a
// table to create. Throws Error(kSchema) naming table and column for shapes that cannot work.
TableCopyPlan PlanTableCopy(const Table& source, Engine source_engine, Endpoint& destination,
                            const TableName& destination_name,
                            const std::vector<ColumnChoice>& columns,
                            const std::vector<std::string>& primary_key);

// The CHECK constraints ferry gives the table `plan` makes (PlanTableCopy's for a table to
// create), for `plan` of a table ferry created that exists now: a run that stopped before the
// checks were added (or, PostgreSQL, validated) left the table without them, and its description
// holds only those in place (PostgreSQL: validated), so a resume went on without the rest.
std::vector<CheckConstraint> CreatedTableChecks(const TableCopyPlan& plan, Engine source_engine,
                                                Endpoint& destination);

// Between two databases of one engine that holds any value in any column whatever its declared
// type (SQLite: `from` and `to` say so, a staging directory does not), each column declared alike
// at both ends carries every value with its own type (TypeKind::kAny): text '1' stays text, an
// integer in a DATETIME column stays an integer, as the engine's own dump would bring them; key
// columns too (text in a BLOB key stays text), the rowid aside, which holds only integers. Their
// units, key ranges and sync's keys are still cut and written by the declared type (the engine's
// dialect reads a kAny key's bounds as that type's text). Between two databases of any one
// engine, a boolean its catalog gives an integer width (MariaDB's tinyint(1)) is that integer.
void KeepValueTypes(TableCopyPlan& plan, const EndpointInfo& from, const EndpointInfo& to);

// A table ferry made, read back from an engine that keeps no case-insensitivity on the column
// (PostgreSQL): each column fed by one the source compares ignoring case gets the flag again, so
// the unique keys and indexes built after the data get the same exclusion as the primary key.
void KeepCaseInsensitivity(TableCopyPlan& plan);

// Whether `column` of `source`, compared ignoring the case of ASCII letters only (SQLite
// NOCASE), is part of a key (primary, unique or foreign) at a destination whose case-insensitive
// collations fold more (EngineTraits::case_insensitive_folds_beyond_ascii): such a key could
// refuse values the source holds apart (É and é), so the column is made with the destination's
// exact collation and ferry check says so.
bool CaseInsensitiveKeyMadeExact(const Table& source, int column, const EngineTraits& to);

// Two ends of one engine that pass its binary COPY stream through (PostgreSQL), with the same
// column types in the same order: the stream can go as it is, no decoding, no conversion.
bool PassesThrough(const TableCopyPlan& plan, const EndpointInfo& from, const EndpointInfo& to);

// Every column under its own name, the key as the source's: the plan of a plain copy.
std::vector<ColumnChoice> AllColumns(const Table& source);
std::vector<std::string> ColumnNames(const Table& table, const std::vector<int>& columns);
// The indexes a table ferry creates gets after its rows, its columns named as `columns` (every
// source column's choice) names them: the source's (those only its engine can read, expression
// and partial ones, between databases of one engine only), then the partitions' own where
// `copy` makes the table partitioned.
std::vector<PlannedIndex> PlanIndexes(const Table& source, const TableCopyPlan& copy,
                                      const std::vector<ColumnChoice>& columns, bool same_engine);

// The pairing of batch columns for a converter built from a plan.
std::vector<struct ColumnPairing> PairColumns(const TableCopyPlan& plan);

// What is said of two tables whose destinations are one table at `to` ("" when they are not):
// equal names, or names equal but for case where `to` compares them ignoring case (`*blocks`:
// `to` cannot hold both), or where case folding is a server setting (a warning: another server
// of the engine would refuse them).
std::string TableCollision(const TableName& first_source, const TableName& first_dest,
                           const TableName& second_source, const TableName& second_dest,
                           const EndpointInfo& to, bool* blocks);

}  // namespace ferry
