#include "scheduler/empty_source.hpp"

#include <fmt/format.h>

#include "copier/error.hpp"
#include "scheduler/planning.hpp"

namespace ferry {

std::vector<ReadAndWritten> TablesReadAndWritten(Endpoint& source, Endpoint& destination,
                                                 const Job& job,
                                                 const std::vector<TableName>& in_scope) {
  std::vector<ReadAndWritten> out;
  const std::string& schema = source.info().default_schema;
  for (const TableName& name : in_scope) {
    const TableOverride over = job.OverrideFor(name, schema);
    if (over.strategy == Strategy::kSkip) continue;
    const WriteMode mode = over.write_mode.value_or(job.write_mode);
    out.push_back(
        {name, DestinationOf(name, source, destination, job), mode == WriteMode::kTruncate});
  }
  return out;
}

std::vector<ReadAndWritten> TablesReadAndWritten(const Plan& plan) {
  std::vector<ReadAndWritten> out;
  for (const TablePlan& t : plan.tables) {
    if (t.strategy == Strategy::kSkip) continue;
    out.push_back({t.source, t.destination, t.write_mode == WriteMode::kTruncate});
  }
  return out;
}

void RefuseEmptySourceOverRows(Endpoint& source, Endpoint& destination,
                               const std::vector<ReadAndWritten>& tables,
                               const std::string& option) {
  bool emptied = false;
  for (const ReadAndWritten& t : tables) emptied = emptied || t.emptied;
  if (!emptied) return;
  for (const ReadAndWritten& t : tables) {
    if (source.HasRows(t.source)) return;
  }
  std::vector<std::string> holding;
  for (const ReadAndWritten& t : tables) {
    if (!t.emptied) continue;
    try {
      if (destination.HasRows(t.destination)) holding.push_back(DisplayName(t.destination));
    } catch (const Error&) {
      // Not there yet: the copy would create it, nothing to lose.
    }
  }
  if (holding.empty()) return;
  std::string list;
  for (size_t i = 0; i < holding.size() && i < 5; ++i) list += (i ? ", " : "") + holding[i];
  if (holding.size() > 5) list += fmt::format(" and {} more", holding.size() - 5);
  throw Error(ErrorCode::kUsage,
              fmt::format("every table the copy reads is empty at the source ({}), and "
                          "{} would empty {} destination table{} that hold{} rows ({}): "
                          "are --source and --dest the wrong way round? Nothing was written; "
                          "pass --allow-empty-source to empty them anyway",
                          source.info().display, option, holding.size(),
                          holding.size() == 1 ? "" : "s", holding.size() == 1 ? "s" : "", list));
}

}  // namespace ferry
