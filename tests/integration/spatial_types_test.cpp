// MariaDB's spatial columns into engines without a spatial type: every geometry kind, an SRID,
// NULL and an empty collection land as bytes holding each value's EWKB (what PostGIS's
// ST_GeomFromEWKB reads), judged here against EWKB the source server builds itself; check says
// so in one grouped warning and names the spatial index it leaves out; verify finds the copy
// identical and a moved point. Where the PostgreSQL server has PostGIS, the way back check gives
// (ST_GeomFromEWKB) makes each value the geometry it was, SRID included.
#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/ferry_command.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

const char* const kSchema =
    "CREATE TABLE shapes (id int PRIMARY KEY, g geometry, p point REF_SYSTEM_ID=4326, "
    "l linestring, a polygon, mp multipoint, ml multilinestring, mpg multipolygon, "
    "gc geometrycollection, loc point NOT NULL, SPATIAL KEY shapes_loc (loc));\n"
    "INSERT INTO shapes VALUES (1, "
    "ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,4 2,4 4,2 4,2 2))', 3857), "
    "ST_GeomFromText('POINT(-73.985 40.748)', 4326), "
    "ST_GeomFromText('LINESTRING(0 0,1 1,2 0.5)'), "
    "ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'), "
    "ST_GeomFromText('MULTIPOINT(1 1,2 2)'), "
    "ST_GeomFromText('MULTILINESTRING((0 0,1 1),(2 2,3 3))'), "
    "ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))'), "
    "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,0.1 0.30000000000000004))'), "
    "POINT(1.5, 2.25)),\n"
    "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ST_GeomFromText('GEOMETRYCOLLECTION EMPTY'), "
    "POINT(0, 0)),\n"
    "(3, ST_GeomFromText('POINT(3 4)', 4326), NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "POINT(-1e-300, 1e300))";

const std::vector<std::string> kColumns = {"g", "p", "l", "a", "mp", "ml", "mpg", "gc", "loc"};

// Each value's EWKB in hex as the MariaDB server builds it from its own WKB and SRID: the
// geometry's byte order and type with the SRID flag, the SRID, then the rest of its WKB.
std::string SourceEwkb(const std::string& c) {
  const std::string wkb = "HEX(ST_AsBinary(`" + c + "`))";
  return "IF(ST_SRID(`" + c + "`) = 0, " + wkb + ", CONCAT(LEFT(" + wkb +
         ", 4), '000020', HEX(REVERSE(UNHEX(LPAD(HEX(ST_SRID(`" + c +
         "`)), 8, '0')))), SUBSTRING(" + wkb + ", 11)))";
}

std::string DestinationHex(Db db, const std::string& c) {
  // SQLite's hex(NULL) is '', not NULL.
  return db == Db::kPostgres
             ? "upper(encode(\"" + c + "\", 'hex'))"
             : "CASE WHEN \"" + c + "\" IS NULL THEN NULL ELSE hex(\"" + c + "\") END";
}

// The rows as lines of text, NULL as "NULL", for a comparison that shows them.
std::string Lines(const std::vector<Row>& rows) {
  std::string out;
  for (const Row& row : rows) {
    for (const auto& value : row) out += (value ? *value : std::string("NULL")) + " ";
    out += "\n";
  }
  return out;
}

bool HasFinding(const std::string& check_json, const std::string& severity, const std::string& kind,
                const std::vector<std::string>& words) {
  for (const json report = json::parse(check_json); const json& f : report["findings"]) {
    if (f["severity"] != severity || f["kind"] != kind) continue;
    bool all = true;
    for (const std::string& w : words) all = all && Has(f.dump(), w);
    if (all) return true;
  }
  return false;
}

void SpatialAsEwkb(Db to) {
  TestDatabase source(Db::kMariaDB, "spatial_src");
  TestDatabase dest(to, "spatial_dst");
  source.Exec(kSchema);

  FerryResult check = RunFerry("check" + Ends(source, dest) + " --json");
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 0);
  CHECK(HasFinding(check.output, "warning", "spatial as bytes",
                   {"ST_GeomFromEWKB", "shapes", "loc", "gc", "geometrycollection"}));
  CHECK(HasFinding(check.output, "warning", "not carried", {"shapes_loc"}));

  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  for (const std::string& c : kColumns) {
    INFO("column " << c);
    const std::string expected =
        Lines(source.Query("SELECT id, " + SourceEwkb(c) + " FROM shapes ORDER BY id"));
    const std::string copied =
        Lines(dest.Query("SELECT id, " + DestinationHex(to, c) + " FROM shapes ORDER BY id"));
    CHECK(copied == expected);
  }
  // One point by its bytes: POINT(1.5 2.25) without an SRID is plain little-endian WKB.
  CHECK(dest.QueryValue("SELECT " + DestinationHex(to, "loc") + " FROM shapes WHERE id = 1") ==
        "0101000000000000000000F83F0000000000000240");

  FerryResult verify = RunFerry("verify" + Ends(source, dest));
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);

  source.Exec("UPDATE shapes SET p = ST_GeomFromText('POINT(-73.985 40.7481)', 4326) WHERE id = 1");
  FerryResult moved = RunFerry("verify" + Ends(source, dest));
  INFO("verify after a point moved: " << moved.output);
  CHECK(moved.exit_code == 1);
  CHECK(Has(moved.output, "shapes"));
}

}  // namespace

