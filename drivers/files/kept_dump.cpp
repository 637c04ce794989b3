#include "drivers/files/kept_dump.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "drivers/files/kept_schema.hpp"

namespace ferry::staging {

namespace {

// How an older ferry's export listed a column of large-object oids among the other objects.
constexpr const char* kOldLargeObjectKind = "large object";

// What --no-routines leaves out of a kept dump that holds them: functions, procedures, triggers
// and events, and the comments and grants on them (named after what they are on).
void LeaveOutRoutines(SchemaDump& dump) {
  static const char* const kKinds[] = {"FUNCTION", "PROCEDURE",     "AGGREGATE",
                                       "TRIGGER",  "EVENT TRIGGER", "EVENT"};
  auto routine = [](const SchemaObject& o) {
    for (const char* kind : kKinds) {
      if (o.kind == kind) return true;
      if ((o.kind == "COMMENT" || o.kind == "ACL") && o.name.rfind(std::string(kind) + " ", 0) == 0)
        return true;
    }
    return false;
  };
  for (auto* list : {&dump.before_data, &dump.after_data}) {
    list->erase(std::remove_if(list->begin(), list->end(), routine), list->end());
  }
}

}  // namespace

std::optional<SchemaDump> KeptDumpFor(const std::optional<KeptSchema>& kept,
                                      const SchemaRequest& request) {
  if (!kept || !WhyNoKeptDump(kept, request, "").empty()) return std::nullopt;
  SchemaDump dump = kept->dump;
  if (!request.routines) LeaveOutRoutines(dump);
  if (request.routines && !kept->request.routines) {
    dump.not_carried.push_back({"functions, procedures, triggers and events",
                                "the export was made with --no-routines: the staging directory "
                                "holds none of them"});
  }
  // The export keeps the source's DEFINERs (MariaDB's; an older ferry's export only with
  // --keep-definers): the import's --keep-definers decides, as a direct clone's does.
  if (!request.keep_definers) DefinersToCurrentUser(dump);
  if (request.keep_definers && !kept->request.keep_definers) {
    dump.not_carried.push_back({"definers",
                                "views, routines, triggers and events get the destination's "
                                "connecting user as their definer: the export (by an older "
                                "ferry, without --keep-definers) kept none of the source's"});
  }
  return dump;
}

std::string WhyNoKeptDump(const std::optional<KeptSchema>& kept, const SchemaRequest& request,
                          const std::string& display) {
  if (!kept) return "";
  const std::vector<TableName>& dumped = kept->request.tables;
  auto left_out = std::find_if(dumped.begin(), dumped.end(), [&](const TableName& t) {
    return std::find(request.tables.begin(), request.tables.end(), t) == request.tables.end();
  });
  if (left_out == dumped.end()) return "";
  return fmt::format(
      "the import leaves out table {}, and the schema {} keeps is the export's dump of all its "
      "tables, which cannot be cut afterwards (import every table to clone the schema)",
      DisplayName(*left_out), display);
}

std::vector<std::pair<std::string, std::string>> KeptOtherObjects(const KeptSchema& kept,
                                                                  const std::string& schema) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& o : kept.other_objects) {
    if (o[0] == schema && o[1] != kOldLargeObjectKind) out.emplace_back(o[1], o[2]);
  }
  return out;
}

std::vector<std::string> KeptLargeObjectColumns(const KeptSchema& kept, const std::string& schema) {
  std::vector<std::string> out;
  for (const auto& o : kept.other_objects) {
    if (o[0] == schema && o[1] == kOldLargeObjectKind) out.push_back(o[2]);
  }
  return out;
}

}  // namespace ferry::staging
