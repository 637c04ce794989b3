#include "drivers/mariadb/write_support.hpp"

#include <mysqld_error.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <string_view>

#include "copier/convert.hpp"
#include "copier/secrets.hpp"
#include "drivers/sql/sql_endpoint.hpp"

namespace ferry::mariadb {

namespace {

// The SQLSTATE of the error a warning stands for, so a row refused through a warning reads like
// the same row refused by an INSERT.
const char* SqlstateOfWarning(int code) {
  switch (code) {
    case ER_DUP_ENTRY:
    case ER_BAD_NULL_ERROR:
    case ER_NO_REFERENCED_ROW_2:
    case ER_ROW_IS_REFERENCED_2:
    case ER_CONSTRAINT_FAILED:
      return "23000";
    case ER_WARN_DATA_OUT_OF_RANGE:
      return "22003";
    case ER_DATA_TOO_LONG:
      return "22001";
    case ER_TRUNCATED_WRONG_VALUE:
    case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
      return "22007";
    case WARN_DATA_TRUNCATED:
      return "01000";
    default:
      return "HY000";
  }
}

}  // namespace

UnitTransaction::UnitTransaction(Connection& connection, const Table& table,
                                 const std::string& begin_sql)
    : connection_(connection), table_(table) {
  // A batch into a table with stored generated columns may leave a note per row and column:
  // all of them are kept (up to the server's most) so OnlyComputedRounding reads every one.
  if (std::any_of(table.columns.begin(), table.columns.end(),
                  [](const Column& c) { return c.generated_stored && !c.generated.empty(); })) {
    connection_.SetOnce("SET SESSION max_error_count = 65535");
  }
  connection_.Execute("START TRANSACTION");
  open_ = true;
  if (!begin_sql.empty()) connection_.Execute(begin_sql);
}

void UnitTransaction::Commit(const std::vector<std::string>& finish_sql) {
  for (const std::string& sql : finish_sql) connection_.Execute(sql);
  connection_.Execute("COMMIT");
  open_ = false;
}

void UnitTransaction::Rollback() noexcept {
  if (!open_) return;
  open_ = false;
  mysql_real_query(connection_.get(), "ROLLBACK", 8);
}

std::optional<size_t> RowOfMessage(const std::string& message) {
  size_t at = message.rfind(" at row ");
  size_t start = at == std::string::npos ? std::string::npos : at + 8;
  if (start == std::string::npos && message.rfind("Row ", 0) == 0) start = 4;
  if (start == std::string::npos) return std::nullopt;
  size_t row = 0;
  auto [end, ec] = std::from_chars(message.data() + start, message.data() + message.size(), row);
  if (ec != std::errc() || end == message.data() + start || row == 0) return std::nullopt;
  return row;
}

void NameRow(Error& error, const StatementRows& rows) {
  for (const Diagnostic& d : error.diagnostics()) {
    std::optional<size_t> row = RowOfMessage(d.message);
    if (row && *row <= rows.count) {
      error.WithKey(RenderKey(*rows.batch, *rows.key_positions,
                              KeyNames(*rows.table, *rows.columns, *rows.key_positions),
                              rows.first + *row - 1));
      return;
    }
  }
}

bool OnlyComputedRounding(Connection& connection, const Table& table, unsigned warnings) {
  auto computed = [&](const std::string& name) {
    auto c = table.FindColumn(name);
    return c && table.columns[size_t(*c)].generated_stored &&
           !table.columns[size_t(*c)].generated.empty();
  };
  if (warnings == 0 || !std::any_of(table.columns.begin(), table.columns.end(),
                                    [&](const Column& c) { return computed(c.name); })) {
    return false;
  }
  const std::vector<SqlSession::Row> rows = connection.Query("SHOW WARNINGS");
  if (rows.size() != warnings) return false;  // some were not kept: none can be vouched for
  constexpr std::string_view kPrefix = "Data truncated for column '";
  for (const SqlSession::Row& w : rows) {
    if (w.size() < 3 || !w[0] || !w[1] || !w[2] || *w[0] != "Note" ||
        std::atoi(w[1]->c_str()) != WARN_DATA_TRUNCATED || w[2]->rfind(kPrefix, 0) != 0) {
      return false;
    }
    const size_t end = w[2]->find('\'', kPrefix.size());
    if (end == std::string::npos || !computed(w[2]->substr(kPrefix.size(), end - kPrefix.size()))) {
      return false;
    }
  }
  return true;
}

Error WarningsError(Connection& connection, const std::string& message, const StatementRows& rows,
                    const char* call) {
  std::vector<Diagnostic> diagnostics;
  try {
    for (const SqlSession::Row& w : connection.Query("SHOW WARNINGS LIMIT 10")) {
      if (w.size() < 3 || !w[1] || !w[2]) continue;
      const int code = std::atoi(w[1]->c_str());
      diagnostics.push_back(Diagnostic{SqlstateOfWarning(code), code, Redact(*w[2])});
    }
  } catch (const Error&) {
    // The message still says what went wrong.
  }
  ErrorContext context;
  context.call = call;
  Error error(ErrorCode::kData, message, std::move(context), std::move(diagnostics));
  NameRow(error, rows);
  return error;
}

}  // namespace ferry::mariadb
