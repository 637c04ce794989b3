// The tables of ferry's run state in a destination, as the run store creates them (and adds
// their newer columns to an older ferry's tables).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "drivers/sql/dialect.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry {

// runs, tables, units, and a shared run's workers and leases (RunLeases); `home` places each
// table (its schema and prefixed name) from its short name.
std::vector<Table> RunStateTables(const Dialect& dialect,
                                  const std::function<TableName(const char*)>& home);

// Whether every table of `tables` is there with every column of it: one statement naming them
// all (false on any error: a table, a column or the schema missing), where describing each table
// takes four catalog queries, two dozen round trips for the run state before every run and sync.
bool HasColumns(SqlSession& session, const Dialect& dialect, const std::vector<Table>& tables);

// A done mark's timing columns, as SET assignments following others (", started_at = ...");
// none for a unit whose timing was not measured.
std::string UnitTimingSet(const UnitTiming& timing);

// ferry run --spool: the statement that marks a unit spooled, `rows` rows in `bytes` bytes,
// unless it is done (RunStore::SpoolUnit; more conditions may follow it, each " AND ..."), and
// the one that makes a run's spooled units pending when the run is claimed again (the spool
// went with its process). `units` is the units table's name, `run` the run's id as an SQL
// literal.
std::string SpoolUnitSql(const std::string& units, const std::string& run, int table, int part,
                         int64_t rows, int64_t bytes);
std::string UnspoolSql(const std::string& units, const std::string& run);

// A table's warnings, one a line, as the tables table keeps them.
std::string JoinLines(const std::vector<std::string>& lines);
std::vector<std::string> SplitLines(const std::string& text);

// Run state an older ferry kept among the application's tables (in `legacy_schema`) moves to
// its own place: its rows are copied (those not there yet, so a move cut short is completed),
// then its tables dropped. `exec` runs each statement.
void MoveLegacyState(SqlSession& session, const Dialect& dialect, const std::vector<Table>& tables,
                     const std::string& legacy_schema, const std::string& prefix,
                     const std::function<void(const std::string&)>& exec);

// What to do when the run state cannot be written: a permission refused (42501) names what the
// destination user needs for it.
std::string RunStateWriteAdvice(const Error& e);

}  // namespace ferry
