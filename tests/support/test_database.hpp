// Test support: a fresh database per test on the real servers that scripts/test-servers.sh
// starts (PostgreSQL, MariaDB) or in a temporary SQLite file, dropped when the test ends; and
// a way to run the ferry binary and capture everything it prints.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ferry::test {

enum class Db { kPostgres, kMariaDB, kSQLite };
const char* DbName(Db db);
inline const std::vector<Db> kAllDbs = {Db::kPostgres, Db::kMariaDB, Db::kSQLite};

// The password of the test servers (never printed by a passing test).
const std::string& TestPassword();

using Row = std::vector<std::optional<std::string>>;

class TestDatabase {
 public:
  // Creates an empty database whose name starts with `hint`.
  TestDatabase(Db db, const std::string& hint);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  Db db() const { return db_; }
  const std::string& name() const { return name_; }
  // What a user passes to ferry (no password in it).
  std::string Url() const;
  // An ODBC connection string with the password, for the test's own queries.
  std::string Odbc() const;

  // Runs one statement, or several separated by ";\n".
  void Exec(const std::string& sql);
  std::vector<Row> Query(const std::string& sql);
  std::string QueryValue(const std::string& sql);

 private:
  Db db_;
  std::string name_;
  std::string path_;  // SQLite file
};

struct FerryResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs the ferry binary with `args` (already shell-quoted where needed) and the test password in
// FERRY_SOURCE_PASSWORD / FERRY_DEST_PASSWORD unless `with_passwords` is false.
FerryResult RunFerry(const std::string& args, bool with_passwords = true);

// Single-quotes `s` for /bin/sh.
std::string ShellQuote(const std::string& s);

// The shared datasets folder (../shared/datasets next to the checkout), or "" when absent.
std::string SharedDatasets();

// The ferry processes (this build's binary) whose command line names `db`'s database, found in
// /proc; FerryPid is the first of them, or 0.
std::vector<pid_t> FerryPids(const TestDatabase& db);
pid_t FerryPid(const TestDatabase& db);

// Runs ferry with `args` in the background; `during` is called about every 20 ms while it runs,
// with the process id once it is known (found by `dest`'s database), until it returns true.
// Waits at most 120 s for that, and 3 s for a process that never shows (it finished, or never
// started); then returns ferry's result once it ends.
FerryResult RunWhile(const std::string& args, const TestDatabase& dest,
                     const std::function<bool(pid_t)>& during);

// The rows `sql` returns, each as "a|b|c" with NULL spelled out.
std::vector<std::string> RowLines(TestDatabase& db, const std::string& sql);

// SELECT count(*) of `table`, spelt as the query should name it.
int64_t RowCount(TestDatabase& db, const std::string& table);

// The table the sync tests change: items (id primary key, name, qty), `rows` rows, every
// seventh qty NULL; Items reads it back in key order.
void CreateItems(TestDatabase& db, int rows);
std::vector<std::string> Items(TestDatabase& db);

}  // namespace ferry::test
