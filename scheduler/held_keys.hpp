// The destination's foreign keys set aside while a run loads existing tables
// (copier/held_foreign_key.hpp): what a run that died left dropped is put back by the next
// `ferry run` (resumed or not) and `ferry reset`, whichever comes first. The run's own setting
// aside and adding back are phases of the copy run (copy_held_keys.cpp).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/run_state.hpp"
#include "scheduler/checking.hpp"

namespace ferry {

// Adds back every key recorded as dropped by a run other than `keep_run` (the run being
// resumed keeps its keys aside until its own data is in), and forgets records of keys added
// back NOT VALID that are valid again or gone. Call while holding the destination's lock, after
// dead runs were marked. Each key put back, or left NOT VALID, is said through `note`; a key
// that cannot be added back stays recorded and is said too.
void PutBackHeldKeys(RunStore& store, Endpoint& destination, const std::string& keep_run,
                     const std::function<void(const std::string&)>& note);

// For `ferry reset`: the keys on `tables` recorded (under run "reset") and dropped, so the
// tables can be emptied; PutBackHeldKeys adds them back. Throws Error(kSchema) naming the table
// and its owner, before dropping any, where ferry's user may not alter a table.
void SetKeysAsideForReset(RunStore& store, Endpoint& destination,
                          const std::vector<TableName>& tables);

// Error(kSchema) when ferry's user may not drop `key` and add it back: naming the table and
// its owner, or the privilege missing.
void RefuseUnlessAlterable(const HeldForeignKey& key);

// For `ferry check` (check_held_keys.cpp): the keys a run loading the existing tables `loaded`
// (`truncated`: those write mode truncate empties) sets aside, as one grouped warning; a
// blocker for each that ferry's user may not drop and add back; a warning for each key of a
// table outside the scope, holding rows, that references a table the run empties.
void CheckHeldKeys(Endpoint& destination, const std::vector<TableName>& loaded,
                   const std::vector<TableName>& truncated, std::vector<Finding>& findings);

// How adding a set-aside key back went.
enum class KeyBack {
  kValid,     // back as it was; its record removed
  kNotValid,  // rows violate it: back NOT VALID, recorded so a later load adds it back valid
  kDropped,   // it could not be added back (a lock, a lost connection): still dropped, recorded
};

// Adds `key` back at `destination` and records how in `store` (none: a run that records
// nothing). `*error` receives the error's message unless it went back valid.
KeyBack RestoreHeldKey(RunStore* store, Endpoint& destination, const HeldForeignKey& key,
                       std::string* error);

// What is said of a key still dropped after `error`, and what adds it back.
std::string StillDroppedNote(const HeldForeignKey& key, const std::string& error);

// "public.PlaylistTrack.PlaylistTrack_TrackId_fkey -> public.Track" for lists of keys.
std::string DescribeHeldKey(const HeldForeignKey& key);

}  // namespace ferry
