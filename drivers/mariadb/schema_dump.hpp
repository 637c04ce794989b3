// The schema of a MariaDB database as the server itself writes it: SHOW CREATE for every
// sequence, table, view, routine, trigger and event (what mariadb-dump prints, read on ferry's
// own connection, one object at a time, with each object's stored sql_mode and character set),
// for a MariaDB -> MariaDB clone. Tables are created before the data with their primary key,
// checks, generated columns, defaults and AUTO_INCREMENT start; their other indexes and foreign
// keys, then routines, views, triggers and events, after it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "copier/schema_clone.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry::mariadb {

// Statements of one object's `sql` are separated by this line (several SETs and a CREATE).
inline constexpr const char* kStatementSeparator = "\n;;\n";

// One SHOW CREATE TABLE text cut in two: the CREATE TABLE without secondary indexes and
// foreign keys (an index that makes the AUTO_INCREMENT column a key stays), and what comes back
// after the data: "ALTER TABLE t ADD ..." for the indexes (FULLTEXT ones one at a time, as
// InnoDB builds them) and for the foreign keys.
struct SplitTable {
  std::string create;
  std::vector<std::string> indexes;
  std::vector<std::string> foreign_keys;
};
SplitTable SplitCreateTable(const std::string& create, const std::string& quoted_table);

// SHOW CREATE TABLE leaves out a spatial column's REF_SYSTEM_ID (MariaDB 10.11), which
// information_schema.geometry_columns holds: `create` with " REF_SYSTEM_ID=n" after the type of
// each column `srids` names (column, SRID).
std::string WithSrids(const std::string& create,
                      const std::vector<std::pair<std::string, std::string>>& srids);

// Reads the schema of `request` (all its tables in one database) on `session`, a connection
// whose default database is that database.
SchemaDump DumpSchema(SqlSession& session, const SchemaRequest& request);

}  // namespace ferry::mariadb
