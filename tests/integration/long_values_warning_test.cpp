// Where --memory-limit cannot bound long values (an engine or driver holds them whole: README,
// Known limits), check says so column by column before anything is copied, and run says so
// where another way of connecting to the same database would have streamed them. Small tables:
// what is warned about follows from the columns' types and the ends, not from the values.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/tcp_proxy.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

// "schema.table.column" (or "database.table.column") without its first part.
std::string TableColumn(const std::string& qualified) {
  return qualified.substr(qualified.find('.') + 1);
}

// The columns check's memory warnings name, as "table.column" joined by spaces, in the order
// check reports them.
std::string WarnedColumns(const FerryResult& check, const std::string& reason_part) {
  const json report = json::parse(check.output);
  std::string out;
  auto add = [&](const std::string& qualified) {
    out += (out.empty() ? "" : " ") + TableColumn(qualified);
  };
  for (const json& f : report["findings"]) {
    if (f["kind"] != "memory" ||
        f["message"].get<std::string>().find(reason_part) == std::string::npos) {
      continue;
    }
    // One column: its table and column fields; several: listed after ": N columns: ".
    if (!f["column"].get<std::string>().empty()) {
      add(f["table"].get<std::string>() + "." + f["column"].get<std::string>());
      continue;
    }
    const std::string message = f["message"];
    std::string list = message.substr(message.find("columns: ") + 9);
    for (size_t from = 0;;) {
      const size_t end = list.find(", ", from);
      add(list.substr(from, end == std::string::npos ? std::string::npos : end - from));
      if (end == std::string::npos) break;
      from = end + 2;
    }
  }
  return out;
}

FerryResult CheckJson(const std::string& from, const std::string& to) {
  FerryResult result =
      RunFerry("check --json --source " + ShellQuote(from) + " --dest " + ShellQuote(to));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  return result;
}

}  // namespace

TEST_CASE(
    "check warns that a sqlite destination holds a long text, and a long blob with a column "
    "after it, whole in memory, and names no other column",
    "[long_values][check][postgresql][sqlite]") {
  TestDatabase source(Db::kPostgres, "heldwhole_src");
  source.Exec(
      "CREATE TABLE docs (id int PRIMARY KEY, code varchar(20), body bytea, note text, "
      "stamp timestamptz, tail bytea)");
  source.Exec("INSERT INTO docs VALUES (1, 'a', '\\x01', 'n', now(), '\\x02')");
  TestDatabase dest(Db::kSQLite, "heldwhole_dst");
  const FerryResult check = CheckJson(source.Url(), dest.Url());
  CHECK(WarnedColumns(check, "written") == "docs.body docs.note");
  CHECK(WarnedColumns(check, "text cannot be filled in") == "docs.note");
  CHECK(WarnedColumns(check, "no column after it") == "docs.body");
  CHECK(WarnedColumns(check, "read") == "");
  // Into PostgreSQL every long value streams: nothing to say.
  TestDatabase pg(Db::kPostgres, "heldwhole_pg");
  CHECK(WarnedColumns(CheckJson(source.Url(), pg.Url()), "") == "");
}

TEST_CASE("check warns that a sqlite WITHOUT ROWID table's long values are read whole",
          "[long_values][check][sqlite][postgresql]") {
  TestDatabase source(Db::kSQLite, "heldwhole_src");
  source.Exec("CREATE TABLE kv (k text PRIMARY KEY, v blob, n integer) WITHOUT ROWID");
  source.Exec("CREATE TABLE plain (k text PRIMARY KEY, v blob, n integer)");
  source.Exec("INSERT INTO kv VALUES ('a', x'01', 1); INSERT INTO plain VALUES ('a', x'01', 1)");
  TestDatabase dest(Db::kPostgres, "heldwhole_dst");
  const FerryResult check = CheckJson(source.Url(), dest.Url());
  CHECK(WarnedColumns(check, "WITHOUT ROWID table whole") == "kv.k kv.v");
  CHECK(WarnedColumns(check, "") == "kv.k kv.v");
}

TEST_CASE(
    "check and run warn that mariadb read through plain odbc holds long values whole, and a "
    "mysql url reads them without a warning",
    "[long_values][check][mariadb][postgresql]") {
  TestDatabase source(Db::kMariaDB, "heldwhole_src");
  source.Exec(
      "CREATE TABLE docs (id int PRIMARY KEY, short_note text, body longblob, note mediumtext, "
      "code varchar(40))");
  source.Exec("INSERT INTO docs VALUES (1, 's', x'01', 'n', 'c')");
  // READ_TIMEOUT is an attribute the libmariadb path does not reproduce: the plain ODBC endpoint.
  const std::string odbc =
      "Driver={MariaDB Unicode};Server=127.0.0.1;Port=" + std::to_string(ServerPort(Db::kMariaDB)) +
      ";Database=" + source.name() + ";Uid=ferry;CHARSET=utf8mb4;READ_TIMEOUT=600;";
  TestDatabase dest(Db::kPostgres, "heldwhole_dst");
  // TEXT holds at most 64 KiB, never a long value; MEDIUMTEXT and LONGBLOB can.
  CHECK(WarnedColumns(CheckJson(odbc, dest.Url()), "MariaDB Connector/ODBC") ==
        "docs.body docs.note");
  CHECK(WarnedColumns(CheckJson(source.Url(), dest.Url()), "") == "");

  FerryResult run =
      RunFerry("run --source " + ShellQuote(odbc) + " --dest " + ShellQuote(dest.Url()));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output.find("docs: a value of column body longer than the long-value threshold is "
                        "held whole in memory when read") != std::string::npos);
  CHECK(run.output.find("column note") != std::string::npos);
  CHECK(run.output.find("mysql:// URL") != std::string::npos);
  CHECK(run.output.find("column short_note") == std::string::npos);
  TestDatabase again(Db::kPostgres, "heldwhole_again");
  FerryResult plain =
      RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(again.Url()));
  INFO(plain.output);
  REQUIRE(plain.exit_code == 0);
  CHECK(plain.output.find("held whole") == std::string::npos);
}
