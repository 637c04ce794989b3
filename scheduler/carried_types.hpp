// The types the tables ferry makes with its own DDL need at a destination of the source's engine
// (Endpoint::ColumnTypes: PostgreSQL's domains, enums, composite and range types, the functions
// they call, the extensions that provide types), made before the tables in one transaction, so a
// failure leaves nothing made. ferry check makes them the same way and rolls them back: what
// check passes, the run can make.
#pragma once

#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/error.hpp"
#include "scheduler/checking.hpp"

namespace ferry {

struct TypeFailure {
  SchemaObject object;
  Error error;
};

// Runs `types` on one destination session in one transaction, each object under a savepoint
// where the session has them: one the destination has already is passed over. `keep`: commit,
// and stop at the first failure (rolling everything back); else roll back at the end and go on
// past each failure (check's trial). Returns the objects that failed.
std::vector<TypeFailure> MakeTypes(Endpoint& destination, const SchemaDump& types, bool keep);

// The error a run stops with, before any table is made, when `failure`'s object cannot be made.
Error TypeError(const TypeFailure& failure);

// ferry check, for the tables `created` that ferry would make with its own DDL: a blocker for
// each table whose columns need a type, function or extension the destination cannot make (or
// the source's catalog cannot say), naming the object and what to do.
void CheckCarriedTypes(Endpoint& source, Endpoint& destination,
                       const std::vector<TableName>& created, std::vector<Finding>& findings);

}  // namespace ferry
