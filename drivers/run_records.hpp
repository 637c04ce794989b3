// ferry's run records as rows of its state tables (runs, tables, units, held_keys): the VALUES a
// run's start inserts, the SELECTs the run store reads them with, and the records read back from
// those rows. A value a hand edit made unreadable is named (Error kSchema), never taken as 0.
// SqlRunStore (run_store.cpp) decides when and on which session; this only maps.
#pragma once

#include <string>
#include <utility>

#include "copier/run_state.hpp"
#include "drivers/sql/dialect.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry {

// Numbers as the state tables' SQL literals (reals to the microsecond).
namespace run_sql {
std::string Int(int64_t v);
std::string Num(double v);
}  // namespace run_sql

// Which of the columns added since the first run state a destination's tables have (an older
// ferry's state is read as it is until the next run adds them).
struct RunStateColumns {
  bool owner_token = false;  // runs.owner_token
  bool leases = false;       // runs.lease_ms and the units' worker and lease_until
  bool timing = false;       // the units' UnitTiming columns and tables.warnings
  bool table_start = false;  // tables.started_at
};

class RunRows {
 public:
  // `prefix` starts the state tables' names (for the errors that name them).
  RunRows(const Dialect& dialect, std::string prefix)
      : dialect_(dialect), prefix_(std::move(prefix)) {}

  // The columns TableValues and UnitValues give, in their order.
  static const char* TableColumns();
  static const char* UnitColumns();
  std::string RunInsert(const std::string& runs, const RunRecord& r) const;
  std::string TableValues(const std::string& run, const TableRecord& t) const;
  std::string UnitValues(const std::string& run, const UnitRecord& u) const;

  // Each SELECT names its table as SQL (`runs`, `tables`...) and reads what `has` says is
  // there; its rows go to the Parse function beside it.
  std::string SelectRuns(const std::string& runs, const RunStateColumns& has) const;
  RunRecord ParseRun(const SqlSession::Row& row) const;
  std::string SelectTables(const std::string& tables, const std::string& run,
                           const RunStateColumns& has) const;
  TableRecord ParseTable(const SqlSession::Row& row, const std::string& run) const;
  std::string SelectUnits(const std::string& units, const std::string& run,
                          const RunStateColumns& has) const;
  UnitRecord ParseUnit(const SqlSession::Row& row, const std::string& run) const;
  static std::string SelectHeldKeys(const std::string& held_keys);
  HeldForeignKey ParseHeldKey(const SqlSession::Row& row) const;

 private:
  std::string S(const std::string& value) const { return dialect_.TextLiteral(value); }
  [[noreturn]] void Tampered(const char* table, const std::string& run, const char* column,
                             const std::string& value) const;
  int64_t Number(const std::optional<std::string>& v, const char* table, const std::string& run,
                 const char* column) const;
  UnitTiming TimingOf(const SqlSession::Row& row, size_t at, const std::string& run) const;

  const Dialect& dialect_;
  std::string prefix_;
};

}  // namespace ferry
