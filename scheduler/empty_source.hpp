// The ends given the wrong way round: a new, empty database named as the source and the old one
// holding the data as the destination. With --truncate such a copy would empty every table of
// the old database and report success; it is refused before anything is written.
#pragma once

#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/job.hpp"
#include "copier/plan.hpp"

namespace ferry {

struct ReadAndWritten {
  TableName source;
  TableName destination;
  bool emptied = false;  // its write mode empties the destination table first (truncate)
};

// The tables a job's copy reads, each with its destination and whether it is emptied first.
std::vector<ReadAndWritten> TablesReadAndWritten(Endpoint& source, Endpoint& destination,
                                                 const Job& job,
                                                 const std::vector<TableName>& in_scope);
// The same for the tables of a plan.
std::vector<ReadAndWritten> TablesReadAndWritten(const Plan& plan);

// Throws Error(kUsage) when every table the copy reads is empty at the source while a table it
// would empty first holds rows at the destination, naming those tables and --allow-empty-source.
// Asks each source table for one row, stopping at the first that has one. `option` is what
// would empty them (--truncate; verify's --repair, which deletes rows the source lacks).
void RefuseEmptySourceOverRows(Endpoint& source, Endpoint& destination,
                               const std::vector<ReadAndWritten>& tables,
                               const std::string& option = "--truncate");

}  // namespace ferry
