// The tables in scope described ahead at both ends while they are planned (planning.hpp).
#include "copier/error.hpp"
#include "scheduler/planning.hpp"

namespace ferry {

PlanningDescriptions::PlanningDescriptions(Endpoint& source, Endpoint& destination, const Job& job,
                                           const std::vector<TableName>& names)
    : source_(source), destination_(destination), at_source_(names) {
  for (const TableName& name : names) {
    try {
      at_destination_.push_back(DestinationOf(name, source, destination, job));
    } catch (const Error&) {
      // planning names the problem with the table
    }
  }
  source_.DescribeAhead(at_source_);
  destination_.DescribeAhead(at_destination_);
}

PlanningDescriptions::~PlanningDescriptions() {
  source_.ForgetDescriptions(at_source_);
  destination_.ForgetDescriptions(at_destination_);
}

}  // namespace ferry
