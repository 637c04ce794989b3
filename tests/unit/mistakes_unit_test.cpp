// Operator mistakes caught without a server (issue 12): unreadable job files, renames that
// match nothing, a plan file that is not the stored plan, one database at both ends, and refused
// values kept out of messages. Mistakes in connections (misspelt URL schemes, odbc.ini files that
// show a password) are drivers/' to catch: tests/driver/connection_mistakes_test.cpp.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <utility>

#include "copier/convert.hpp"
#include "copier/endpoint.hpp"
#include "copier/error.hpp"
#include "copier/job.hpp"
#include "copier/job_file.hpp"
#include "copier/plan.hpp"
#include "copier/secrets.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;

namespace {

std::string ErrorOf(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

using test::TempDir;

Table MakeTable(const std::string& schema, const std::string& name,
                const std::vector<std::string>& columns) {
  Table t;
  t.name = {schema, name};
  for (const std::string& c : columns) {
    Column column;
    column.name = c;
    t.columns.push_back(column);
  }
  return t;
}

}  // namespace

TEST_CASE("an unreadable job file is refused saying why", "[mistakes][job]") {
  TempDir dir;
  CHECK_THAT(ErrorOf([&] { LoadJobFile(dir.path() + "/none.yaml"); }),
             Catch::Contains("cannot read job file " + dir.path() + "/none.yaml: no such file"));
  CHECK_THAT(ErrorOf([&] { LoadJobFile(dir.path()); }), Catch::Contains(": it is a directory"));
  if (geteuid() != 0) {
    const std::string locked = dir.File("locked.yaml", "include: [a]\n", 0);
    CHECK_THAT(ErrorOf([&] { LoadJobFile(locked); }), Catch::Contains(": permission denied"));
  }
  const std::string fine = dir.File("fine.yaml", "include: [a]\n", 0600);
  CHECK(LoadJobFile(fine).include == std::vector<std::string>{"a"});
}

TEST_CASE("renames that match nothing at the source are named, each by its place in the job",
          "[mistakes][job]") {
  Job job = ParseJob(
      "rename:\n"
      "  schemas:\n"
      "    - from: sales\n"
      "      to: archive\n"
      "    - from: nosuch*\n"
      "      to: x\n"
      "  tables:\n"
      "    - from: orders\n"
      "      to: o\n"
      "    - from: ordrs\n"
      "      to: o2\n"
      "  columns:\n"
      "    - table: orders\n"
      "      from: amount\n"
      "      to: total\n"
      "    - table: orders\n"
      "      from: amont\n"
      "      to: total2\n"
      "    - table: customers\n"
      "      from: whatever\n"
      "      to: w\n",
      "job.yaml");
  const std::vector<Table> in_scope = {MakeTable("public", "orders", {"id", "amount"})};
  const std::vector<TableName> all = {
      {"public", "orders"}, {"public", "customers"}, {"sales", "x"}};
  std::vector<std::string> unmatched = job.renames.Unmatched(in_scope, all, "public");
  CHECK(unmatched == std::vector<std::string>{
                         "rename.schemas[1]: from 'nosuch*' matches no schema of a source table",
                         "rename.tables[1]: from 'ordrs' matches no source table",
                         "rename.columns[1]: no table matching 'orders' has a column 'amont'"});
}

TEST_CASE("a plan file that differs from the stored plan is described table by table and field",
          "[mistakes][plan]") {
  Plan stored;
  stored.source = "sqlite:/a.db";
  stored.destination = "sqlite:/b.db";
  TablePlan t;
  t.source = {"main", "orders"};
  t.destination = {"main", "orders"};
  t.columns = {{"id", "id", "integer", "INTEGER"},
               {"amount", "amount", "numeric(10,2)", "numeric(10,2)"}};
  t.primary_key = {"id"};
  t.why = "one unit";
  stored.tables.push_back(t);
  Plan given = stored;
  given.tables[0].why = "edited explanation";  // not a difference in what is copied
  given.tables[0].estimated_rows = 99;
  CHECK(PlanDifferences(stored, given).empty());
  given.tables[0].columns[1].destination_type = "numeric(12,2)";
  given.tables[0].write_mode = WriteMode::kTruncate;
  CHECK(PlanDifferences(stored, given) ==
        std::vector<std::string>{
            "main.orders: write_mode: truncate here, create stored",
            "main.orders: columns[1].destination_type: numeric(12,2) here, numeric(10,2) stored"});
  given.tables[0].source = {"main", "sales"};
  CHECK(PlanDifferences(stored, given) ==
        std::vector<std::string>{"main.sales: not in the stored plan",
                                 "main.orders: in the stored plan, not here"});
}

TEST_CASE("one database at both ends is refused when a table would be read and written",
          "[mistakes][endpoint]") {
  EndpointInfo a, b;
  a.database_identity = "PostgreSQL cluster 1, database shop (oid 5)";
  a.display = "postgresql://u@127.0.0.1:5432/shop";
  b = a;
  b.display = "postgresql://u@localhost:5432/shop";
  const TableName orders{"public", "orders"};
  const TableName copy{"public", "orders_copy"};
  std::string what = ErrorOf([&] { RefuseSelfCopy(a, b, {{orders, orders}}); });
  CHECK_THAT(what, Catch::Contains("the same database (PostgreSQL cluster 1, database shop"));
  CHECK_THAT(what, Catch::Contains("table public.orders would be read and written"));
  // Renamed apart, or another database, or identities unknown: allowed.
  CHECK(ErrorOf([&] { RefuseSelfCopy(a, b, {{orders, copy}}); }) == "");
  // ... unless the renamed table lands on another source table of the same copy.
  CHECK(ErrorOf([&] { RefuseSelfCopy(a, b, {{orders, copy}, {copy, {"public", "x"}}}); }) != "");
  EndpointInfo other = b;
  other.database_identity = "PostgreSQL cluster 1, database shop2 (oid 6)";
  CHECK(ErrorOf([&] { RefuseSelfCopy(a, other, {{orders, orders}}); }) == "");
  EndpointInfo unknown_a = a, unknown_b = b;
  unknown_a.database_identity = unknown_b.database_identity = "";
  CHECK(ErrorOf([&] { RefuseSelfCopy(unknown_a, unknown_b, {{orders, orders}}); }) == "");
  // A server that folds table names: ORDERS is orders.
  b.table_names_fold_case = true;
  CHECK(ErrorOf([&] { RefuseSelfCopy(a, b, {{orders, {"public", "ORDERS"}}}); }) != "");
}

TEST_CASE("a refused value is described by kind and size unless values may be shown",
          "[mistakes][convert]") {
  Column id{"id", ColumnType{}, false};
  id.type.kind = TypeKind::kInteger;
  id.type.native = "bigint";
  id.type.width_bits = 64;
  Column source{"amount", ColumnType{}};
  source.type.kind = TypeKind::kDecimal;
  source.type.native = "numeric(10,2)";
  source.type.precision = 10;
  source.type.scale = 2;
  Column dest = source;
  dest.type.native = "numeric(5,2)";
  dest.type.precision = 5;
  RowConverter converter("public.prices", {{&id, &id}, {&source, &dest}}, ValueLimits{}, {0});
  Batch in(converter.input_storages());
  in.column(0).AppendInt(7);
  in.column(1).AppendBytes("-12345.67");
  auto convert = [&] {
    Batch out;
    // The copying overload: the same batch is converted twice (the moving one empties it).
    return ErrorOf([&] { converter.Convert(std::as_const(in), out); });
  };
  SetShowValues(false);
  std::string hidden = convert();
  CHECK_THAT(hidden, Catch::Contains("a negative numeric with 5 integer digits and 2 after the "
                                     "point is out of range for numeric(5,2)"));
  CHECK_THAT(hidden, !Catch::Contains("12345"));
  CHECK_THAT(hidden, Catch::Contains("(id)=(7)"));
  SetShowValues(true);
  CHECK_THAT(convert(), Catch::Contains("-12345.67 is out of range for numeric(5,2)"));
  SetShowValues(false);
  CHECK(ShownText("secret") == "a value of 6 bytes");
}
