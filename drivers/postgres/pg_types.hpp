// What the columns of tables ferry makes with its own DDL need that the source database defines
// itself (domains with their defaults and checks, enums in label order, composite and range
// types, the functions their checks, defaults and ranges call, the extensions that provide
// types), read from PostgreSQL's catalog rather than from pg_dump, so --schema-from ferry needs
// no client tool; each statement comes after what it needs.
#pragma once

#include <string>
#include <vector>

#include "copier/schema_clone.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry::pg {

// The statements that make, at another PostgreSQL database, what the columns of `tables` need,
// read on `session`, whose search_path must be empty (every name comes out qualified). Each
// object's `used_by` names the tables that need it. What cannot be made from the catalog (a base
// type or function written in C, the row type of a table) is an object that only checks that
// the destination has it, failing with a message that says so.
SchemaDump ColumnTypes(SqlSession& session, const std::vector<TableName>& tables);

// The statement that makes extension `name` in `schema` where the destination lacks it
// (creating the schema first where it is missing), with what it needs (CASCADE).
std::string CreateExtensionSql(const std::string& name, const std::string& schema);

}  // namespace ferry::pg
