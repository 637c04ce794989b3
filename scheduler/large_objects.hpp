// PostgreSQL's large objects in a run and in a verification: copied after the tables' data with
// their OIDs, owners and grants, a batch of objects per destination transaction (a killed run
// leaves no object half-written, and the next attempt copies only those not there yet), and
// compared by OID, size and SHA-256. Only where both ends keep large objects
// (Endpoint::OpenLargeObjects) and a table in scope has a column pointing at them (oid or
// contrib lo), the rule by which ferry check names those columns.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/large_objects.hpp"
#include "scheduler/pipeline.hpp"

namespace ferry {

// Whether a table of `scope` has a column that points at the source's large objects (there is
// at least one).
bool PointsAtLargeObjects(Endpoint& source, const std::vector<TableName>& scope);

// Copies the source's large objects the destination lacks; nullopt where either end has none
// to keep. Failures are in the result's error, never thrown.
std::optional<LargeObjectCopy> CopyLargeObjects(Endpoint& source, Endpoint& destination,
                                                const TestHooks& hooks);

// Compares both ends' large objects, listing at most `max_listed` OIDs of each kind; nullopt
// where either end has none to keep.
std::optional<LargeObjectComparison> CompareLargeObjects(Endpoint& source, Endpoint& destination,
                                                         size_t max_listed);

// "3 large objects (2 copied, 1 already there, 5.2 MB)" for a run's summary.
std::string DescribeLargeObjectCopy(const LargeObjectCopy& copy);

}  // namespace ferry
