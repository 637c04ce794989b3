// Types one engine has and another does not, on every pair they apply to. PostgreSQL arrays,
// full-text vectors, geometric types, intervals, network addresses, bit strings, XML, ranges and
// the like go into MariaDB and SQLite as PostgreSQL's own text of each value (exact, compared
// value by value here and by verify), with their tables' foreign keys. What has no exact mapping
// (MariaDB's INET6 outside MariaDB) is a blocker in check naming table, column, type and what to
// do, and check names the foreign keys a blocked table takes with it (spatial_types_test: MariaDB's
// spatial types, which do cross). SQLite's COLLATE
// NOCASE keys stay case-insensitive in PostgreSQL and compare exactly in MariaDB.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

// Pagila's film (text[] special_features, tsvector fulltext) and film_actor; the PostgreSQL
// documentation's sal_emp (arrays of integers and two-dimensional arrays of text) with elements
// that need quoting, NULL elements and a lower bound other than 1; its geometric types' examples;
// and the other built-in types no other engine has.
const char* const kPostgresSchema = R"sql(
CREATE TABLE film (film_id serial PRIMARY KEY, title text NOT NULL, special_features text[],
  fulltext tsvector NOT NULL);
INSERT INTO film (title, special_features, fulltext) VALUES
  ('ACADEMY DINOSAUR', '{"Deleted Scenes","Behind the Scenes"}',
   to_tsvector('english', 'ACADEMY DINOSAUR A Epic Drama of a Feminist And a Mad Scientist who must Battle a Teacher in The Canadian Rockies')),
  ('ACE GOLDFINGER', '{Trailers,"Deleted Scenes"}',
   to_tsvector('english', 'ACE GOLDFINGER A Astounding Epistle of a Database Administrator And a Explorer who must Find a Car in Ancient China')),
  ('ADAPTATION HOLES', '{}', ''),
  ('AFFAIR PREJUDICE', NULL, 'a:1A b:2B,3C ''don''''t'':4');
CREATE TABLE film_actor (actor_id integer NOT NULL, film_id integer NOT NULL REFERENCES film,
  PRIMARY KEY (actor_id, film_id));
INSERT INTO film_actor VALUES (1, 1), (10, 1), (20, 2), (30, 4);
CREATE TABLE sal_emp (name text PRIMARY KEY, pay_by_quarter integer[], schedule text[][],
  ratios float8[]);
INSERT INTO sal_emp VALUES
  ('Bill', '{10000, 10000, 10000, 10000}', '{{"meeting", "lunch"}, {"training", "presentation"}}',
   '{0.1,0.30000000000000004,1e-300}'),
  ('Carol', '{20000, 25000, 25000, 25000}', '{{"breakfast", "consulting"}, {"meeting", "lunch"}}',
   '{NaN,-Infinity,-0}'),
  ('Dora', '[0:1]={7,NULL}', '{{"a,b","q\"uote"},{NULL,"back\\slash"}}', '{}'),
  ('Eve', NULL, NULL, NULL);
CREATE TABLE shapes (id integer PRIMARY KEY, p point, l line, s lseg, b box, open_path path,
  closed_path path, poly polygon, c circle);
INSERT INTO shapes VALUES
  (1, '(1,2)', '{1,-1,0}', '[(1,2),(3,4)]', '(3,4),(1,2)', '[(1,2),(3,4),(5,6)]',
   '((0,0),(1,1),(2,0))', '((0,0),(1,1),(2,0))', '<(1,2),3>'),
  (2, '(0.1,0.30000000000000004)', '{0.5,2,-1e-10}', '[(-1.5,2),(3,4e20)]', '(1e-300,0),(0,-1e300)',
   '[(0,0)]', '((1,1),(2,2))', '((0.1,0.2),(0.3,0.4),(0.5,0.6))', '<(0,0),0.1>'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE misc (id integer PRIMARY KEY, span interval, addr inet, net cidr, mac macaddr,
  flags bit(8), mask varbit(20), page xml, query tsquery, during int4range, stamps tsrange,
  words tsvector[]);
INSERT INTO misc VALUES
  (1, '1 year 2 mons 3 days 04:05:06.789', '192.168.100.128/25', '10.1.0.0/16',
   '08:00:2b:01:02:03', B'10100101', B'1101', '<doc><p lang="fr">été</p></doc>',
   'fat & (rat | cat)', '[10,20)', '[2024-01-01 00:00,2024-02-01 12:30:00.5)', '{"a:1 b:2"}'),
  (2, '-3 days', '::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', B'00000000', B'', '<empty/>',
   '''supernova'' & !star', 'empty', '(,)', '{}'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
)sql";

