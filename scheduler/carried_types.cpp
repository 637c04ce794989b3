#include "scheduler/carried_types.hpp"

#include <fmt/format.h>

#include <cctype>

namespace ferry {

namespace {

// duplicate_object, duplicate_function: the destination has it (a resumed run, an administrator
// made it first).
bool ThereAlready(const Error& e) {
  return e.sqlstate() == "42710" || e.sqlstate() == "42723";
}

std::string Tables(const std::vector<TableName>& tables) {
  std::string out;
  for (const TableName& t : tables) out += (out.empty() ? "" : ", ") + DisplayName(t);
  return out;
}

std::string Described(const SchemaObject& o) {
  std::string kind = o.kind;
  for (char& c : kind) c = char(std::tolower(static_cast<unsigned char>(c)));
  return kind + " " + o.name;
}

}  // namespace

std::vector<TypeFailure> MakeTypes(Endpoint& destination, const SchemaDump& types, bool keep) {
  std::vector<TypeFailure> failures;
  std::unique_ptr<SchemaSession> session = destination.OpenSchemaSession(types);
  const bool savepoints = session->Savepoints();
  session->Begin();
  try {
    for (const SchemaObject& o : types.before_data) {
      if (savepoints) session->Run("SAVEPOINT ferry_type");
      try {
        session->Run(o.sql);
        if (savepoints) session->Run("RELEASE SAVEPOINT ferry_type");
      } catch (const Error& e) {
        if (savepoints) session->Run("ROLLBACK TO SAVEPOINT ferry_type");
        if (ThereAlready(e)) continue;
        failures.push_back({o, e});
        if (keep) break;
      }
    }
  } catch (...) {
    session->Rollback();
    throw;
  }
  if (keep && failures.empty()) {
    session->Commit();
  } else {
    session->Rollback();
  }
  return failures;
}

Error TypeError(const TypeFailure& failure) {
  const SchemaObject& o = failure.object;
  return Error(ErrorCode::kSchema,
               fmt::format("{} cannot be made at the destination, and {} need{} it: {}; nothing "
                           "was made (ferry check names what to do)",
                           Described(o), Tables(o.used_by), o.used_by.size() == 1 ? "s" : "",
                           failure.error.message()),
               ErrorContext{o.used_by.empty() ? "" : DisplayName(o.used_by[0]), "", "", ""},
               failure.error.diagnostics());
}

void CheckCarriedTypes(Endpoint& source, Endpoint& destination,
                       const std::vector<TableName>& created, std::vector<Finding>& findings) {
  if (created.empty() || destination.KeepsSourcePosition() ||
      source.info().engine != destination.info().engine) {
    return;
  }
  std::optional<SchemaDump> types;
  try {
    types = source.ColumnTypes(created);
  } catch (const Error& e) {
    findings.push_back({Severity::kBlocker, "type", "", "",
                        "the types the tables' columns use cannot be read from the source's "
                        "catalog: " +
                            e.message()});
    return;
  }
  if (!types) return;
  std::vector<TypeFailure> failures;
  try {
    failures = MakeTypes(destination, *types, false);
  } catch (const Error& e) {
    findings.push_back({Severity::kBlocker, "type", "", "",
                        "the types the tables' columns use could not be tried at the "
                        "destination: " +
                            e.message()});
    return;
  }
  for (const TypeFailure& f : failures) {
    for (const TableName& t : f.object.used_by) {
      findings.push_back(
          {Severity::kBlocker, "type", DisplayName(t), "",
           fmt::format("its columns need {}, which ferry makes at the destination before the "
                       "tables, and making it there fails: {}; have it made there first, or "
                       "leave the table out (--exclude {})",
                       Described(f.object), f.error.message(), DisplayName(t))});
    }
  }
}

}  // namespace ferry
