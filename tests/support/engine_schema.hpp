// The schema of a test database as the engine's own dump tool prints it (pg_dump --schema-only,
// mariadb-dump --no-data --routines --triggers --events, SQLite's sqlite_schema), without what
// names the database or the moment and without ferry's own run state: two databases whose texts
// are equal hold the same schema (issue 14's measure of a same-engine clone).
#pragma once

#include <fmt/format.h>

#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

namespace ferry::test {

inline std::string EngineSchema(TestDatabase& db) {
  auto port = [](const char* variable, const char* fallback) -> std::string {
    const char* value = std::getenv(variable);
    return value ? value : fallback;
  };
  std::string text;
  switch (db.db()) {
    case Db::kPostgres:
      text =
          Capture("PGPASSWORD=" + ShellQuote(TestPassword()) +
                  " pg_dump --schema-only -h 127.0.0.1 -p " + port("FERRY_TEST_PG_PORT", "54329") +
                  " -U ferry -T 'ferry_*' -N ferry_state " + db.name());
      break;
    case Db::kMariaDB: {
      std::string ignored;
      for (const char* t : {"runs", "tables", "units", "workers", "leases", "held_keys"}) {
        ignored += " --ignore-table=" + db.name() + ".ferry_" + t;
      }
      text = Capture("MYSQL_PWD=" + ShellQuote(TestPassword()) +
                     " mariadb-dump --no-data --routines --triggers --events -h 127.0.0.1 -P " +
                     port("FERRY_TEST_MARIADB_PORT", "33069") + " -u ferry" + ignored + " " +
                     db.name());
      // The counters are compared on their own (the destination's stands where the source's
      // does, or past it where the rows reach further).
      text = std::regex_replace(text, std::regex(" AUTO_INCREMENT=[0-9]+"), "");
      break;
    }
    case Db::kSQLite: {
      for (const Row& r :
           db.Query("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE "
                    "tbl_name NOT LIKE 'ferry\\_%' ESCAPE '\\' ORDER BY type, name")) {
        text += fmt::format("{} {} {}\n{}\n", r[0].value_or(""), r[1].value_or(""),
                            r[2].value_or(""), r[3].value_or("NULL"));
      }
      return text;
    }
  }
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    // pg_dump's \restrict key is random; comments name the database, host and time.
    if (line.rfind("\\restrict", 0) == 0 || line.rfind("\\unrestrict", 0) == 0) continue;
    if (line.rfind("--", 0) == 0) continue;
    out += line + "\n";
  }
  return out;
}

}  // namespace ferry::test
