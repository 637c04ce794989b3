// A SQLite schema clone: the objects sqlite_schema keeps, replayed as they were written, and the
// session that creates them at the destination.
#pragma once

#include <memory>

#include "copier/schema_clone.hpp"
#include "drivers/sql/dialect.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry {

// SQLite's schema is its own text: sqlite_schema keeps every table, index, view and trigger as
// the CREATE statement that made it. Tables come before the data; indexes, then views and
// triggers, after it.
SchemaDump DumpSqliteSchema(SqlSession& catalog, const Dialect& dialect,
                            const SchemaRequest& request);

// Creates cloned objects on `session`, a connection of its own.
std::unique_ptr<SchemaSession> MakeSqliteSchemaSession(std::unique_ptr<SqlSession> session);

}  // namespace ferry
