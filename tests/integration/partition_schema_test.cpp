// A PostgreSQL partitioned table whose tables ferry makes from its own model (`--schema-from
// ferry`): the table is made partitioned with its partitions attached, its key, indexes and
// foreign keys are the source's (a parent's index reaches every partition), and a partition's
// own index and check are built on that partition; where a column rename leaves the table
// plain, check says so naming the table.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

const char* const kRentals =
    "CREATE TABLE customer (customer_id int PRIMARY KEY, name text);\n"
    "INSERT INTO customer SELECT g, 'c' || g FROM generate_series(1, 10) g;\n"
    "CREATE TABLE rental (rental_id integer NOT NULL, rental_date date NOT NULL, "
    "customer_id integer REFERENCES customer, note text, PRIMARY KEY (rental_id, rental_date)) "
    "PARTITION BY RANGE (rental_date);\n"
    "CREATE INDEX rental_customer_idx ON rental (customer_id);\n"
    "CREATE UNIQUE INDEX rental_note_uq ON rental (note, rental_date);\n"
    "CREATE TABLE rental_2022_h1 PARTITION OF rental FOR VALUES FROM ('2022-01-01') TO "
    "('2022-07-01');\n"
    "CREATE TABLE rental_2022_h2 PARTITION OF rental FOR VALUES FROM ('2022-07-01') TO "
    "('2023-01-01');\n"
    "CREATE INDEX rental_2022_h2_note_idx ON rental_2022_h2 (note);\n"
    "ALTER TABLE rental_2022_h1 ADD CONSTRAINT h1_note_check CHECK (note <> '');\n"
    "INSERT INTO rental SELECT g, DATE '2022-01-01' + g % 365, g % 10 + 1, 'n' || g FROM "
    "generate_series(1, 1500) g;\n"
    "CREATE TABLE rental_line (rental_id int, rental_date date, line int, "
    "PRIMARY KEY (rental_id, rental_date, line), "
    "FOREIGN KEY (rental_id, rental_date) REFERENCES rental);\n"
    "INSERT INTO rental_line SELECT g, DATE '2022-01-01' + g % 365, 1 FROM "
    "generate_series(1, 100) g;\n"
    "ANALYZE";

// Every index and constraint of the partition tree and of rental_line, by the relation it is on:
// an index by its definition without its name (PostgreSQL names a parent's index on each
// partition itself), a constraint by name and definition.
std::vector<std::string> Structure(TestDatabase& db) {
  return RowLines(db,
                  "SELECT c.relname, regexp_replace(pg_get_indexdef(i.indexrelid), "
                  "'INDEX \\S+ ON \\S+', 'INDEX ON'), i.indisprimary FROM pg_index i "
                  "JOIN pg_class c ON c.oid = i.indrelid WHERE c.relname LIKE 'rental%' "
                  "UNION ALL SELECT c.relname, k.conname || ' ' || pg_get_constraintdef(k.oid), "
                  "k.conislocal FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
                  "WHERE c.relname LIKE 'rental%' AND k.contype IN ('c', 'f') ORDER BY 1, 2, 3");
}

// `ferry check`, then `ferry run` with the same arguments, each required to succeed; returns
// check's output.
std::string CheckThenRun(const std::string& args) {
  FerryResult check = RunFerry("check" + args);
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 0);
  FerryResult run = RunFerry("run" + args);
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  return check.output;
}

}  // namespace

TEST_CASE(
    "a PostgreSQL partitioned table made by ferry's own DDL keeps its partitions, its keys and "
    "indexes, and each partition's own index and check",
    "[partition_schema][postgresql]") {
  TestDatabase source(Db::kPostgres, "pschema_src");
  TestDatabase dest(Db::kPostgres, "pschema_dst");
  source.Exec(kRentals);
  CHECK(!Has(CheckThenRun(Ends(source, dest) + " --schema-from ferry"), "partitioned table"));

  CHECK(dest.QueryValue("SELECT count(*) FROM pg_inherits WHERE inhparent = 'rental'::regclass") ==
        "2");
  CHECK(dest.QueryValue("SELECT count(*) FROM ONLY rental_2022_h2") ==
        source.QueryValue("SELECT count(*) FROM ONLY rental_2022_h2"));
  const std::vector<std::string> expected = Structure(source);
  const std::vector<std::string> copied = Structure(dest);
  CHECK(copied == expected);
  // The partition's own index and check under their own names, on that partition only.
  CHECK(dest.QueryValue("SELECT indrelid::regclass::text FROM pg_index WHERE indexrelid = "
                        "'rental_2022_h2_note_idx'::regclass") == "rental_2022_h2");
  CHECK(dest.QueryValue("SELECT conrelid::regclass::text FROM pg_constraint WHERE conname = "
                        "'h1_note_check'") == "rental_2022_h1");
  // The check holds: a row it refuses is refused in its partition.
  FerryResult verify = RunFerry("verify" + Ends(source, dest));
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
}

TEST_CASE(
    "check names a PostgreSQL partitioned table that a column rename makes one plain table, "
    "and the run makes it so with every row",
    "[partition_schema][postgresql]") {
  TestDatabase source(Db::kPostgres, "pschema_src");
  TestDatabase dest(Db::kPostgres, "pschema_dst");
  source.Exec(kRentals);
  TempDir dir;
  const std::string job = dir.File("job.yaml",
                                   "rename:\n  columns:\n"
                                   "    - {table: public.rental, from: note, to: remark}\n",
                                   0600);
  const std::string check = CheckThenRun(Ends(source, dest) + " --job " + ShellQuote(job));
  CHECK(Has(check, "[partitioned table] public.rental"));
  CHECK(Has(check, "renames"));
  CHECK(dest.QueryValue("SELECT relkind FROM pg_class WHERE relname = 'rental'") == "r");
  CHECK(dest.QueryValue("SELECT count(*) FROM rental") == "1500");
  CHECK(dest.QueryValue("SELECT count(*) FROM rental WHERE remark IS NOT NULL") == "1500");
}
