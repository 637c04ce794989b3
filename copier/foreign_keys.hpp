// Foreign keys from an engine's catalog. Every catalog lists a foreign key as one row per
// column, ordered by constraint and position; grouping those rows into ForeignKey values is the
// same for every engine, so it is done here once and each driver only reads its rows.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/endpoint.hpp"

namespace ferry {

// One column of a foreign key as a catalog lists it.
struct ForeignKeyColumnRow {
  std::string constraint;
  std::string column;  // the referencing column, as the table names it
  TableName references;
  std::string referenced_column;
  std::string on_delete = "NO ACTION";  // SQL spelling: NO ACTION, RESTRICT, CASCADE, SET NULL...
  std::string on_update = "NO ACTION";
  std::string deferrable;  // ForeignKey::deferrable
};

// Groups each run of rows of one constraint into a foreign key of `table` and appends it to
// table.foreign_keys (a constraint's first row gives its referenced table and actions). A key
// naming a column `table` does not have is left out: ferry could not create it as it is.
void AddForeignKeys(Table& table, const std::vector<ForeignKeyColumnRow>& rows);

// Source columns (table, column) and the source-shaped type each is to be mapped as instead of
// its own, so that a foreign key's columns and the columns they reference get one type at the
// destination.
using KeyColumnTypes = std::map<std::pair<TableName, std::string>, ColumnType>;

// Where the destination wants one type on both sides of a foreign key (MariaDB), the columns
// that keys join (across any chain of keys among `tables`) get one type that holds every
// value of each: integers the widest width (signed when any is signed, then wide enough for the
// unsigned ones), text longer than the destination indexes its longest indexable length.
// Only for copies across engines: within one engine the source's keys already hold. Columns
// whose types cannot be joined (an integer and a text) are left alone, and
// ForeignKeyTypeProblem says why their key is not created.
KeyColumnTypes UnifyForeignKeyTypes(const std::vector<Table>& tables,
                                    const EngineTraits& destination);

// Why the destination refuses a foreign key from `referencing` to `referenced` (columns in key
// order, as the destination has or will create them), naming both columns and types; "" when
// it does not.
std::string ForeignKeyTypeProblem(const std::vector<const Column*>& referencing,
                                  const std::vector<const Column*>& referenced,
                                  const EngineTraits& destination);

// Puts the column pairs of `fk` in the order of the key of `referenced` they reference, where
// that is a primary key or unique index of the same columns in another order: PostgreSQL and
// SQLite match a key's columns in any order, MariaDB only an index starting with them in
// theirs. The pairs mean the same in either order.
void FollowReferencedKeyOrder(ForeignKey& fk, const Table& referenced);

}  // namespace ferry
