// What each engine's Endpoint does when it builds secondary structure, called directly
// (drivers/open.hpp) on cases a plain copy does not reach: names already taken, work done
// twice, rows that break a foreign key, definitions only one engine understands, counters that
// must not move backwards, and SQLite's ways of having a foreign key and a counter.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>

#include "copier/error.hpp"
#include "drivers/open.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using ferry::Endpoint;
using ferry::EndpointRole;
using ferry::Error;
using ferry::ErrorCode;
using ferry::ForeignKey;
using ferry::Index;
using ferry::Table;
using ferry::TableName;

namespace {

std::unique_ptr<Endpoint> Open(TestDatabase& db) {
  setenv("FERRY_SOURCE_PASSWORD", TestPassword().c_str(), 1);
  setenv("FERRY_DEST_PASSWORD", TestPassword().c_str(), 1);
  return ferry::OpenEndpoint(db.Url(), EndpointRole::kDestination);
}

Table Describe(Endpoint& endpoint, const std::string& table) {
  std::optional<Table> t = endpoint.DescribeTable(TableName{endpoint.info().default_schema, table});
  REQUIRE(t);
  return *t;
}

// Index names of `table`, primary key excepted, from the engine's own catalog.
std::multiset<std::string> IndexNames(TestDatabase& db, const std::string& table) {
  std::vector<Row> rows;
  switch (db.db()) {
    case Db::kPostgres:
      rows = db.Query(
          "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
          "WHERE i.indrelid = 'public." +
          table + "'::regclass AND NOT i.indisprimary");
      break;
    case Db::kMariaDB:
      rows = db.Query(
          "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = "
          "DATABASE() AND table_name = '" +
          table + "' AND index_name <> 'PRIMARY'");
      break;
    case Db::kSQLite:
      rows = db.Query("SELECT name FROM pragma_index_list('" + table + "') WHERE origin <> 'pk'");
      break;
  }
  std::multiset<std::string> out;
  for (const Row& r : rows) out.insert(r.at(0).value_or("?"));
  return out;
}

int ForeignKeyCount(TestDatabase& db, const std::string& table) {
  switch (db.db()) {
    case Db::kPostgres:
      return std::stoi(
          db.QueryValue("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND "
                        "conrelid = 'public." +
                        table + "'::regclass"));
    case Db::kMariaDB:
      return std::stoi(
          db.QueryValue("SELECT count(*) FROM information_schema.referential_constraints WHERE "
                        "constraint_schema = DATABASE() AND table_name = '" +
                        table + "'"));
    case Db::kSQLite:
      return std::stoi(
          db.QueryValue("SELECT count(DISTINCT id) FROM pragma_foreign_key_list('" + table + "')"));
  }
  return -1;
}

std::string ForeignKeyName(TestDatabase& db, const std::string& table) {
  if (db.db() == Db::kMariaDB) {
    return db.QueryValue(
        "SELECT constraint_name FROM information_schema.referential_constraints WHERE "
        "constraint_schema = DATABASE() AND table_name = '" +
        table + "'");
  }
  return db.QueryValue(
      "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid = "
      "'public." +
      table + "'::regclass");
}

// parent(id) and two children with the same column names.
void CreateFamily(TestDatabase& db) {
  const std::string engine = db.db() == Db::kMariaDB ? " ENGINE=InnoDB" : "";
  db.Exec("CREATE TABLE parent (id int PRIMARY KEY)" + engine + ";\n" +
          "CREATE TABLE c1 (id int PRIMARY KEY, pid int, note varchar(20))" + engine + ";\n" +
          "CREATE TABLE c2 (id int PRIMARY KEY, pid int, note varchar(20))" + engine + ";\n" +
          "INSERT INTO parent VALUES (1), (2);\n" +
          "INSERT INTO c1 VALUES (1, 1, 'a'), (2, NULL, 'b');\n" +
          "INSERT INTO c2 VALUES (1, 2, 'a')");
}

ForeignKey ParentKey(const Table& child, const std::string& name) {
  ForeignKey fk;
  fk.name = name;
  fk.columns = {*child.FindColumn("pid")};
  fk.references = {child.name.schema, "parent"};
  fk.referenced_columns = {"id"};
  fk.on_delete = "CASCADE";
  return fk;
}

}  // namespace

