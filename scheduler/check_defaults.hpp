// ferry check: the column defaults, ON UPDATE clauses, CHECK constraints and comments a copy to
// another engine does not carry (copier/defaults.hpp says what does), each with the reason.
#pragma once

#include <string>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/endpoint.hpp"
#include "copier/table_plan.hpp"
#include "scheduler/grouped_warnings.hpp"

namespace ferry {

// One thing not carried, for check's grouped warnings: one finding per kind and rule.
struct NotCarried {
  std::string kind, rule, column, detail;
  std::string noun;  // what the group's items are ("": columns)
};

// What creating `copy.destination` (a table of engine `to` made from `source`, of engine
// `from`) leaves out of the source's defaults, checks and comments.
std::vector<NotCarried> DefaultsAndChecksNotCarried(const Table& source, const TableCopyPlan& copy,
                                                    const EndpointInfo& from,
                                                    const EndpointInfo& to);

// A partitioned table made from ferry's model between databases of one engine that the copy
// makes one plain table (a column renamed, left out or moved): said, naming the table.
void NotePartitionsDropped(const Table& source, const TableCopyPlan& copy, const std::string& shown,
                           GroupedWarnings& grouped);

}  // namespace ferry
