// What a PostgreSQL schema clone asks of the destination's user beyond owning the database. A
// DBA's destination user is very often the new database's owner and not a superuser (cloud
// PostgreSQL never gives superuser): event triggers, untrusted extensions, functions in untrusted
// languages, grants to roles that do not exist there, foreign tables on servers that do not
// exist there cannot be made by it. The source side marks each object of the dump with what it
// needs (and what depends on it with the same need); the destination side says which needs it
// cannot meet, and SchemaClone::Prepare decides (scheduler/schema_clone.cpp).
#pragma once

#include <string>
#include <vector>

#include "copier/schema_clone.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry::pg {

// A PostgreSQL text array literal of `items` (each quoted, \ before " and \), for a catalog
// query's parameter.
std::string ArrayLiteral(const std::vector<std::string>& items);

// A grant entry of pg_dump (ACL, DEFAULT ACL) cut into one object per statement (a
// SET SESSION AUTHORIZATION ... RESET group is one), each needing its grantee role, so a grant
// to a role the destination lacks is left out alone.
std::vector<SchemaObject> SplitGrants(const SchemaObject& acl);

// Marks the dump's objects of `schemas` with what creating them needs (event triggers,
// extensions, functions in untrusted languages, foreign tables), and every object that depends
// on an extension's objects or on such a function (a column of an extension's type, an index
// with its operator class, a trigger or default calling the function) with the same need.
void MarkNeeds(SqlSession& catalog, const std::vector<std::string>& schemas, SchemaDump& dump);

// The database's objects pg_dump -n does not dump that concern the clone: publications of the
// tables in scope (or of all tables), subscriptions, user-defined casts.
std::vector<CloneNote> NotDumped(SqlSession& catalog, const std::vector<TableName>& tables);

// The query of Endpoint::OtherObjects (what a schema holds besides tables, each ? the schema):
// views, sequences, routines, triggers, types, rules, row security policies, event triggers
// (with the schema of their function) and identity columns that count down or cycle.
const std::string& OtherObjectsQuery();
// The query of Endpoint::LargeObjectColumns (? the schema): "schema.table.column" of the columns
// of type oid or lo, where the database holds large objects.
const std::string& LargeObjectColumnsQuery();

// Endpoint::UnmetNeeds for a PostgreSQL destination.
std::vector<std::string> UnmetNeeds(SqlSession& catalog, const std::vector<CloneNeed>& needs);

}  // namespace ferry::pg
