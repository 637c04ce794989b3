#include "copier/endpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "copier/change_tracking.hpp"
#include "copier/error.hpp"

namespace ferry {

const char* EngineName(Engine engine) {
  switch (engine) {
    case Engine::kPostgres:
      return "postgresql";
    case Engine::kMariaDB:
      return "mariadb";
    case Engine::kSQLite:
      return "sqlite";
    case Engine::kSqlServer:
      return "sqlserver";
    case Engine::kOther:
      return "other";
    case Engine::kFiles:
      return "staging directory";
  }
  return "other";
}

const char* PrivilegeName(Privilege privilege) {
  switch (privilege) {
    case Privilege::kSelect:
      return "SELECT";
    case Privilege::kInsert:
      return "INSERT";
    case Privilege::kTruncate:
      return "TRUNCATE";
    case Privilege::kCreate:
      return "CREATE";
  }
  return "?";
}

bool SameDatabase(const EndpointInfo& a, const EndpointInfo& b) {
  return !a.database_identity.empty() && a.database_identity == b.database_identity;
}

void RefuseSelfCopy(const EndpointInfo& source, const EndpointInfo& destination,
                    const std::vector<std::pair<TableName, TableName>>& tables) {
  if (!SameDatabase(source, destination)) return;
  auto folded = [&](const TableName& t) {
    TableName out = t;
    if (destination.table_names_fold_case) {
      for (std::string* part : {&out.schema, &out.name}) {
        std::transform(part->begin(), part->end(), part->begin(),
                       [](unsigned char c) { return char(std::tolower(c)); });
      }
    }
    return out;
  };
  std::vector<TableName> read;
  for (const auto& [from, to] : tables) read.push_back(folded(from));
  for (const auto& [from, to] : tables) {
    if (std::find(read.begin(), read.end(), folded(to)) == read.end()) continue;
    throw Error(ErrorCode::kUsage,
                fmt::format("the source and the destination are the same database ({}; "
                            "connected as {} and as {}), so table {} would be read and written "
                            "by the same copy (with --truncate it would be emptied before it is "
                            "read); point --dest at another database, or rename the "
                            "destination tables in a job file",
                            destination.database_identity, source.display, destination.display,
                            DisplayName(to)),
                ErrorContext{DisplayName(from), "", "", ""});
  }
}

ServerDigest ReadSession::Digest(const DigestRequest&) {
  throw Error(ErrorCode::kInternal, "this endpoint cannot hash rows in the server");
}

}  // namespace ferry

namespace ferry {

std::unique_ptr<ChangeTracker> Endpoint::OpenChangeTracker() {
  throw Error(ErrorCode::kUsage, info().display + ": change tracking is not available for " +
                                     EngineName(info().engine));
}

std::unique_ptr<SyncStateStore> Endpoint::OpenSyncState(const std::string&) {
  throw Error(ErrorCode::kUsage,
              info().display + ": sync state cannot be kept in " + EngineName(info().engine));
}

}  // namespace ferry

namespace ferry {

std::unique_ptr<SchemaSession> Endpoint::OpenSchemaSession(const SchemaDump&) {
  throw Error(ErrorCode::kInternal, info().display + ": cannot create cloned schema objects in " +
                                        EngineName(info().engine));
}

void Endpoint::CreateSequence(const SequenceState& state) {
  throw Error(ErrorCode::kSchema, info().display + ": " + EngineName(info().engine) +
                                      " has no sequences to hold " + DisplayName(state.name));
}

void Endpoint::DropSequence(const TableName& name) {
  throw Error(ErrorCode::kInternal, info().display + ": " + EngineName(info().engine) +
                                        " has no sequence " + DisplayName(name));
}

void Endpoint::SetSequence(const SequenceState& state) {
  throw Error(ErrorCode::kInternal, info().display + ": " + EngineName(info().engine) +
                                        " has no sequence " + DisplayName(state.name));
}

}  // namespace ferry
