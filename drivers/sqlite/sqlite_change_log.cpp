// SQLite's change logs: three triggers per table (which live in their table's schema and name
// tables there without one), numbering from the largest rowid, one writer at a time.
#include <fmt/format.h>

#include "copier/error.hpp"
#include "drivers/sql/change_log.hpp"
#include "drivers/sqlite/sqlite_dialect.hpp"

namespace ferry {

namespace {

// "INSERT ... SELECT" for "INSERT ... VALUES": a trigger's WHERE then decides whether it logs.
std::string ReplaceValues(std::string insert) {
  const std::string values = ") VALUES (";
  auto at = insert.find(values);
  insert.replace(at, values.size(), ") SELECT ");
  insert.pop_back();  // the closing parenthesis of VALUES
  return insert;
}

class SqliteChangeLog final : public ChangeLogEngine {
 public:
  explicit SqliteChangeLog(const Dialect& dialect) : dialect_(dialect) {}

  // SQLite numbers from the largest rowid: a marker row ('S', no key) sets it.
  std::string StartNumberingSql(const ChangeLog& log, int64_t first) const override {
    return fmt::format("INSERT INTO {} ({}, {}) VALUES ({}, 'S')", log.log, log.seq, log.op,
                       first - 1);
  }

  std::vector<std::string> TriggerSql(const ChangeLog& log) const override {
    const Table& table = *log.table;
    std::string key_changed;
    for (int k : table.RowKey()) {
      const std::string n = dialect_.Quote(table.columns[size_t(k)].name);
      if (!key_changed.empty()) key_changed += " OR ";
      key_changed += fmt::format("OLD.{0} IS NOT NEW.{0}", n);
    }
    // Triggers name no schema.
    const std::string target = dialect_.Quote(ChangeLogName(table.name).name);
    auto insert = [&](char op, const char* row) {
      return LogInsertSql(dialect_, log, target, op, row);
    };
    const std::string on = dialect_.Quote(table.name.name);
    return {fmt::format("CREATE TRIGGER {} AFTER INSERT ON {} BEGIN {}; END", Trigger(log, "_ins"),
                        on, insert('I', "NEW")),
            fmt::format("CREATE TRIGGER {0} AFTER UPDATE ON {1} BEGIN {2} WHERE {3}; {4} "
                        "WHERE {3}; {5} WHERE NOT ({3}); END",
                        Trigger(log, "_upd"), on,
                        // INSERT ... SELECT, so each is logged only when the key moved, or not
                        ReplaceValues(insert('D', "OLD")), key_changed,
                        ReplaceValues(insert('I', "NEW")), ReplaceValues(insert('U', "NEW"))),
            fmt::format("CREATE TRIGGER {} AFTER DELETE ON {} BEGIN {}; END", Trigger(log, "_del"),
                        on, insert('D', "OLD"))};
  }

  std::vector<std::string> DropTriggersSql(const ChangeLog& log) const override {
    std::vector<std::string> out;
    for (const char* suffix : {"_ins", "_upd", "_del"}) {
      out.push_back("DROP TRIGGER IF EXISTS " + Trigger(log, suffix));
    }
    return out;
  }

  // IMMEDIATE: the write lock from the start, what FOR UPDATE does elsewhere.
  std::string BeginWriteSql() const override { return "BEGIN IMMEDIATE"; }
  std::string LockRowsClause() const override { return ""; }

  // SQLite has one writer at a time: numbers are handed out in commit order.
  int64_t StableSequence(SqlSession& s, const ChangeLog&, const std::string& max_sql,
                         int) const override {
    auto rows = s.Query(max_sql);
    const std::optional<std::string>& v = rows.at(0)[0];
    return v && !v->empty() ? std::stoll(*v) : 0;
  }

  std::string Fence(SqlSession&) const override {
    throw Error(ErrorCode::kUsage,
                "sqlite has no switch that refuses writes: stop the applications writing to it "
                "(or chmod a-w the file), then run sync --final without --fence");
  }

 private:
  // A trigger lives in its table's schema.
  std::string Trigger(const ChangeLog& log, const char* suffix) const {
    const std::string& schema = log.table->name.schema;
    return dialect_.Quote(schema.empty() ? "main" : schema) + "." +
           dialect_.Quote(log.base + suffix);
  }

  const Dialect& dialect_;
};

}  // namespace

std::unique_ptr<ChangeLogEngine> MakeSqliteChangeLog(const Dialect& dialect) {
  return std::make_unique<SqliteChangeLog>(dialect);
}

}  // namespace ferry