// Each column of the tables above as PostgreSQL prints it, by key.
const std::vector<std::pair<std::string, std::vector<std::string>>> kColumns = {
    {"film", {"film_id", "title", "special_features", "fulltext"}},
    {"film_actor", {"actor_id", "film_id"}},
    {"sal_emp", {"name", "pay_by_quarter", "schedule", "ratios"}},
    {"shapes", {"id", "p", "l", "s", "b", "open_path", "closed_path", "poly", "c"}},
    {"misc",
     {"id", "span", "addr", "net", "mac", "flags", "mask", "page", "query", "during", "stamps",
      "words"}}};

std::vector<std::string> Column(TestDatabase& db, const std::string& table, const std::string& key,
                                const std::string& column) {
  const std::string value = db.db() == Db::kPostgres  ? "\"" + column + "\"::text"
                            : db.db() == Db::kMariaDB ? "`" + column + "`"
                                                      : "\"" + column + "\"";
  return RowLines(db, "SELECT " + value + " FROM " + table + " ORDER BY " + key);
}

bool HasFinding(const std::string& check_json, const std::string& severity, const std::string& kind,
                const std::vector<std::string>& words) {
  for (const json report = json::parse(check_json); const json& f : report["findings"]) {
    if (f["severity"] != severity || f["kind"] != kind) continue;
    bool all = true;
    for (const std::string& w : words) all = all && Has(f["message"].get<std::string>(), w);
    if (all) return true;
  }
  return false;
}

bool Blocks(const std::string& check_json) {
  for (const json report = json::parse(check_json); const json& f : report["findings"]) {
    if (f["severity"] == "blocker") return true;
  }
  return false;
}

void PostgresTypesAsText(Db to) {
  TestDatabase source(Db::kPostgres, "xtypes_src");
  TestDatabase dest(to, "xtypes_dst");
  source.Exec(kPostgresSchema);
  FerryResult check = RunFerry("check" + Ends(source, dest) + " --json");
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 0);
  CHECK_FALSE(Blocks(check.output));
  CHECK(HasFinding(check.output, "warning", "text form", {"special_features", "text[] as"}));
  CHECK(HasFinding(check.output, "warning", "text form", {"fulltext", "tsvector as", "full-text"}));
  CHECK(HasFinding(check.output, "warning", "text form", {"poly", "polygon as"}));

  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  for (const auto& [table, columns] : kColumns) {
    for (const std::string& column : columns) {
      INFO(table << "." << column);
      CHECK(LinesDifference(Column(source, table, columns[0], column),
                            Column(dest, table, columns[0], column)) == "");
    }
  }
  // The foreign key to the table of arrays and vectors came with it.
  const std::string keys =
      to == Db::kMariaDB
          ? "SELECT count(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE "
            "CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'film_actor' AND "
            "REFERENCED_TABLE_NAME = 'film'"
          : "SELECT count(*) FROM pragma_foreign_key_list('film_actor') WHERE \"table\" = 'film'";
  CHECK(dest.QueryValue(keys) == "1");
  FerryResult verify = RunFerry("verify" + Ends(source, dest));
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
}

// A MariaDB table with a column of a type ferry has no mapping for, a table that references it,
// and one that does not.
const char* const kUnmappedSchema =
    "CREATE TABLE place (id int PRIMARY KEY, name varchar(40), addr inet6);\n"
    "INSERT INTO place VALUES (1, 'a', '2001:db8::1'), (2, 'b', NULL);\n"
    "CREATE TABLE visit (id int PRIMARY KEY, place_id int, CONSTRAINT visit_place FOREIGN KEY "
    "(place_id) REFERENCES place (id));\n"
    "INSERT INTO visit VALUES (1, 1), (2, 2), (3, NULL);\n"
    "CREATE TABLE note (id int PRIMARY KEY, body text);\n"
    "INSERT INTO note VALUES (1, 'x')";