TEST_CASE("names taken at the destination get derived names, and work done twice is done once",
          "[schema][endpoint]") {
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase dest(db, "names");
      CreateFamily(dest);
      auto endpoint = Open(dest);
      Table c1 = Describe(*endpoint, "c1"), c2 = Describe(*endpoint, "c2");
      Index by_note{"by_note", {*c1.FindColumn("note")}, false, ""};
      endpoint->CreateIndex(c1, by_note);
      endpoint->CreateIndex(c2, by_note);
      endpoint->CreateIndex(c1, by_note);  // again: nothing new
      // Index names are per table in MariaDB, per schema or database elsewhere.
      CHECK(IndexNames(dest, "c1") == std::multiset<std::string>{"by_note"});
      CHECK(IndexNames(dest, "c2") ==
            std::multiset<std::string>{db == Db::kMariaDB ? "by_note" : "c2_note_idx"});

      if (db == Db::kSQLite) continue;  // SQLite's foreign keys: see below
      endpoint->CreateForeignKey(c1, ParentKey(c1, "to_parent"));
      endpoint->CreateForeignKey(c2, ParentKey(c2, "to_parent"));
      endpoint->CreateForeignKey(c1, ParentKey(c1, "to_parent"));  // again: nothing new
      CHECK(ForeignKeyCount(dest, "c1") == 1);
      CHECK(ForeignKeyCount(dest, "c2") == 1);
      CHECK(ForeignKeyName(dest, "c1") == "to_parent");
      // Foreign key names are per database in MariaDB, per table in PostgreSQL.
      CHECK(ForeignKeyName(dest, "c2") == (db == Db::kMariaDB ? "c2_pid_fkey" : "to_parent"));
    }
  }
}

TEST_CASE("a foreign key that rows of the table break is refused by key and not created",
          "[schema][endpoint]") {
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase dest(db, "orphans");
      CreateFamily(dest);
      dest.Exec("INSERT INTO c1 VALUES (3, 99, 'orphan')");
      auto endpoint = Open(dest);
      Table c1 = Describe(*endpoint, "c1");
      try {
        endpoint->CreateForeignKey(c1, ParentKey(c1, "to_parent"));
        FAIL("created a foreign key that a row breaks");
      } catch (const Error& e) {
        INFO(e.what());
        CHECK(e.code() == ErrorCode::kData);
        CHECK(std::string(e.what()).find("99") != std::string::npos);
        CHECK(e.context().table.find("c1") != std::string::npos);
      }
      CHECK(ForeignKeyCount(dest, "c1") == 0);
    }
  }
}

