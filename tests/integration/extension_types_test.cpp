// Columns whose types PostgreSQL extensions provide (contrib lo, citext, hstore, ltree, cube,
// isn, earthdistance's earth) and domains, on every path a table can take: a PostgreSQL clone,
// ferry's own DDL (--schema-from ferry), MariaDB and SQLite, and a staging directory into
// PostgreSQL and MariaDB. On each, `ferry check` passing means the run succeeding and verify
// finding the copy identical; what check blocks names table, column, type and what to do, and
// the rest of the tables still copy. A PostgreSQL destination gets the extensions first where
// its user may create them; where it may not, check says so before anything is written.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

std::string Ends(const std::string& source, const std::string& dest) {
  return " --source " + ShellQuote(source) + " --dest " + ShellQuote(dest);
}

// Extension types and domains as real schemas use them: an image table of contrib lo (a domain
// over oid), case-insensitive names and a domain over citext, key-value attributes, label
// paths, cubes, ISBNs, arrays of an extension's type.
const char* const kSchema =
    "CREATE EXTENSION lo;\n"
    "CREATE EXTENSION citext;\n"
    "CREATE EXTENSION hstore;\n"
    "CREATE EXTENSION ltree;\n"
    "CREATE EXTENSION cube;\n"
    "CREATE EXTENSION isn;\n"
    "CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= "
    "2155);\n"
    "CREATE DOMAIN email AS citext CHECK (VALUE LIKE '%_@_%');\n"
    "CREATE TABLE images (id int PRIMARY KEY, raster lo, title text);\n"
    "INSERT INTO images VALUES (1, 16500, 'a'), (2, NULL, 'b'), (3, 4294967295, 'c');\n"
    "CREATE TABLE people (id int PRIMARY KEY, name citext NOT NULL, mail email, born year);\n"
    "INSERT INTO people VALUES (1, 'Ada', 'ada@example.org', 1915), "
    "(2, 'Émile', NULL, NULL);\n"
    "CREATE TABLE things (id int PRIMARY KEY, attrs hstore, path ltree, box cube, book isbn13, "
    "nicks citext[]);\n"
    "INSERT INTO things VALUES (1, 'a=>1, b=>NULL', 'top.science.astronomy', '(1,2),(3,4)', "
    "'978-0-306-40615-7', '{Countess,ADA}'), (2, NULL, NULL, NULL, NULL, NULL)";

// The tables a check's JSON report blocks (none for a blocker about the whole copy).
std::optional<std::set<std::string>> Blocked(const std::string& output) {
  std::set<std::string> out;
  const json report = json::parse(output);
  for (const json& f : report["findings"]) {
    if (f["severity"] != "blocker") continue;
    if (f["table"].get<std::string>().empty()) return std::nullopt;
    out.insert(f["table"].get<std::string>());
  }
  return out;
}

bool Says(const std::string& output, const std::string& table, const std::string& column,
          const std::vector<std::string>& words) {
  const json report = json::parse(output);
  for (const json& f : report["findings"]) {
    if (f["severity"] != "blocker" || f["table"] != table || f["column"] != column) continue;
    bool all = true;
    for (const std::string& w : words) {
      all = all && f["message"].get<std::string>().find(w) != std::string::npos;
    }
    if (all) return true;
  }
  return false;
}

// Whether a warning of check's JSON report, grouped or not, names `where` (table.column) and
// says every one of `words`.
bool Warns(const std::string& output, const std::string& where,
           const std::vector<std::string>& words) {
  const json report = json::parse(output);
  for (const json& f : report["findings"]) {
    if (f["severity"] != "warning") continue;
    const std::string text = f["kind"].get<std::string>() + ": " + f["table"].get<std::string>() +
                             "." + f["column"].get<std::string>() + " " +
                             f["message"].get<std::string>();
    bool all = text.find(where) != std::string::npos;
    for (const std::string& w : words) all = all && text.find(w) != std::string::npos;
    if (all) return true;
  }
  return false;
}

// Check; where it blocks, the blocked tables left out and check again; then, once it passes,
// run and verify must succeed. Returns the tables left out.
std::set<std::string> CheckThenRun(const std::string& source, const std::string& dest,
                                   const std::string& extra = "",
                                   std::string* first_check = nullptr) {
  std::string exclude;
  std::set<std::string> left_out;
  for (int round = 0; round < 2; ++round) {
    FerryResult check = RunFerry("check" + Ends(source, dest) + extra + exclude + " --json");
    INFO("check" << exclude << ": " << check.output);
    if (round == 0 && first_check) *first_check = check.output;
    if (check.exit_code != 0) {
      REQUIRE(check.exit_code == 4);
      if (round > 0) FAIL("check still blocks" << exclude << ": " << check.output);
      std::optional<std::set<std::string>> blocked = Blocked(check.output);
      REQUIRE(blocked);
      for (const std::string& t : *blocked) {
        exclude += " --exclude " + ShellQuote(t);
        left_out.insert(t);
      }
      continue;
    }
    FerryResult run = RunFerry("run" + Ends(source, dest) + extra + exclude);
    INFO("run: " << run.output);
    REQUIRE(run.exit_code == 0);
    FerryResult verify = RunFerry("verify" + Ends(source, dest) + exclude);
    INFO("verify: " << verify.output);
    CHECK(verify.exit_code == 0);
    break;
  }
  return left_out;
}

