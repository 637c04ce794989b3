// What SQLite keeps of a table only in its CREATE TABLE text (sqlite_schema.sql): generated
// columns' expressions, columns' collations and CHECK constraints. Internal to drivers/sqlite.
#pragma once

#include <string>
#include <vector>

#include "copier/catalog.hpp"

namespace ferry {

// The expression of generated column `column` in a CREATE TABLE statement: the parenthesised
// text after AS in the column's definition; "" when the definition cannot be found.
std::string GeneratedExpression(const std::string& create, const std::string& column);

// The collation `column` is declared with ("nocase", "rtrim", "binary", lower case), "" when its
// definition names none.
std::string ColumnCollation(const std::string& create, const std::string& column);

// The table's CHECK constraints, column and table ones, in the order written, each with the
// name a CONSTRAINT clause gives it ("" for none).
std::vector<CheckConstraint> CheckConstraints(const std::string& create);

// How the foreign key whose (first) referencing column is `column` is declared to be checked
// (ForeignKey::deferrable): "DEFERRABLE INITIALLY DEFERRED", "DEFERRABLE", or "" (NOT
// DEFERRABLE, or nothing said; also where the key cannot be found).
std::string ForeignKeyDeferrable(const std::string& create, const std::string& column);

}  // namespace ferry