TEST_CASE("SQLite declares foreign keys given to CreateTable and adds a missing one by rebuilding",
          "[schema][endpoint][sqlite]") {
  TestDatabase dest(Db::kSQLite, "lite_fk");
  dest.Exec("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
  auto endpoint = Open(dest);
  Table child;
  child.name = {"main", "child"};
  child.columns.resize(3);
  child.columns[0].name = "id";
  child.columns[0].type.kind = ferry::TypeKind::kInteger;
  child.columns[0].type.native = "INTEGER";
  child.columns[1].name = "pid";
  child.columns[1].type = child.columns[0].type;
  child.columns[2].name = "note";
  child.columns[2].type.kind = ferry::TypeKind::kText;
  child.columns[2].type.native = "TEXT";
  child.primary_key = {0};
  child.foreign_keys = {ParentKey(child, "to_parent")};

  SECTION("declared at creation: CreateForeignKey only checks the rows") {
    endpoint->CreateTable(child);
    const std::string created =
        dest.QueryValue("SELECT sql FROM sqlite_schema WHERE name = 'child'");
    CHECK(created.find("FOREIGN KEY") != std::string::npos);
    dest.Exec("INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1, 'a')");
    endpoint->CreateForeignKey(Describe(*endpoint, "child"), child.foreign_keys[0]);
    CHECK(dest.QueryValue("SELECT sql FROM sqlite_schema WHERE name = 'child'") == created);
  }
  SECTION("created without it: the table is made again with it, rows and indexes kept") {
    child.foreign_keys.clear();
    endpoint->CreateTable(child);
    dest.Exec(
        "INSERT INTO parent VALUES (1), (2);\n"
        "INSERT INTO child VALUES (1, 1, 'a'), (5, 2, 'b'), (7, NULL, 'c');\n"
        "CREATE INDEX child_note ON child (note)");
    Table described = Describe(*endpoint, "child");
    endpoint->CreateForeignKey(described, ParentKey(described, "to_parent"));
    CHECK(ForeignKeyCount(dest, "child") == 1);
    CHECK(dest.QueryValue("SELECT on_delete FROM pragma_foreign_key_list('child')") == "CASCADE");
    CHECK(dest.QueryValue("SELECT group_concat(id) FROM child") == "1,5,7");
    CHECK(IndexNames(dest, "child") == std::multiset<std::string>{"child_note"});
    CHECK(dest.QueryValue("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'ferry%'") == "0");
    // And it holds.
    dest.Exec("PRAGMA foreign_keys = ON; DELETE FROM parent WHERE id = 1");
    CHECK(dest.QueryValue("SELECT group_concat(id) FROM child") == "5,7");
  }
}

TEST_CASE("PostgreSQL identity and serial counters move past the rows, never backwards",
          "[schema][endpoint][postgresql]") {
  TestDatabase dest(Db::kPostgres, "counters");
  dest.Exec(
      "CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, s serial, "
      "note text)");
  auto endpoint = Open(dest);
  Table t = Describe(*endpoint, "t");
  CHECK(t.columns[0].identity);
  CHECK(t.columns[1].identity);
  endpoint->SyncIdentity(t);  // empty: nothing moves
  dest.Exec("INSERT INTO t (note) VALUES ('first')");
  CHECK(dest.QueryValue("SELECT id || ',' || s FROM t WHERE note = 'first'") == "1,1");
  dest.Exec("INSERT INTO t (id, s, note) VALUES (10, 20, 'copied')");
  endpoint->SyncIdentity(t);
  dest.Exec("INSERT INTO t (note) VALUES ('after')");
  CHECK(dest.QueryValue("SELECT id || ',' || s FROM t WHERE note = 'after'") == "11,21");
  // A counter already beyond the rows (an appended table, say) stays where it is.
  dest.Exec("SELECT setval(pg_get_serial_sequence('t', 'id'), 100)");
  endpoint->SyncIdentity(t);
  dest.Exec("INSERT INTO t (note) VALUES ('later')");
  CHECK(dest.QueryValue("SELECT id FROM t WHERE note = 'later'") == "101");
}

TEST_CASE("an index only PostgreSQL can build is rebuilt by PostgreSQL and refused elsewhere",
          "[schema][endpoint][postgresql]") {
  TestDatabase source(Db::kPostgres, "native_src");
  source.Exec(
      "CREATE TABLE t (id int PRIMARY KEY, name text, region text);\n"
      "CREATE INDEX t_lower_name ON t (lower(name));\n"
      "CREATE UNIQUE INDEX t_region_named ON t (region) WHERE name IS NOT NULL");
  auto from = Open(source);
  Table t = Describe(*from, "t");
  CHECK(t.indexes.size() == 1);
  REQUIRE(t.unique_indexes.size() == 1);
  CHECK(t.unique_indexes[0].columns.empty());  // a partial index is no row key
  CHECK(t.RowKey() == std::vector<int>{0});

  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase dest(db, "native_dst");
      // varchar in MariaDB, whose text columns need a prefix to be indexed.
      const std::string text = db == Db::kMariaDB ? "varchar(50)" : "text";
      dest.Exec("CREATE TABLE other (id int PRIMARY KEY, name " + text + ", region " + text + ")");
      auto to = Open(dest);
      Table other = Describe(*to, "other");
      for (const auto* list : {&t.indexes, &t.unique_indexes}) {
        for (const Index& index : *list) {
          if (db == Db::kPostgres) {
            to->CreateIndex(other, index);
            continue;
          }
          try {
            to->CreateIndex(other, index);
            FAIL("built " << index.native_definition);
          } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::kSchema);
            CHECK(std::string(e.what()).find(index.name) != std::string::npos);
          }
        }
      }
      if (db == Db::kPostgres) {
        auto defs = dest.Query(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'other' AND indexname <> "
            "'other_pkey' ORDER BY indexname");
        REQUIRE(defs.size() == 2);
        CHECK(*defs[0][0] == "CREATE INDEX t_lower_name ON public.other USING btree (lower(name))");
        CHECK(*defs[1][0] ==
              "CREATE UNIQUE INDEX t_region_named ON public.other USING btree (region) WHERE "
              "(name IS NOT NULL)");
      }
    }
  }
}

