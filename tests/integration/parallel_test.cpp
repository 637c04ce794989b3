// Partitioned copies through the parallel engine: several readers and writers, many units per
// table, every engine pair; a tiny memory limit; pass-through only when column types match.
#include <catch2/catch.hpp>

#include "tests/support/canonical.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

std::string Series(Db db, int rows) {
  switch (db) {
    case Db::kPostgres:
      return "SELECT n FROM generate_series(1, " + std::to_string(rows) + ") AS g(n)";
    case Db::kMariaDB:
      return "SELECT seq AS n FROM seq_1_to_" + std::to_string(rows);
    case Db::kSQLite:
      return "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < " +
             std::to_string(rows) + ") SELECT n FROM g";
  }
  return "";
}

// 60,000 rows with a composite key, NULLs, Unicode, decimals, dates and a keyless twin.
void CreateWorkload(TestDatabase& db) {
  const Db e = db.db();
  const std::string text = e == Db::kMariaDB ? "CONCAT('név ', n, ' 🚢')" : "'név ' || n || ' 🚢'";
  const std::string day = e == Db::kPostgres  ? "DATE '2000-01-01' + (n % 9000)"
                          : e == Db::kMariaDB ? "DATE_ADD('2000-01-01', INTERVAL n % 9000 DAY)"
                                              : "date('2000-01-01', '+' || (n % 9000) || ' days')";
  const std::string price = e == Db::kSQLite ? "(n % 100000) / 100.0" : "(n % 100000) / 100.0";
  db.Exec(
      "CREATE TABLE order_lines (tenant int NOT NULL, line int NOT NULL, note varchar(40), "
      "price decimal(12,2), day date, PRIMARY KEY (tenant, line));\n"
      "INSERT INTO order_lines SELECT n % 13, n, CASE WHEN n % 17 = 0 THEN NULL ELSE " +
      text + " END, " + price + ", " + day + " FROM (" + Series(e, 60000) +
      ") AS s;\n"
      "CREATE TABLE loose (a int, b varchar(20));\n"
      "INSERT INTO loose SELECT n % 100, CASE WHEN n % 3 = 0 THEN NULL ELSE 'x' END FROM (" +
      Series(e, 30000) + ") AS s");
  if (e == Db::kPostgres) db.Exec("ANALYZE order_lines;\nANALYZE loose");
  if (e == Db::kMariaDB) db.Exec("ANALYZE TABLE order_lines;\nANALYZE TABLE loose");
}

void ParallelCopy(Db from, Db to) {
  TestDatabase source(from, "par_src");
  TestDatabase dest(to, "par_dst");
  CreateWorkload(source);
  FerryResult run =
      RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()) +
               " --readers 3 --writers 3 --partitions 8 --batch-rows 1000");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  // lines: 8 key ranges; loose has no key: 8 page ranges in PostgreSQL, one reader elsewhere.
  CHECK(run.output.find(from == Db::kPostgres ? "in 16 units" : "in 9 units") != std::string::npos);
  for (const char* table : {"order_lines", "loose"}) {
    INFO("table " << table);
    CHECK(FirstDifference(ReadCanonical(source, table), ReadCanonical(dest, table)) == "");
  }
}

}  // namespace

#define PARALLEL_PAIR(FROM, TO, from_name, to_name)                                            \
  TEST_CASE("a partitioned parallel copy from " from_name " to " to_name " equals the source", \
            "[parallel][" from_name "][" to_name "]") {                                        \
    ParallelCopy(FROM, TO);                                                                    \
  }

PARALLEL_PAIR(Db::kPostgres, Db::kPostgres, "postgresql", "postgresql")
PARALLEL_PAIR(Db::kPostgres, Db::kMariaDB, "postgresql", "mariadb")
PARALLEL_PAIR(Db::kPostgres, Db::kSQLite, "postgresql", "sqlite")
PARALLEL_PAIR(Db::kMariaDB, Db::kPostgres, "mariadb", "postgresql")
PARALLEL_PAIR(Db::kMariaDB, Db::kMariaDB, "mariadb", "mariadb")
PARALLEL_PAIR(Db::kMariaDB, Db::kSQLite, "mariadb", "sqlite")
PARALLEL_PAIR(Db::kSQLite, Db::kPostgres, "sqlite", "postgresql")
PARALLEL_PAIR(Db::kSQLite, Db::kMariaDB, "sqlite", "mariadb")
PARALLEL_PAIR(Db::kSQLite, Db::kSQLite, "sqlite", "sqlite")

