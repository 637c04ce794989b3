// WriteRequest::replace_range: a unit that replaces a key range deletes the destination's rows
// in that range inside its own transaction, so a retried or repaired unit never doubles rows
// and a unit that rolls back leaves the old rows in place. Driven through the Endpoint
// sessions against each engine's native writer.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>

#include "copier/catalog.hpp"
#include "copier/error.hpp"
#include "drivers/open.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using ferry::Batch;
using ferry::Endpoint;
using ferry::EndpointRole;
using ferry::KeyRange;
using ferry::ReadRequest;
using ferry::Table;
using ferry::TableName;
using ferry::WriteRequest;

namespace {

std::unique_ptr<Endpoint> Open(TestDatabase& db, EndpointRole role) {
  setenv("FERRY_SOURCE_PASSWORD", TestPassword().c_str(), 1);
  setenv("FERRY_DEST_PASSWORD", TestPassword().c_str(), 1);
  return ferry::OpenEndpoint(db.Url(), role);
}

TableName NameIn(TestDatabase& db, Endpoint& endpoint, const std::string& table) {
  return TableName{db.db() == Db::kPostgres ? "public" : endpoint.info().default_schema, table};
}

std::vector<int> All(const Table& table) {
  std::vector<int> out;
  for (size_t i = 0; i < table.columns.size(); ++i) out.push_back(int(i));
  return out;
}

KeyRange Range(int lo, int hi) {
  KeyRange range;
  range.key_columns = {0};
  range.lo = std::vector<std::string>{std::to_string(lo)};
  range.hi = std::vector<std::string>{std::to_string(hi)};
  return range;
}

// Copies source rows [lo, hi) into the destination with replace_range [lo, hi); commits or
// rolls back.
void CopyRange(Endpoint& from, const Table& source, Endpoint& to, const Table& destination, int lo,
               int hi, bool commit) {
  ReadRequest read;
  read.table = &source;
  read.columns = All(source);
  read.unit.table = source.name;
  read.unit.range = Range(lo, hi);
  WriteRequest write;
  write.table = &destination;
  write.columns = All(destination);
  write.key_positions = {0};
  write.replace_range = Range(lo, hi);
  auto read_session = from.OpenReadSession();
  auto write_session = to.OpenWriteSession();
  auto reader = read_session->Read(read);
  auto writer = write_session->Write(write);
  Batch batch;
  while (reader->Next(batch)) writer->Write(batch);
  if (commit) {
    writer->Commit();
  } else {
    writer->Rollback();
  }
}

}  // namespace

TEST_CASE("a unit that replaces its key range leaves exactly the source's rows in it",
          "[replace-range]") {
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(Db::kSQLite, "rr_src");
      TestDatabase dest(db, "rr_dst");
      source.Exec("CREATE TABLE t (id integer PRIMARY KEY, v varchar(20))");
      dest.Exec("CREATE TABLE t (id integer PRIMARY KEY, v varchar(20))");
      for (int i = 1; i <= 10; ++i) {
        source.Exec("INSERT INTO t VALUES (" + std::to_string(i) + ", 'new" + std::to_string(i) +
                    "')");
      }
      // What an earlier attempt left: some rows of the range, one that the source no longer
      // has, and rows outside the range that must survive.
      dest.Exec(
          "INSERT INTO t VALUES (1, 'old1');\nINSERT INTO t VALUES (3, 'old3');\n"
          "INSERT INTO t VALUES (5, 'gone');\nINSERT INTO t VALUES (9, 'old9')");
      source.Exec("DELETE FROM t WHERE id = 5");
      auto from = Open(source, EndpointRole::kSource);
      auto to = Open(dest, EndpointRole::kDestination);
      const Table src = *from->DescribeTable(TableName{"main", "t"});
      const Table dst = *to->DescribeTable(NameIn(dest, *to, "t"));

      CopyRange(*from, src, *to, dst, 2, 7, /*commit=*/false);
      CHECK(dest.QueryValue("SELECT count(*) FROM t") == "4");
      CHECK(dest.QueryValue("SELECT v FROM t WHERE id = 5") == "gone");

      CopyRange(*from, src, *to, dst, 2, 7, /*commit=*/true);
      CHECK(dest.QueryValue("SELECT count(*) FROM t") == "6");
      CHECK(dest.QueryValue("SELECT count(*) FROM t WHERE id = 5") == "0");
      CHECK(dest.QueryValue("SELECT v FROM t WHERE id = 3") == "new3");
      CHECK(dest.QueryValue("SELECT v FROM t WHERE id = 1") == "old1");
      CHECK(dest.QueryValue("SELECT v FROM t WHERE id = 9") == "old9");
    }
  }
}
