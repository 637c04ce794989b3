// What each engine says about itself as data (drivers/engine.hpp factories, DialectQuirks and
// the EngineTraits the scheduler reads instead of engine names), and how its ODBC driver is
// given values (drivers/odbc/codec.hpp), without a server.
#include <catch2/catch.hpp>

#include <string>

#include "drivers/connection_string.hpp"
#include "drivers/engine.hpp"
#include "drivers/mariadb/mariadb_dialect.hpp"
#include "drivers/odbc/codec.hpp"
#include "drivers/postgres/postgres_dialect.hpp"
#include "drivers/sqlite/sqlite_dialect.hpp"

using namespace ferry;

namespace {

ColumnType Kind(TypeKind kind) {
  ColumnType t;
  t.kind = kind;
  t.width_bits = 64;
  return t;
}

}  // namespace

TEST_CASE("every engine registers a factory with its URL schemes, product words and opener",
          "[engines]") {
  std::string schemes;
  for (const EngineFactory& engine : Engines()) {
    CHECK(engine.open != nullptr);
    // A staging directory is never reached through ODBC: no product words.
    CHECK(engine.product_words.empty() == (engine.engine == Engine::kFiles));
    for (const UrlScheme& s : engine.schemes) schemes += s.name + " ";
  }
  CHECK(schemes == "postgresql postgres mysql mariadb sqlite dir ");
}

TEST_CASE("a URL's scheme picks its engine's ODBC driver and default port from the registry",
          "[engines]") {
  ConnectionOptions options;
  options.role = "source";
  options.password_env = "FERRY_TEST_UNSET_PASSWORD";
  ResolvedConnection pg = ResolveConnection("postgres://u@h/db", options);
  CHECK(pg.scheme == "postgres");
  CHECK(pg.odbc.find("Driver={PostgreSQL Unicode}") != std::string::npos);
  CHECK(pg.display == "postgres://u@h:5432/db");
  ResolvedConnection maria = ResolveConnection("mariadb://u@h/db", options);
  CHECK(maria.display == "mariadb://u@h:3306/db");
  ResolvedConnection lite = ResolveConnection("sqlite:/tmp/x.db", options);
  CHECK(lite.scheme == "sqlite");
  CHECK(lite.file == "/tmp/x.db");
}

TEST_CASE("each engine's traits say its identifier limit and where object names must be unique",
          "[engines]") {
  const EngineTraits pg = MakePostgresDialect()->quirks().traits;
  CHECK(pg.max_identifier_length == 63);
  CHECK_FALSE(pg.identifier_length_in_characters);
  CHECK(pg.index_name_scope == NameScope::kSchema);
  CHECK(pg.foreign_key_name_scope == NameScope::kTable);
  CHECK_FALSE(pg.object_names_fold_case);
  CHECK(pg.keyless_by_pages);
  const EngineTraits maria = MakeMariaDbDialect()->quirks().traits;
  CHECK(maria.max_identifier_length == 64);
  CHECK(maria.identifier_length_in_characters);
  CHECK(maria.index_name_scope == NameScope::kTable);
  CHECK(maria.table_case_folding_is_setting);
  const EngineTraits lite = MakeSqliteDialect()->quirks().traits;
  CHECK(lite.index_name_scope == NameScope::kDatabase);
  CHECK_FALSE(lite.enforces_declared_types);
  CHECK_FALSE(lite.sequences);
  for (const EngineTraits& t : {pg, maria, lite}) {
    CHECK(t.copies);
    CHECK(t.change_tracking);
    CHECK(t.schema_clone);
  }
}

TEST_CASE("each engine's ODBC driver gets values the way its quirks say", "[engines]") {
  const OdbcQuirks pg = MakePostgresDialect()->quirks().odbc;
  const OdbcQuirks maria = MakeMariaDbDialect()->quirks().odbc;
  const OdbcQuirks plain;
  // psqlODBC: everything but integers and bytes as text, booleans as t/f, bytes as long binary.
  CHECK(WriteForm(pg, Kind(TypeKind::kInteger)).form == WireForm::kInt64);
  CHECK(WriteForm(pg, Kind(TypeKind::kBoolean)).form == WireForm::kText);
  CHECK(WriteForm(pg, Kind(TypeKind::kDouble)).form == WireForm::kText);
  CHECK(WriteForm(pg, Kind(TypeKind::kVarbinary)).sql_type == SQL_LONGVARBINARY);
  CHECK(std::string(pg.true_text) == "t");
  // Connector/ODBC: numbers, booleans and bytes in their own form, the rest as text; REAL is
  // read as DOUBLE, and SQLSetPos inside a rowset is not trusted.
  CHECK(WriteForm(maria, Kind(TypeKind::kBoolean)).form == WireForm::kInt64);
  CHECK(WriteForm(maria, Kind(TypeKind::kDouble)).form == WireForm::kFloat64);
  CHECK(WriteForm(maria, Kind(TypeKind::kDate)).form == WireForm::kText);
  CHECK(WriteForm(maria, Kind(TypeKind::kText)).sql_type == SQL_VARCHAR);
  CHECK(ReadForm(maria, Kind(TypeKind::kReal)) == WireForm::kFloat64);
  CHECK_FALSE(maria.positions_in_rowset);
  // No quirks: every kind in its own form.
  CHECK(ReadForm(plain, Kind(TypeKind::kReal)) == WireForm::kFloat32);
  CHECK(WriteForm(plain, Kind(TypeKind::kText)).sql_type == SQL_LONGVARCHAR);
  CHECK(WriteForm(plain, Kind(TypeKind::kVarbinary)).sql_type == SQL_VARBINARY);
}
