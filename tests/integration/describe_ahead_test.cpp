// Endpoint::DescribeAhead: tables described together (PostgreSQL: one catalog query per kind
// for all of them) must read exactly as each table described on its own, on real schemas, and
// a description kept ahead must never outlive a change of the table made through the endpoint.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "drivers/open.hpp"
#include "tests/support/canonical.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using ferry::Endpoint;
using ferry::EndpointRole;
using ferry::Table;
using ferry::TableName;

namespace {

std::unique_ptr<Endpoint> Open(TestDatabase& db, EndpointRole role) {
  setenv("FERRY_SOURCE_PASSWORD", TestPassword().c_str(), 1);
  setenv("FERRY_DEST_PASSWORD", TestPassword().c_str(), 1);
  return ferry::OpenEndpoint(db.Url(), role);
}

std::string Name(const TableName& n) {
  return n.schema + "." + n.name;
}

std::string Ints(const std::vector<int>& v) {
  std::string out;
  for (int i : v) out += std::to_string(i) + ",";
  return out;
}

// Everything a description holds, one line per part, so a difference names what differs.
std::string Shape(const std::optional<Table>& t) {
  if (!t) return "(none)\n";
  std::string out = "table " + Name(t->name) + " rows " + std::to_string(t->estimated_rows) +
                    " bytes " + std::to_string(t->estimated_bytes) + " pages " +
                    std::to_string(t->pages) + " partitioned " + std::to_string(t->partitioned) +
                    " parent " + std::to_string(t->inheritance_parent) + " of " +
                    (t->partition_of ? Name(*t->partition_of) : "") + " key " + t->partition_key +
                    " rls " + std::to_string(t->row_security) + " comment " + t->comment + "\n";
  for (const TableName& p : t->inherits) out += "inherits " + Name(p) + "\n";
  for (const auto& c : t->columns) {
    out += "column " + c.name + " " + c.type.native + " kind " + std::to_string(int(c.type.kind)) +
           " len " + std::to_string(c.type.length) + " p " + std::to_string(c.type.precision) +
           " s " + std::to_string(c.type.scale) + " null " + std::to_string(c.nullable) + " id " +
           std::to_string(c.identity) + " default " + c.default_value + " gen " + c.generated +
           " domain " + c.domain + " " + c.domain_check + " ext " + c.extension + " specific " +
           std::to_string(c.type.database_specific) + " text " + std::to_string(c.type.text_form) +
           " comment " + c.comment + " labels";
    for (const std::string& l : c.type.labels) out += " " + l;
    out += "\n";
  }
  out += "primary key " + Ints(t->primary_key) + "\n";
  for (const auto* list : {&t->unique_indexes, &t->indexes}) {
    for (const auto& i : *list) {
      out += "index " + i.name + " " + Ints(i.columns) + " " + std::to_string(i.unique) + " " +
             i.native_definition + "\n";
    }
  }
  for (const auto& f : t->foreign_keys) {
    out += "fk " + f.name + " " + Ints(f.columns) + " " + Name(f.references) + " " + f.on_delete +
           " " + f.on_update + " " + f.deferrable;
    for (const std::string& r : f.referenced_columns) out += " " + r;
    out += "\n";
  }
  for (const auto& c : t->checks) out += "check " + c.name + " " + c.condition + "\n";
  for (const auto& p : t->partitions) {
    out += "partition " + Name(p.name) + " of " + Name(p.parent) + " " + p.bound + " " +
           p.partition_key + "\n";
    for (const auto& i : p.indexes) out += "  own " + i.name + " " + i.native_definition + "\n";
    for (const auto& f : p.foreign_keys) {
      out += "  own fk " + f.name + " " + Ints(f.columns) + " " + Name(f.references) + "\n";
    }
  }
  return out;
}

}  // namespace

TEST_CASE("tables described together read exactly as each table described on its own",
          "[describe_ahead][postgres]") {
  const std::string fixture =
      GENERATE(as<std::string>{}, "pgreal_layout_postgres.sql", "pgreal_constraints_postgres.sql",
               "pgreal_types_postgres.sql", "pagila_postgres.sql", "gitlab_postgres.sql",
               "adventureworks_postgres.sql");
  SECTION(fixture) {
    TestDatabase db(Db::kPostgres, "ahead");
    LoadScript(db, Fixture(fixture));
    std::unique_ptr<Endpoint> end = Open(db, EndpointRole::kSource);
    std::vector<TableName> names = end->ListTables();
    REQUIRE(names.size() > 3);
    std::vector<std::string> one_by_one;
    for (const TableName& n : names) one_by_one.push_back(Shape(end->DescribeTable(n)));
    // A name asked twice and a table that does not exist are answered too.
    names.push_back(names.front());
    names.push_back({"public", "no_such_table"});
    end->DescribeAhead(names);
    for (size_t i = 0; i + 2 < names.size(); ++i) {
      INFO(Name(names[i]));
      CHECK(Shape(end->DescribeTable(names[i])) == one_by_one[i]);
    }
    CHECK(Shape(end->DescribeTable(names.front())) == one_by_one.front());
    CHECK_FALSE(end->DescribeTable(names.back()));
  }
}

TEST_CASE(
    "a table described ahead is described again once it is created, emptied or dropped "
    "through the endpoint",
    "[describe_ahead]") {
  const Db kind = GENERATE(Db::kPostgres, Db::kMariaDB, Db::kSQLite);
  TestDatabase db(kind, "ahead_ddl");
  std::unique_ptr<Endpoint> end = Open(db, EndpointRole::kDestination);
  const TableName name{end->info().default_schema, "later"};
  {
    ferry::DescriptionsAhead ahead(*end, {name});
    CHECK_FALSE(end->DescribeTable(name));
    Table table;
    table.name = name;
    ferry::Column id;
    id.name = "id";
    ferry::ColumnType integer;
    integer.kind = ferry::TypeKind::kInteger;
    integer.width_bits = 32;
    integer.native = "integer";
    id.type = end->MapType(integer, ferry::Engine::kPostgres);
    id.nullable = false;
    table.columns.push_back(id);
    table.primary_key = {0};
    end->CreateTable(table);
    REQUIRE(end->DescribeTable(name));
    end->DescribeAhead({name});
    end->DropTable(name);
    CHECK_FALSE(end->DescribeTable(name));
  }
  // Forgotten when the phase ends, whatever happened meanwhile outside the endpoint.
  end->DescribeAhead({name});
  { ferry::DescriptionsAhead ahead(*end, {name}); }
  db.Exec(kind == Db::kMariaDB ? "CREATE TABLE later (id int primary key)"
                               : "CREATE TABLE later (id integer primary key)");
  CHECK(end->DescribeTable(name));
}
