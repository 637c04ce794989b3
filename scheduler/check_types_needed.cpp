#include "scheduler/check_types_needed.hpp"

#include <fmt/format.h>

namespace ferry {

void AddExtensionColumns(const Table& table, const std::string& shown,
                         std::vector<ExtensionColumn>& out) {
  for (const Column& c : table.columns) {
    if (!c.extension.empty()) out.push_back({shown, c});
  }
}

void CheckExtensionsNeeded(Endpoint& destination, const std::vector<ExtensionColumn>& columns,
                           std::vector<Finding>& findings) {
  if (columns.empty()) return;
  std::vector<CloneNeed> needs;
  for (const ExtensionColumn& c : columns) {
    needs.push_back(
        {CloneNeed::Kind::kExtension, c.column.extension, "a column's type comes from it"});
  }
  // Asked once per extension by the destination (UnmetNeeds remembers its answers).
  const std::vector<std::string> unmet = destination.UnmetNeeds(needs);
  for (size_t i = 0; i < columns.size() && i < unmet.size(); ++i) {
    if (unmet[i].empty()) continue;
    const Column& c = columns[i].column;
    findings.push_back(
        {Severity::kBlocker, "type", columns[i].table, c.name,
         fmt::format("column {} is of type {}, which extension {} provides, and the destination "
                     "cannot get it: {}; have it created there first (CREATE EXTENSION {} WITH "
                     "SCHEMA {}), or leave the table out (--exclude {})",
                     c.name, c.type.native, c.extension, unmet[i], c.extension, c.extension_schema,
                     columns[i].table)});
  }
}

}  // namespace ferry