TEST_CASE("an identity column outside the primary key keeps counting where the engine can",
          "[schema][postgresql][mariadb]") {
  TestDatabase source(Db::kPostgres, "ident_src");
  source.Exec(
      "CREATE TABLE tickets (region varchar(10), seq int, id bigint GENERATED BY DEFAULT AS "
      "IDENTITY, PRIMARY KEY (region, seq));\n"
      "INSERT INTO tickets VALUES ('eu', 1, 5), ('us', 1, 9)");
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase dest(db, "ident_dst");
      FerryResult run = RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " +
                                 ShellQuote(dest.Url()));
      INFO(run.output);
      REQUIRE(run.exit_code == 0);
      dest.Exec("INSERT INTO tickets (region, seq) VALUES ('eu', 2)");
      CHECK(dest.QueryValue("SELECT id FROM tickets WHERE seq = 2") == "10");
    }
  }
}

TEST_CASE("an SQLite AUTOINCREMENT table keeps sqlite_sequence past the copied keys",
          "[schema][sqlite]") {
  TestDatabase source(Db::kPostgres, "autoinc_src");
  source.Exec(
      "CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text);\n"
      "INSERT INTO t VALUES (3, 'a'), (42, 'b')");
  TestDatabase dest(Db::kSQLite, "autoinc_dst");
  dest.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, note TEXT)");
  FerryResult run =
      RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(dest.QueryValue("SELECT seq FROM sqlite_sequence WHERE name = 't'") == "42");
  dest.Exec("DELETE FROM t WHERE id = 42; INSERT INTO t (note) VALUES ('new')");
  CHECK(dest.QueryValue("SELECT id FROM t WHERE note = 'new'") == "43");  // 42 is not reused
}

TEST_CASE("a MariaDB index over long text columns is built with prefixes that fit",
          "[schema][mariadb]") {
  TestDatabase source(Db::kPostgres, "long_src");
  source.Exec(
      "CREATE TABLE docs (id int PRIMARY KEY, title text, body text, n int);\n"
      "CREATE INDEX docs_title_body ON docs (title, body, n);\n"
      "INSERT INTO docs VALUES (1, 'a', repeat('x', 2000), 1)");
  TestDatabase dest(Db::kMariaDB, "long_dst");
  FerryResult run =
      RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(dest.QueryValue("SELECT GROUP_CONCAT(CONCAT(column_name, ':', IFNULL(sub_part, '-')) "
                        "ORDER BY seq_in_index) FROM information_schema.statistics WHERE "
                        "table_schema = DATABASE() AND table_name = 'docs' AND index_name = "
                        "'docs_title_body'") == "title:382,body:382,n:-");
}

TEST_CASE("MariaDB's refusal of a foreign key between columns of different types names them",
          "[schema][endpoint][mariadb]") {
  TestDatabase dest(Db::kMariaDB, "fk_types");
  dest.Exec(
      "CREATE TABLE parent (id bigint PRIMARY KEY) ENGINE=InnoDB;\n"
      "CREATE TABLE child (id int PRIMARY KEY, pid int) ENGINE=InnoDB");
  auto endpoint = Open(dest);
  Table child = Describe(*endpoint, "child");
  try {
    endpoint->CreateForeignKey(child, ParentKey(child, "to_parent"));
    FAIL("MariaDB took a foreign key from int to bigint");
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find("pid is int(11) but " + dest.name() +
                                     ".parent.id is bigint(20)") != std::string::npos);
  }
}
