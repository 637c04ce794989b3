#include "drivers/sqlite/sqlite_schema.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "copier/text.hpp"

namespace ferry {

namespace {

// A table's rows without their parent, for parents in the copy's scope: a key to a table left out
// is not checked (SchemaClone::Prepare says it is not carried).
std::string Literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

constexpr const char* kForeignKeyCheck =
    "SELECT \"table\", rowid, parent FROM pragma_foreign_key_check(";

// Creates cloned objects on a connection of its own. Declared foreign keys are checked, not
// enforced, during the load (PRAGMA foreign_keys = OFF): the clone's check of each table runs
// PRAGMA foreign_key_check and fails on the first row without its parent.
class SqliteSchemaSession final : public SchemaSession {
 public:
  explicit SqliteSchemaSession(std::unique_ptr<SqlSession> session)
      : session_(std::move(session)) {}
  void Run(const std::string& sql) override {
    if (sql.rfind(kForeignKeyCheck, 0) == 0) {
      auto rows = session_->Query(sql);
      if (!rows.empty()) {
        throw Error(ErrorCode::kData,
                    fmt::format("row {} of table {} has no matching row in table {}",
                                rows[0][1].value_or("?"), rows[0][0].value_or("?"),
                                rows[0][2].value_or("?")));
      }
      return;
    }
    session_->Execute(sql);
  }
  void Begin() override { session_->Execute("BEGIN"); }
  void Commit() override { session_->Execute("COMMIT"); }
  bool Savepoints() const override { return true; }
  void Rollback() noexcept override {
    try {
      session_->Execute("ROLLBACK");
    } catch (...) {
    }
  }

 private:
  std::unique_ptr<SqlSession> session_;
};

// The names a view's CREATE text uses, folded to lower case (SQLite compares names ignoring
// ASCII case): bare words and "quoted", `quoted` and [quoted] ones; string literals skipped.
std::vector<std::string> NamesIn(const std::string& sql) {
  std::vector<std::string> out;
  for (size_t at = 0; at < sql.size();) {
    const char c = sql[at];
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      const char close = c == '[' ? ']' : c;
      std::string name;
      for (++at; at < sql.size(); ++at) {
        if (sql[at] == close) {
          if (close != ']' && at + 1 < sql.size() && sql[at + 1] == close) {
            name += close;
            ++at;
            continue;
          }
          ++at;
          break;
        }
        name += sql[at];
      }
      if (c != '\'') out.push_back(Lower(name));
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
               static_cast<unsigned char>(c) >= 0x80) {
      size_t end = at;
      while (end < sql.size() &&
             (std::isalnum(static_cast<unsigned char>(sql[end])) || sql[end] == '_' ||
              sql[end] == '$' || static_cast<unsigned char>(sql[end]) >= 0x80)) {
        ++end;
      }
      out.push_back(Lower(sql.substr(at, end - at)));
      at = end;
    } else {
      ++at;
    }
  }
  return out;
}

// SQLite's schema is its own text: sqlite_schema keeps every table, index, view and trigger as
// the CREATE statement that made it, which is replayed as it is (so .schema reads the same).
// Tables come before the data; indexes, then views and triggers, after it.
}  // namespace

SchemaDump DumpSqliteSchema(SqlSession& catalog, const Dialect& /*dialect*/,
                            const SchemaRequest& request) {
  SchemaDump dump;
  dump.tool = std::string("sqlite_schema (SQLite ") + sqlite3_libversion() + ")";
  auto in_scope = [&](const std::string& table) {
    for (const TableName& t : request.tables) {
      if (t.name == table) return true;
    }
    return false;
  };
  auto excluded = [&](const std::string& table) {
    for (const TableName& t : request.excluded) {
      if (t.name == table) return true;
    }
    return IsFerryObjectName(table);
  };
  std::map<std::string, std::string> relations;  // tables and views: folded name -> name
  for (auto& r : catalog.Query("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view')")) {
    relations.emplace(Lower(*r[0]), *r[0]);
  }
  int order = 0;
  for (auto& r : catalog.Query("SELECT type, name, tbl_name, sql FROM sqlite_schema "
                               "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                               "ORDER BY rowid")) {
    SchemaObject o;
    o.kind = *r[0];
    std::transform(o.kind.begin(), o.kind.end(), o.kind.begin(),
                   [](unsigned char c) { return char(std::toupper(c)); });
    o.name = *r[1];
    const std::string& table = *r[2];
    o.table = {"main", table};
    o.sql = *r[3];
    if (IsFerryObjectName(o.name) || excluded(table)) continue;
    if (o.kind == "TABLE") {
      if (!in_scope(table)) continue;
      dump.before_data.push_back(std::move(o));
      continue;
    }
    if (o.kind == "INDEX") {
      if (!in_scope(table)) continue;
      o.wave = 0;
    } else {
      // Views and triggers one at a time in the order they were made, which is an order that
      // works (a view reading a view, a trigger on a view).
      if (o.kind == "TRIGGER" && !request.routines) continue;
      o.wave = 2 + order++;
      if (o.kind == "VIEW") {
        const std::string self = Lower(o.name);
        // A name of a column alike a table's counts too: such a view is then kept only where
        // that table is cloned.
        for (const std::string& name : NamesIn(o.sql)) {
          auto found = relations.find(name);
          if (name == self || found == relations.end()) continue;
          const TableName read{"main", found->second};
          if (std::find(o.reads.begin(), o.reads.end(), read) == o.reads.end()) {
            o.reads.push_back(read);
          }
        }
      }
    }
    dump.after_data.push_back(std::move(o));
  }
  for (const TableName& t : request.tables) {
    SchemaObject check;
    check.kind = "FOREIGN KEY CHECK";
    check.name = t.name;
    check.table = {"main", t.name};
    std::string parents;
    for (const TableName& p : request.tables) {
      parents += (parents.empty() ? "" : ", ") + Literal(p.name);
    }
    check.sql =
        std::string(kForeignKeyCheck) + Literal(t.name) + ") WHERE parent IN (" + parents + ")";
    // Real SQLite files hold rows whose parent is gone (foreign_keys is off unless a connection
    // turns it on): the copy holds the same rows, so only violations beyond the source's fail.
    auto dangling = catalog.Query("SELECT count(*) FROM (" + check.sql + ")");
    if (!dangling.empty() && dangling[0][0] && *dangling[0][0] != "0") {
      check.sql += " LIMIT -1 OFFSET " + *dangling[0][0];
    }
    check.wave = 1;
    dump.after_data.push_back(std::move(check));
  }
  std::stable_sort(dump.after_data.begin(), dump.after_data.end(),
                   [](const SchemaObject& a, const SchemaObject& b) { return a.wave < b.wave; });
  return dump;
}

std::unique_ptr<SchemaSession> MakeSqliteSchemaSession(std::unique_ptr<SqlSession> session) {
  return std::make_unique<SqliteSchemaSession>(std::move(session));
}

}  // namespace ferry