void UnmappedBlocksWithItsKeys(Db to) {
  TestDatabase source(Db::kMariaDB, "xunmapped_src");
  TestDatabase dest(to, "xunmapped_dst");
  source.Exec(kUnmappedSchema);
  FerryResult check = RunFerry("check" + Ends(source, dest) + " --json");
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 4);
  bool named = false;
  for (const json report = json::parse(check.output); const json& f : report["findings"]) {
    if (f["severity"] != "blocker") continue;
    CHECK(f["table"] == source.name() + ".place");
    named = named || (f["column"] == "addr" && Has(f["message"], "inet6") &&
                      Has(f["message"], "--exclude " + source.name() + ".place"));
  }
  CHECK(named);
  CHECK(HasFinding(check.output, "warning", "foreign key to blocked table",
                   {"visit_place", source.name() + ".place", "--exclude"}));

  // Left out, the rest copies; the run's summary names the key it did not create.
  const std::string exclude = " --exclude " + ShellQuote(source.name() + ".place");
  FerryResult again = RunFerry("check" + Ends(source, dest) + exclude + " --json");
  INFO("check again: " << again.output);
  REQUIRE(again.exit_code == 0);
  CHECK(HasFinding(again.output, "warning", "foreign key out of scope", {"visit_place"}));
  FerryResult run = RunFerry("run" + Ends(source, dest) + exclude);
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(Has(run.output, "visit_place"));
  CHECK(dest.QueryValue("SELECT count(*) FROM visit") == "3");
  CHECK(dest.QueryValue("SELECT count(*) FROM note") == "1");
}

// SQLite keys that ignore case: on the column, in a unique index over a column that does not,
// and a primary key; a CHECK whose comparison ignores case through its column's collation; and a
// table whose key does not ignore case.
const char* const kNocaseSchema =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE NOT NULL UNIQUE, "
    "nick TEXT, plain TEXT UNIQUE);\n"
    "CREATE UNIQUE INDEX users_nick ON users (nick COLLATE NOCASE);\n"
    "INSERT INTO users VALUES (1, 'Ada@Example.org', 'ada', 'x'), (2, 'bob@example.org', 'Bob', "
    "'X'), (3, 'Émile@example.org', NULL, NULL);\n"
    "CREATE TABLE status (code TEXT COLLATE NOCASE PRIMARY KEY CHECK (code IN ('open', "
    "'closed')), label TEXT);\n"
    "INSERT INTO status VALUES ('Open', 'is open'), ('CLOSED', 'is closed');\n"
    "CREATE TABLE ticket (id INTEGER PRIMARY KEY, status TEXT REFERENCES status (code));\n"
    "INSERT INTO ticket VALUES (1, 'Open'), (2, 'CLOSED'), (3, 'closed')";

// Whether `sql` fails at `db` (a duplicate key, as the source would refuse).
bool Refused(TestDatabase& db, const std::string& sql) {
  try {
    db.Exec(sql);
  } catch (const std::exception&) {
    return true;
  }
  return false;
}

void NocaseKeysStayCaseInsensitive(Db to) {
  TestDatabase source(Db::kSQLite, "xnocase_src");
  TestDatabase dest(to, "xnocase_dst");
  source.Exec(kNocaseSchema);
  // The source refuses what differs only in case.
  REQUIRE(Refused(source, "INSERT INTO users VALUES (9, 'ADA@example.ORG', NULL, NULL)"));
  FerryResult check = RunFerry("check" + Ends(source, dest) + " --json");
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 0);
  // MariaDB's collations that ignore case fold beyond ASCII (É and é): its keys compare exactly.
  const char* const kind = to == Db::kMariaDB ? "case-sensitive key" : "case-insensitive text";
  CHECK(HasFinding(check.output, "warning", kind, {"email"}));
  CHECK(HasFinding(check.output, "warning", kind, {"nick"}));
  // SQLite finds ticket 3's parent ignoring case; another engine's key would not: not created.
  CHECK(HasFinding(check.output, "warning", "dangling references", {"(status)=(closed)"}));
  // The check whose IN ignores case through its column's collation is named, not carried.
  CHECK(HasFinding(check.output, "warning", "check constraint",
                   {"code IN ('open', 'closed')", "ignoring case"}));
  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  for (const std::string& sql :
       {std::string("SELECT id, email, nick, plain FROM users ORDER BY id"),
        std::string("SELECT id, status FROM ticket ORDER BY id")}) {
    INFO(sql);
    CHECK(LinesDifference(RowLines(source, sql), RowLines(dest, sql)) == "");
  }
  CHECK(RowLines(dest, "SELECT label FROM status ORDER BY label") ==
        std::vector<std::string>{"is closed", "is open"});
  FerryResult verify = RunFerry("verify" + Ends(source, dest));
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
  if (to == Db::kMariaDB) {
    CHECK_FALSE(Refused(dest, "INSERT INTO status VALUES ('open', 'minds case')"));
    return;
  }
  CHECK(Refused(dest, "INSERT INTO users VALUES (9, 'ADA@example.ORG', NULL, NULL)"));
  CHECK(Refused(dest, "INSERT INTO users VALUES (9, 'new@example.org', 'BOB', NULL)"));
  CHECK(Refused(dest, "INSERT INTO status VALUES ('open', 'again')"));
  // What differs in more than case still goes in, and a key that minds case still does.
  CHECK_FALSE(Refused(dest, "INSERT INTO users VALUES (10, 'emile@example.org', 'ada2', 'x ')"));
  CHECK_FALSE(Refused(dest, "INSERT INTO status VALUES ('pending', 'not in the check')"));
}

