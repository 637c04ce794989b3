// What every libmariadb writer shares: the unit's transaction, and turning what the server says
// about refused rows (errors and warnings that name "row N" of a statement) into an Error that
// names the table and the row's key.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "copier/batch.hpp"
#include "copier/catalog.hpp"
#include "drivers/mariadb/mariadb_client.hpp"

namespace ferry::mariadb {

// A unit's transaction: begun on construction, rolled back unless committed.
class UnitTransaction {
 public:
  // Starts the transaction and runs `begin_sql` (if not empty) in it.
  UnitTransaction(Connection& connection, const Table& table, const std::string& begin_sql = "");
  ~UnitTransaction() { Rollback(); }
  UnitTransaction(const UnitTransaction&) = delete;
  UnitTransaction& operator=(const UnitTransaction&) = delete;

  // Runs `finish_sql` in the transaction, then commits.
  void Commit(const std::vector<std::string>& finish_sql = {});
  // Best effort, never throws: a lost connection rolls back on the server by itself.
  void Rollback() noexcept;

 private:
  Connection& connection_;
  const Table& table_;
  bool open_ = false;
};

// MariaDB rounds a value it computes itself (a STORED generated column whose expression has
// more decimals than the column) with the note "Data truncated for column 'c'": no value ferry
// sent was changed. True when each of the statement's `warnings` is such a note on a stored
// generated column of `table`, so they do not fail the batch; a note on a column ferry writes
// still does. (UnitTransaction has the session keep enough notes to read them all.)
bool OnlyComputedRounding(Connection& connection, const Table& table, unsigned warnings);

// The batch rows a statement covers, to name a row the server points at.
struct StatementRows {
  const Table* table = nullptr;
  const std::vector<int>* columns = nullptr;
  const std::vector<int>* key_positions = nullptr;
  const Batch* batch = nullptr;
  size_t first = 0;  // batch row of the statement's row 1
  size_t count = 0;
};

// The statement row a server message names ("... at row 3", "Row 3 was truncated ..."), 1-based.
std::optional<size_t> RowOfMessage(const std::string& message);

// Adds the table and, where the message names a row of `rows`, its key.
void NameRow(Error& error, const StatementRows& rows);

// The Error for a statement that left warnings (or stored fewer rows than sent): the server's
// warnings as diagnostics, with the SQLSTATE of the error each stands for, and the first row a
// warning names. kData: a refused value or key.
Error WarningsError(Connection& connection, const std::string& message, const StatementRows& rows,
                    const char* call);

}  // namespace ferry::mariadb
