// CHECK constraints of a table ferry made, once its rows are in (Endpoint::AddChecks).
#include <fmt/format.h>

#include "drivers/sql/dialect.hpp"
#include "drivers/sql/sql_endpoint.hpp"

namespace ferry {

namespace {

// PostgreSQL's check_violation: a row does not satisfy the check being validated.
constexpr const char* kCheckViolation = "23514";

}  // namespace

std::vector<std::string> SqlEndpoint::AddChecks(const Table& table) {
  ShapesChanging();
  std::vector<std::string> notes;
  if (table.checks.empty()) return notes;
  const std::string qualified = dialect_->QualifiedName(table.name);
  if (!dialect_->quirks().checks_after_data) {
    // Declared by CREATE TABLE, not enforced on the load: one scan counts each check's rows.
    std::string counts;
    for (const CheckConstraint& check : table.checks) {
      counts += fmt::format("{}SUM(CASE WHEN NOT ({}) THEN 1 ELSE 0 END)",
                            counts.empty() ? "" : ", ", check.condition);
    }
    std::vector<SqlSession::Row> rows;
    WithLockWaits({table.name}, "check the rows of", [&](SqlSession& session) {
      rows = session.Query("SELECT " + counts + " FROM " + qualified);
    });
    for (size_t i = 0; i < table.checks.size() && !rows.empty(); ++i) {
      const std::string count = rows[0][i].value_or("0");
      if (count == "0") continue;
      notes.push_back(fmt::format(
          "check {}: {} copied row(s) do not satisfy it in {}; they are kept (it is checked as "
          "rows are written, and was not while they were copied), and the check holds for new "
          "and changed rows",
          table.checks[i].name, count, info_.product));
    }
    return notes;
  }
  for (const CheckConstraint& check : table.checks) {
    const std::string name = dialect_->Quote(check.name);
    WithLockWaits({table.name}, "add check " + check.name + " to", [&](SqlSession& session) {
      // NOT VALID: rows written from now on are checked; the copied ones by VALIDATE, which
      // leaves the check NOT VALID (not failing the table) where rows do not satisfy it.
      try {
        session.Execute(fmt::format("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({}) NOT VALID",
                                    qualified, name, check.condition));
      } catch (const Error& e) {
        if (!dialect_->NameTaken(e)) throw;  // added by an interrupted run
      }
      try {
        session.Execute(fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", qualified, name));
      } catch (const Error& e) {
        if (e.sqlstate() != kCheckViolation) throw;
        notes.push_back(fmt::format(
            "check {}: copied rows do not satisfy it in {}; it is left NOT VALID (it holds for "
            "new and changed rows; VALIDATE CONSTRAINT once the rows are mended)",
            check.name, info_.product));
      }
    });
  }
  return notes;
}

}  // namespace ferry
