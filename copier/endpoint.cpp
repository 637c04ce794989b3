#include "copier/endpoint.hpp"

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

}  // namespace ferry