const std::string kTypes =
    "SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) FROM "
    "pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = "
    "c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT "
    "a.attisdropped AND c.relname NOT LIKE 'ferry%' ORDER BY 1";

const std::string kValues[] = {
    "SELECT id, raster::text, title FROM images ORDER BY id",
    "SELECT id, name::text, mail::text, born FROM people ORDER BY id",
    "SELECT id, attrs::text, path::text, box::text, book::text, nicks::text FROM things ORDER BY "
    "id"};

void SameValues(TestDatabase& source, TestDatabase& dest) {
  for (const std::string& sql : kValues) {
    INFO(sql);
    CHECK(RowLines(dest, sql) == RowLines(source, sql));
  }
}

// A login role owning `db` (not a superuser, as in cloud PostgreSQL), dropped when the test ends.
struct OwnerRole {
  TestDatabase& admin;
  std::string name;
  OwnerRole(TestDatabase& admin_db, const std::string& hint)
      : admin(admin_db), name(hint + "_" + std::to_string(getpid())) {
    admin.Exec("DROP ROLE IF EXISTS " + name);
    admin.Exec("CREATE ROLE " + name + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '" +
               TestPassword() + "'");
  }
  ~OwnerRole() {
    try {
      admin.Exec("DROP ROLE IF EXISTS " + name);
    } catch (...) {
      // A failed cleanup must not hide the test's result.
    }
  }
  std::string Own(TestDatabase& db) {
    admin.Exec("ALTER DATABASE " + db.name() + " OWNER TO " + name);
    admin.Exec("GRANT CREATE ON DATABASE " + db.name() + " TO " + name);
    std::string url = db.Url();
    url.replace(url.find("ferry@"), 5, name);
    return url;
  }
};

}  // namespace

TEST_CASE("extension types and domains copy PostgreSQL to PostgreSQL, cloned or with ferry's DDL",
          "[extension_types][postgresql]") {
  for (const char* how : {"", " --schema-from ferry"}) {
    DYNAMIC_SECTION("schema from " << (*how ? "ferry" : "pg_dump")) {
      TestDatabase source(Db::kPostgres, "ext_src");
      TestDatabase dest(Db::kPostgres, "ext_dst");
      source.Exec(kSchema);
      const std::set<std::string> left_out = CheckThenRun(source.Url(), dest.Url(), how);
      CHECK(left_out.empty());
      // The columns have the source's types: the extensions and domains exist there.
      CHECK(RowLines(dest, kTypes) == RowLines(source, kTypes));
      SameValues(source, dest);
      // The domains check at the destination as at the source.
      CHECK_THROWS(dest.Exec("INSERT INTO people (id, name, born) VALUES (9, 'x', 1800)"));
      CHECK_THROWS(dest.Exec("INSERT INTO people (id, name, mail) VALUES (9, 'x', 'nobody')"));
    }
  }
}

TEST_CASE(
    "extension types PostgreSQL to MariaDB and SQLite: mapped where exact, else blocked "
    "by check naming the column, its type and its extension",
    "[extension_types][postgresql][mariadb][sqlite]") {
  for (Db to : {Db::kMariaDB, Db::kSQLite}) {
    DYNAMIC_SECTION("PostgreSQL to " << DbName(to)) {
      TestDatabase source(Db::kPostgres, "ext_src");
      TestDatabase dest(to, "ext_dst");
      source.Exec(kSchema);
      std::string check;
      const std::set<std::string> left_out = CheckThenRun(source.Url(), dest.Url(), "", &check);
      // lo is an oid, citext text: copied. hstore, ltree, cube, isbn13 and citext[] have no
      // counterpart: they travel as their exact text, and check names each under [text form].
      CHECK(left_out.empty());
      for (const char* column : {"attrs", "path", "box", "book", "nicks"}) {
        INFO(column);
        CHECK(Warns(check, "public.things." + std::string(column), {"text form"}));
      }
      CHECK(dest.QueryValue("SELECT attrs FROM things WHERE id = 1") ==
            source.QueryValue("SELECT attrs::text FROM things WHERE id = 1"));
      CHECK(dest.QueryValue("SELECT book FROM things WHERE id = 1") ==
            source.QueryValue("SELECT book::text FROM things WHERE id = 1"));
      CHECK(dest.QueryValue("SELECT count(*) FROM images") == "3");
      CHECK(dest.QueryValue("SELECT raster FROM images WHERE id = 3") == "4294967295");
      CHECK(dest.QueryValue("SELECT name FROM people WHERE id = 2") == "Émile");
    }
  }
}

