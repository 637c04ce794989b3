#include "copier/endpoint.hpp"

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

void Endpoint::SetSequence(const SequenceState& state) {
  throw Error(ErrorCode::kInternal, info().display + ": " + EngineName(info().engine) +
                                        " has no sequence " + DisplayName(state.name));
}

}  // namespace ferry