TEST_CASE("a copy with a tiny memory limit still completes exactly", "[parallel][memory]") {
  TestDatabase source(Db::kSQLite, "tiny_src");
  TestDatabase dest(Db::kSQLite, "tiny_dst");
  CreateWorkload(source);
  source.Exec(
      "CREATE TABLE big_values (id INTEGER PRIMARY KEY, t TEXT);\n"
      "INSERT INTO big_values VALUES (1, replace(hex(zeroblob(2000000)), '00', 'ab')), (2, 'x')");
  FerryResult run = RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " +
                             ShellQuote(dest.Url()) + " --memory-limit 1MiB --partitions 4");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  for (const char* table : {"order_lines", "loose", "big_values"}) {
    INFO("table " << table);
    CHECK(FirstDifference(ReadCanonical(source, table), ReadCanonical(dest, table)) == "");
  }
}

TEST_CASE("explaining a run shows each table's split and copies nothing", "[parallel][explain]") {
  TestDatabase source(Db::kSQLite, "explain_src");
  TestDatabase dest(Db::kSQLite, "explain_dst");
  CreateWorkload(source);
  FerryResult run = RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " +
                             ShellQuote(dest.Url()) + " --explain --partitions 4");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output.find("main.order_lines -> main.order_lines: 4 units (key ranges)") !=
        std::string::npos);
  CHECK(run.output.find("composite key (tenant, line)") != std::string::npos);
  CHECK(run.output.find("no primary key or unique index: one reader") != std::string::npos);
  CHECK(ListTables(dest).empty());
}

TEST_CASE("the binary COPY stream passes through only when column types match",
          "[parallel][pass-through][postgresql]") {
  TestDatabase source(Db::kPostgres, "pt_src");
  TestDatabase same(Db::kPostgres, "pt_same");
  TestDatabase other(Db::kPostgres, "pt_other");
  CreateWorkload(source);
  // A destination whose price column is wider: values still fit, but bytes differ.
  other.Exec(
      "CREATE TABLE order_lines (tenant int NOT NULL, line int NOT NULL, note varchar(40), "
      "price numeric(20,4), day date, PRIMARY KEY (tenant, line))");
  FerryResult explain_same = RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " +
                                      ShellQuote(same.Url()) + " --explain");
  FerryResult explain_other =
      RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(other.Url()) +
               " --explain --include order_lines");
  INFO(explain_same.output);
  INFO(explain_other.output);
  CHECK(explain_same.output.find(
            "public.order_lines -> public.order_lines: 1 unit (single, binary COPY "
            "pass-through)") != std::string::npos);
  CHECK(explain_other.output.find("pass-through") == std::string::npos);
  FerryResult run = RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " +
                             ShellQuote(other.Url()) + " --include order_lines");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(FirstDifference(ReadCanonical(source, "order_lines"),
                        ReadCanonical(other, "order_lines")) == "");
}

TEST_CASE("columns of types defined in the database never pass through, and still copy",
          "[parallel][pass-through][postgresql]") {
  TestDatabase source(Db::kPostgres, "udt_src");
  TestDatabase dest(Db::kPostgres, "udt_dst");
  const char* ddl =
      "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n"
      "CREATE TABLE feelings (id int PRIMARY KEY, now mood, history mood[])";
  source.Exec(std::string(ddl) +
              ";\nINSERT INTO feelings VALUES (1, 'ok', '{sad,happy}'), (2, NULL, NULL)");
  // Created in the other order, so the type's internal identifiers differ.
  dest.Exec("CREATE TYPE unrelated AS ENUM ('x');\n" + std::string(ddl));
  FerryResult explain = RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " +
                                 ShellQuote(dest.Url()) + " --explain");
  INFO(explain.output);
  CHECK(explain.output.find("pass-through") == std::string::npos);
  FerryResult run =
      RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(dest.QueryValue("SELECT now::text || ' ' || history::text FROM feelings WHERE id = 1") ==
        "ok {sad,happy}");
}

TEST_CASE("PostgreSQL tables ferry creates get their primary key once the rows are in",
          "[parallel][keys][postgresql]") {
  for (const char* flags : {"", " --keys-first"}) {
    DYNAMIC_SECTION("flags:" << flags) {
      TestDatabase source(Db::kSQLite, "keys_src");
      TestDatabase dest(Db::kPostgres, "keys_dst");
      CreateWorkload(source);
      FerryResult run = RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " +
                                 ShellQuote(dest.Url()) + " --partitions 4" + flags);
      INFO(run.output);
      REQUIRE(run.exit_code == 0);
      CHECK(dest.QueryValue(
                "SELECT string_agg(a.attname, ',' ORDER BY k.pos) FROM pg_index i "
                "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos) "
                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                "WHERE i.indrelid = 'order_lines'::regclass AND i.indisprimary") == "tenant,line");
      CHECK(FirstDifference(ReadCanonical(source, "order_lines"),
                            ReadCanonical(dest, "order_lines")) == "");
    }
  }
}
