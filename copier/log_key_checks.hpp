// What a change log's tracker can say about when a table's keys are checked, which tells the sync
// whether a key whose last logged entry is a delete may still hold a row. Apart from
// ChangeTracker so the interface every endpoint includes stays as it is; a tracker that does not
// implement it is taken to allow such keys (the sync then reads them again, as it always did).
#pragma once

#include "copier/catalog.hpp"

namespace ferry {

class LogKeyChecks {
 public:
  virtual ~LogKeyChecks() = default;
  // True where `table`'s key may be checked at commit (a DEFERRABLE primary or unique key): one
  // statement can then swap two rows' keys and log, per row, a delete of the old key after the
  // insert of the row that took it. Where keys are checked at each row, a key's entries
  // alternate between the rows that hold it (an insert only after the delete of the row before),
  // so a delete last means no row.
  virtual bool KeysMayRepeat(const Table& table) = 0;
};

}  // namespace ferry
