// `ferry sync` and PostgreSQL's large objects (the oid and lo columns a run carries with the
// objects they point at). A synced row may point at an object made since (lo_import,
// lo_from_bytea), and an object may change in place (lo_put, lowrite) or go (lo_unlink) with no
// row changing, so no change log says so. After its tables a sync makes the destination's objects
// the source's again: both ends' compared by OID, size and SHA-256 (each server hashes its own),
// those missing copied with their owners and grants, those changed written again whole, those
// the source no longer has removed, each in a transaction of its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/plan.hpp"

namespace ferry {

struct LargeObjectSync {
  int64_t source = 0;              // objects at the source
  int64_t copied = 0;              // made at the destination
  int64_t rewritten = 0;           // changed at the source, written again
  int64_t removed = 0;             // gone from the source, removed at the destination
  int64_t bytes = 0;               // written
  std::vector<std::string> notes;  // owners and grantees the destination lacks
  std::string error;               // why it stopped ("" when it did not)
};

// Nothing (nullopt) where no table of `plan` points at large objects or an end keeps none.
// Failures are in the result's error, never thrown.
std::optional<LargeObjectSync> SyncLargeObjects(Endpoint& source, Endpoint& destination,
                                                const Plan& plan);

// "large objects: 3 at the source, 1 copied, 1 written again, 0 removed (12 B)".
std::string DescribeLargeObjectSync(const LargeObjectSync& sync);

}  // namespace ferry
