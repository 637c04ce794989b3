// Where MariaDB's spatial columns land: the same type in MariaDB, and bytes holding EWKB
// (copier/spatial.hpp) in PostgreSQL without PostGIS and in SQLite, so the converter rewrites
// each value and verify compares both ends as EWKB.
#include <catch2/catch.hpp>

#include "copier/row_hash.hpp"
#include "drivers/mariadb/mariadb_dialect.hpp"
#include "drivers/postgres/postgres_dialect.hpp"
#include "drivers/sql/dialect.hpp"
#include "drivers/sqlite/sqlite_dialect.hpp"

using namespace ferry;

TEST_CASE("a MariaDB spatial column becomes EWKB bytes in PostgreSQL and SQLite", "[spatial]") {
  ColumnType point;
  point.kind = TypeKind::kBlob;
  point.native = "point";
  point.spatial = "point";
  point.srid = 4326;
  point.srid_prefixed = true;

  const ColumnType pg = MakePostgresDialect()->MapType(point, Engine::kMariaDB);
  CHECK(pg.native == "bytea");
  CHECK(pg.kind == TypeKind::kBlob);
  CHECK_FALSE(pg.srid_prefixed);
  CHECK(pg.spatial.empty());
  const ColumnType lite = MakeSqliteDialect()->MapType(point, Engine::kMariaDB);
  CHECK(lite.native == "BLOB");
  CHECK_FALSE(lite.srid_prefixed);
  CHECK(CanonicalFormFor(point, pg) == CanonicalForm::kSpatial);
  CHECK(CanonicalFormFor(point, lite) == CanonicalForm::kSpatial);

  // Between MariaDB databases the column is made as declared and its values copied as they are.
  const ColumnType same = MakeMariaDbDialect()->MapType(point, Engine::kMariaDB);
  CHECK(same.native == "point");
  CHECK(same.srid_prefixed);
  CHECK(CanonicalFormFor(point, same) == CanonicalForm::kBytes);
}
