// Foreign keys from an engine's catalog. Every catalog lists a foreign key as one row per
// column, ordered by constraint and position; grouping those rows into ForeignKey values is the
// same for every engine, so it is done here once and each driver only reads its rows.
#pragma once

#include <string>
#include <vector>

#include "copier/catalog.hpp"

namespace ferry {

// One column of a foreign key as a catalog lists it.
struct ForeignKeyColumnRow {
  std::string constraint;
  std::string column;  // the referencing column, as the table names it
  TableName references;
  std::string referenced_column;
  std::string on_delete = "NO ACTION";  // SQL spelling: NO ACTION, RESTRICT, CASCADE, SET NULL...
  std::string on_update = "NO ACTION";
};

// Groups each run of rows of one constraint into a foreign key of `table` and appends it to
// table.foreign_keys (a constraint's first row gives its referenced table and actions). A key
// naming a column `table` does not have is left out: ferry could not create it as it is.
void AddForeignKeys(Table& table, const std::vector<ForeignKeyColumnRow>& rows);

}  // namespace ferry