TEST_CASE("extension types through a staging directory into PostgreSQL and MariaDB",
          "[extension_types][staging][postgresql][mariadb]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "ext_src");
  source.Exec(kSchema);
  const std::string dir = "dir:" + temp.path() + "/stage";
  FerryResult exported = RunFerry("run" + Ends(source.Url(), dir));
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  SECTION("into PostgreSQL: the extensions and domains are made before the tables") {
    TestDatabase dest(Db::kPostgres, "ext_imp");
    CHECK(CheckThenRun(dir, dest.Url()).empty());
    CHECK(RowLines(dest, kTypes) == RowLines(source, kTypes));
    SameValues(source, dest);
    FerryResult direct = RunFerry("verify" + Ends(source.Url(), dest.Url()));
    INFO(direct.output);
    CHECK(direct.exit_code == 0);
  }
  SECTION("into MariaDB: the types without a counterpart travel as their exact text") {
    TestDatabase dest(Db::kMariaDB, "ext_imp");
    CHECK(CheckThenRun(dir, dest.Url()).empty());
    CHECK(dest.QueryValue("SELECT count(*) FROM people") == "2");
    CHECK(dest.QueryValue("SELECT path FROM things WHERE id = 1") == "top.science.astronomy");
  }
}

TEST_CASE(
    "a destination user who may not create a column's extension is told by check, "
    "and the run creates those it may",
    "[extension_types][postgresql]") {
  TestDatabase admin(Db::kPostgres, "ext_admin");
  OwnerRole owner(admin, "ext_owner");
  TestDatabase source(Db::kPostgres, "ext_src");
  TestDatabase dest(Db::kPostgres, "ext_dst");
  // earthdistance is not trusted: only a superuser creates it. lo is: the database's owner
  // creates it.
  source.Exec(
      "CREATE EXTENSION lo;\n"
      "CREATE EXTENSION cube;\n"
      "CREATE EXTENSION earthdistance;\n"
      "CREATE TABLE images (id int PRIMARY KEY, raster lo);\n"
      "INSERT INTO images VALUES (1, 17000);\n"
      "CREATE TABLE places (id int PRIMARY KEY, spot earth);\n"
      "INSERT INTO places VALUES (1, ll_to_earth(52.5, 13.4))");
  const std::string url = owner.Own(dest);
  SECTION("with ferry's DDL, check names the column whose extension it cannot create") {
    std::string check;
    const std::set<std::string> left_out =
        CheckThenRun(source.Url(), url, " --schema-from ferry", &check);
    INFO(check);
    CHECK(left_out == std::set<std::string>{"public.places"});
    CHECK(Says(check, "public.places", "spot", {"earth", "earthdistance", "not trusted"}));
    // The trusted one was created by the database's owner.
    CHECK(dest.QueryValue("SELECT raster::text FROM images") == "17000");
    CHECK(dest.QueryValue("SELECT count(*) FROM pg_extension WHERE extname = 'lo'") == "1");
  }
  SECTION("a clone cannot leave the table out of its schema: check blocks, and so does the run") {
    FerryResult check = RunFerry("check" + Ends(source.Url(), url) + " --json");
    INFO(check.output);
    CHECK(check.exit_code == 4);
    CHECK(check.output.find("earthdistance") != std::string::npos);
    FerryResult run = RunFerry("run" + Ends(source.Url(), url));
    INFO(run.output);
    CHECK(run.exit_code != 0);
    CHECK(dest.QueryValue("SELECT count(*) FROM pg_class WHERE relname = 'places'") == "0");
  }
  SECTION("created there first by an administrator, it is taken as it is") {
    dest.Exec(
        "CREATE EXTENSION IF NOT EXISTS cube;\n"
        "CREATE EXTENSION IF NOT EXISTS earthdistance");
    CHECK(CheckThenRun(source.Url(), url, " --schema-from ferry").empty());
    CHECK(RowLines(dest, "SELECT id, spot::text FROM places") ==
          RowLines(source, "SELECT id, spot::text FROM places"));
  }
}

TEST_CASE("a plan file's trial DDL finds the extension types and domains made first",
          "[extension_types][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "ext_src");
  TestDatabase dest(Db::kPostgres, "ext_dst");
  source.Exec(kSchema);
  const std::string plan = temp.path() + "/plan.json";
  FerryResult planned = RunFerry("plan -o " + ShellQuote(plan) + Ends(source.Url(), dest.Url()));
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  FerryResult run = RunFerry("run --plan " + ShellQuote(plan) + " --schema-from ferry");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(RowLines(dest, kTypes) == RowLines(source, kTypes));
  SameValues(source, dest);
}
