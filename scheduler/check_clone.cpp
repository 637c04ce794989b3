#include "scheduler/check_clone.hpp"

#include <fmt/format.h>

#include <memory>

#include "copier/error.hpp"
#include "scheduler/grouped_warnings.hpp"
#include "scheduler/schema_clone.hpp"

namespace ferry {

bool CheckClone(Endpoint& source, Endpoint& destination, const Plan& clone_plan,
                const std::vector<bool>& clone_copied, const CheckOptions& options,
                std::string* why_not_cloned, CheckReport& report, GroupedWarnings& grouped) {
  const bool exports = destination.KeepsSchema();
  if ((!exports && source.info().engine != destination.info().engine) ||
      clone_plan.tables.empty()) {
    return false;
  }
  try {
    if (exports) {  // an export keeps the source's schema dump for its import: read as the run does
      SchemaClone::ReadForExport(source, destination, clone_plan, clone_copied, options.clone);
      return false;
    }
    std::unique_ptr<SchemaClone> clone = SchemaClone::Prepare(
        source, destination, clone_plan, clone_copied, options.clone, why_not_cloned);
    if (!clone) return false;
    clone->RefuseObstacles(destination);  // what the run would refuse, or fail after the data
    for (const SchemaClone::ViewLeftOut& v : clone->views_left_out()) {
      grouped.Add("view out of scope",
                  "views that read a table or view outside the copy's scope are not created "
                  "(the run summary lists them too)",
                  DisplayName(v.view), "",
                  fmt::format("{} reading {}", v.kind, DisplayName(v.reads)), "views");
    }
    for (const SchemaClone::Note& n : clone->notes()) {
      grouped.Add(n.kind, n.rule, n.object, "", n.detail, "objects");
    }
    return true;
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kBusy) throw;
    report.findings.push_back({Severity::kBlocker, "schema", "", "", e.message()});
    return false;
  }
}

}  // namespace ferry
