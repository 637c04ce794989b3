// A foreign key of an existing destination table that a load sets aside: PostgreSQL enforces
// foreign keys on ferry's sessions (its user is rarely a superuser, so neither
// session_replication_role nor DISABLE TRIGGER ALL is open to it), and units of several tables
// load in parallel, children before their parents; TRUNCATE refuses a referenced table. So the
// keys touching the tables a run loads are recorded in the run state, dropped, and added back
// after the data with their own names and definitions (scheduler/held_keys.hpp).
#pragma once

#include <string>

#include "copier/catalog.hpp"

namespace ferry {

struct HeldForeignKey {
  TableName table;  // the table that holds (declares) the key
  std::string name;
  // As the server declares it, names qualified ("FOREIGN KEY (a) REFERENCES s.t(b) ON DELETE
  // CASCADE DEFERRABLE"), without NOT VALID: `validated` says that.
  std::string definition;
  TableName references;
  bool validated = true;
  // Who may alter the table: its owner role, and whether ferry's user owns it (or is a member
  // of the owner role), which ALTER TABLE needs; and whether it may reference the referenced
  // table again (the REFERENCES privilege). Read from the catalog, not kept in the run state.
  std::string owner;
  bool owned = true;
  bool may_reference = true;
  // In the run state: the run that set it aside, and whether it is "dropped", or back but
  // "not valid" because rows violated it when the run added it back.
  std::string run;
  std::string state = "dropped";

  bool SameKey(const HeldForeignKey& other) const {
    return table == other.table && name == other.name;
  }
};

}  // namespace ferry