// Sakila's film as MariaDB declares it: YEAR, SET, unsigned counters; and a BIT(8) of flags.
const char* const kMariaSchema =
    "CREATE TABLE film (film_id smallint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, "
    "release_year year, special_features set('Trailers','Commentaries','Deleted Scenes',"
    "'Behind the Scenes'), flags bit(8), big bigint unsigned, tiny tinyint unsigned);\n"
    "INSERT INTO film VALUES (1, 2006, 'Deleted Scenes,Behind the Scenes', b'10100101', "
    "18446744073709551615, 255), (2, 1901, '', b'0', 0, 0), (65535, 2155, "
    "'Trailers,Commentaries,Deleted Scenes,Behind the Scenes', b'11111111', 1, 1), "
    "(4, NULL, NULL, NULL, NULL, NULL)";

void MariaTypesByValue(Db to) {
  TestDatabase source(Db::kMariaDB, "xmaria_src");
  TestDatabase dest(to, "xmaria_dst");
  source.Exec(kMariaSchema);
  FerryResult check = RunFerry("check" + Ends(source, dest) + " --json");
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 0);
  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  const std::vector<std::pair<std::string, std::string>> columns = {
      {"film_id", "film_id"},
      {"release_year", "release_year"},
      {"special_features", "special_features"},
      {"CAST(flags AS UNSIGNED)", "flags"},
      {"big", "big"},
      {"tiny", "tiny"}};
  for (const auto& [at_source, at_dest] : columns) {
    INFO(at_dest);
    CHECK(RowLines(dest, "SELECT " + at_dest + " FROM film ORDER BY film_id") ==
          RowLines(source, "SELECT " + at_source + " FROM film ORDER BY film_id"));
  }
  FerryResult verify = RunFerry("verify" + Ends(source, dest));
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
}

}  // namespace

TEST_CASE("MariaDB YEAR, SET, BIT and unsigned columns copy into PostgreSQL value by value",
          "[cross-types][mariadb][postgresql]") {
  MariaTypesByValue(Db::kPostgres);
}

TEST_CASE("MariaDB YEAR, SET, BIT and unsigned columns copy into SQLite value by value",
          "[cross-types][mariadb][sqlite]") {
  MariaTypesByValue(Db::kSQLite);
}

TEST_CASE("PostgreSQL arrays, vectors and geometric types copy into MariaDB as their exact text",
          "[cross-types][postgresql][mariadb]") {
  PostgresTypesAsText(Db::kMariaDB);
}

TEST_CASE("PostgreSQL arrays, vectors and geometric types copy into SQLite as their exact text",
          "[cross-types][postgresql][sqlite]") {
  PostgresTypesAsText(Db::kSQLite);
}

TEST_CASE("a MariaDB INET6 column into PostgreSQL blocks its table, naming the keys to it",
          "[cross-types][mariadb][postgresql]") {
  UnmappedBlocksWithItsKeys(Db::kPostgres);
}

TEST_CASE("a MariaDB INET6 column into SQLite blocks its table, naming the keys to it",
          "[cross-types][mariadb][sqlite]") {
  UnmappedBlocksWithItsKeys(Db::kSQLite);
}

TEST_CASE("SQLite keys declared COLLATE NOCASE stay case-insensitive in PostgreSQL",
          "[cross-types][nocase][sqlite][postgresql]") {
  NocaseKeysStayCaseInsensitive(Db::kPostgres);
}

TEST_CASE("SQLite keys declared COLLATE NOCASE compare exactly in MariaDB, as check says",
          "[cross-types][nocase][sqlite][mariadb]") {
  NocaseKeysStayCaseInsensitive(Db::kMariaDB);
}
