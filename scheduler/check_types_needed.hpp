// `ferry check`: what the types of the columns of tables ferry creates with its own DDL need at
// a destination of the source's engine (PostgreSQL's extensions: contrib lo, citext, hstore...),
// and which types another engine gets as their text form, said before the run, so a run never
// fails on a type that check passed and no column changes kind unannounced.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/endpoint.hpp"
#include "scheduler/checking.hpp"

namespace ferry {

// A column of a table the run would create, whose type an extension provides.
struct ExtensionColumn {
  std::string table;  // as shown
  Column column;
};

// The columns of `table` whose type an extension provides, where ferry creates the table with
// its own DDL at a destination of the source's engine (the run creates the extension first:
// CopyRun::CarryTypes).
void AddExtensionColumns(const Table& table, const std::string& shown,
                         std::vector<ExtensionColumn>& out);

// A blocker for each column whose extension the destination user cannot create (not installed
// there, not available on the server, not trusted, no CREATE on the database), naming table,
// column, type, extension and what to do.
void CheckExtensionsNeeded(Endpoint& destination, const std::vector<ExtensionColumn>& columns,
                           std::vector<Finding>& findings);

// The rules of the notes below, each said once for every column it meets.
extern const char* const kTextFormRule;
// For a Column::case_insensitive column of `table` into another engine: its finding's kind and
// rule (CaseInsensitiveKeyMadeExact's columns have their own).
std::pair<const char*, const char*> CaseInsensitiveNote(const Table& table, const Column& column,
                                                        const EngineTraits& to);

extern const char* const kSpatialBytesRule;

// For a spatial column that the destination holds as bytes (EWKB), what it becomes, e.g.
// "point as bytea"; "" for any other column.
std::string SpatialBytesNote(const ColumnType& source, const ColumnType& destination);

// For a column whose type the destination does not have and that goes there as its exact text
// (ColumnType::text_form), what it becomes, e.g. "text[] as longtext" (with what a DBA may need
// to redo there for full-text vectors); "" for any other column.
std::string TextFormNote(const ColumnType& source, const ColumnType& destination);

}  // namespace ferry