TEST_CASE("MariaDB spatial columns copy into PostgreSQL without PostGIS as their exact EWKB",
          "[spatial][mariadb][postgresql]") {
  SpatialAsEwkb(Db::kPostgres);
}

TEST_CASE("MariaDB spatial columns copy into SQLite as their exact EWKB",
          "[spatial][mariadb][sqlite]") {
  SpatialAsEwkb(Db::kSQLite);
}

TEST_CASE(
    "the EWKB a MariaDB spatial column lands as in PostgreSQL is, through PostGIS's "
    "ST_GeomFromEWKB, the geometry the source holds",
    "[spatial][mariadb][postgresql][postgis]") {
  TestDatabase source(Db::kMariaDB, "spatial_src");
  TestDatabase dest(Db::kPostgres, "spatial_dst");
  if (dest.QueryValue("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'") ==
      "0") {
    MarkSkipped("PostGIS is not installed on the PostgreSQL test server");
    return;
  }
  source.Exec(kSchema);
  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  dest.Exec("CREATE EXTENSION postgis");
  for (const std::string& c : kColumns) {
    INFO("column " << c);
    dest.Exec("ALTER TABLE shapes ALTER COLUMN " + c + " TYPE geometry USING ST_GeomFromEWKB(" + c +
              ")");
    const std::string expected = Lines(source.Query("SELECT id, " + SourceEwkb(c) + ", ST_SRID(`" +
                                                    c + "`) FROM shapes ORDER BY id"));
    const std::string geometries =
        Lines(dest.Query("SELECT id, upper(encode(ST_AsEWKB(" + c + "), 'hex')), ST_SRID(" + c +
                         ") FROM shapes ORDER BY id"));
    CHECK(geometries == expected);
  }
  CHECK(dest.QueryValue("SELECT ST_AsText(p) FROM shapes WHERE id = 1") == "POINT(-73.985 40.748)");
}

TEST_CASE(
    "a MariaDB spatial column keeps its REF_SYSTEM_ID into MariaDB, cloned or made by ferry's "
    "own DDL",
    "[spatial][mariadb]") {
  for (const std::string schema_from : {"tool", "ferry"}) {
    DYNAMIC_SECTION("--schema-from " << schema_from) {
      TestDatabase source(Db::kMariaDB, "spatial_src");
      TestDatabase dest(Db::kMariaDB, "spatial_dst");
      source.Exec(kSchema);
      source.Exec(
          "CREATE TABLE places (id int PRIMARY KEY, at point REF_SYSTEM_ID=4326 NOT NULL, "
          "area polygon REF_SYSTEM_ID=3857, SPATIAL KEY places_at (at));\n"
          "INSERT INTO places VALUES (1, ST_GeomFromText('POINT(2.35 48.85)', 4326), "
          "ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 3857))");
      const std::string args = Ends(source, dest) + " --schema-from " + schema_from;
      FerryResult check = RunFerry("check" + args);
      INFO("check: " << check.output);
      REQUIRE(check.exit_code == 0);
      FerryResult run = RunFerry("run" + args);
      INFO("run: " << run.output);
      REQUIRE(run.exit_code == 0);
      const std::string srids =
          "SELECT g_table_name, g_geometry_column, srid FROM information_schema.geometry_columns "
          "WHERE g_table_schema = DATABASE() ORDER BY 1, 2";
      const std::vector<std::string> expected = RowLines(source, srids);
      CHECK(std::find(expected.begin(), expected.end(), "places|at|4326") != expected.end());
      CHECK(RowLines(dest, srids) == expected);
      FerryResult verify = RunFerry("verify" + Ends(source, dest));
      INFO("verify: " << verify.output);
      CHECK(verify.exit_code == 0);
    }
  }
}
