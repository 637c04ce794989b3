// The memory engine itself (tests/support/memory_endpoint.hpp) behaves as a database does where
// the scheduler's tests rely on it: a unit's rows and its done mark commit together or not at
// all, a rollback leaves nothing, reads see the snapshot, and keys hold.
#include <catch2/catch.hpp>

#include "copier/batch.hpp"
#include "copier/convert.hpp"
#include "copier/run_state.hpp"
#include "tests/support/memory_copy.hpp"
#include "tests/support/memory_endpoint.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

// A batch of numbered rows in the layout of CreateNumberedTable's table.
Batch NumberedBatch(const Table& table, int64_t count, int64_t first) {
  std::vector<Storage> storages;
  for (const Column& c : table.columns) storages.push_back(StorageOf(c.type));
  Batch batch(storages);
  for (const Row& row : NumberedRows(count, first)) {
    for (size_t c = 0; c < row.size(); ++c) REQUIRE(ParseValue(*row[c], batch.column(c)));
  }
  return batch;
}

WriteRequest WriteAll(const Table& table) {
  WriteRequest request;
  request.table = &table;
  for (size_t c = 0; c < table.columns.size(); ++c) request.columns.push_back(int(c));
  return request;
}

ErrorCode CodeOf(const std::function<void()>& call, std::string* sqlstate = nullptr) {
  try {
    call();
  } catch (const Error& e) {
    if (sqlstate) *sqlstate = e.sqlstate();
    return e.code();
  }
  FAIL("no error");
  return ErrorCode::kInternal;
}

}  // namespace

TEST_CASE("the memory engine commits a unit whole or refuses it whole when a key would break",
          "[memory]") {
  MemoryDatabase database("db");
  const TableName name = CreateNumberedTable(database, "orders", 10);
  std::unique_ptr<Endpoint> endpoint = database.Connect();
  const Table table = *endpoint->DescribeTable(name);
  std::unique_ptr<WriteSession> session = endpoint->OpenWriteSession();

  std::unique_ptr<RowWriter> clean = session->Write(WriteAll(table));
  clean->Write(NumberedBatch(table, 5, 11));
  clean->Commit();
  CHECK(Ids(database.Rows(name)).size() == 15);

  // Ids 14..18: 14 and 15 are there already.
  std::unique_ptr<RowWriter> clash = session->Write(WriteAll(table));
  clash->Write(NumberedBatch(table, 5, 14));
  std::string sqlstate;
  CHECK(CodeOf([&] { clash->Commit(); }, &sqlstate) == ErrorCode::kDriver);
  CHECK(sqlstate == "23505");
  CHECK(Ids(database.Rows(name)).size() == 15);
}

TEST_CASE("the memory engine keeps nothing of a unit rolled back", "[memory]") {
  MemoryDatabase database("db");
  const TableName name = CreateNumberedTable(database, "orders", 10);
  std::unique_ptr<Endpoint> endpoint = database.Connect();
  const Table table = *endpoint->DescribeTable(name);
  std::unique_ptr<RowWriter> writer = endpoint->OpenWriteSession()->Write(WriteAll(table));

  writer->Write(NumberedBatch(table, 100, 11));
  writer->Rollback();

  CHECK(database.Rows(name).size() == 10);
}

TEST_CASE("reads on the memory engine see the snapshot their endpoint began", "[memory]") {
  MemoryDatabase database("db");
  const TableName name = CreateNumberedTable(database, "orders", 10);
  std::unique_ptr<Endpoint> endpoint = database.Connect();
  const Table table = *endpoint->DescribeTable(name);
  endpoint->BeginSnapshot(Consistency::kSnapshot);
  database.Insert(name, NumberedRows(5, 11));

  ReadRequest request;
  request.table = &table;
  request.columns = {0};
  std::unique_ptr<RowReader> reader = endpoint->OpenReadSession()->Read(request);
  Batch batch;
  int64_t rows = 0;
  while (reader->Next(batch)) rows += int64_t(batch.num_rows());

  CHECK(rows == 10);
  CHECK(endpoint->CountRows(table) == 10);
}

TEST_CASE("a unit's done mark on the memory engine commits with its rows or not at all",
          "[memory]") {
  MemoryDatabase database("db");
  const TableName name = CreateNumberedTable(database, "orders", 10);
  std::unique_ptr<Endpoint> endpoint = database.Connect();
  const Table table = *endpoint->DescribeTable(name);
  std::unique_ptr<RunStore> store = endpoint->OpenRunStore(kDefaultStatePrefix);
  store->Prepare();
  RunRecord run;
  run.id = "r";
  run.owner_token = NewOwnerToken();
  UnitRecord first, second;
  second.part = 1;
  store->StartRun(run, {TableRecord{}}, {first, second});
  std::unique_ptr<WriteSession> session = endpoint->OpenWriteSession();

  std::unique_ptr<RowWriter> refused = session->Write(WriteAll(table));
  refused->Write(NumberedBatch(table, 5, 8));  // 8..10 are there
  CHECK(CodeOf([&] { refused->Commit(store->UnitDoneSql("r", 0, 0, 5, 0, 1)); }) ==
        ErrorCode::kDriver);
  CHECK_FALSE(store->UnitCommitted("r", 0, 0));

  std::unique_ptr<RowWriter> taken = session->Write(WriteAll(table));
  taken->Write(NumberedBatch(table, 5, 11));
  database.TakeOverRun(kDefaultStatePrefix, "r");
  std::string sqlstate;
  CHECK(CodeOf([&] { taken->Commit(store->UnitDoneSql("r", 0, 1, 5, 0, 1)); }, &sqlstate) ==
        ErrorCode::kDriver);
  CHECK(sqlstate == kRunTakenOver);
  CHECK_FALSE(store->UnitCommitted("r", 0, 1));
  CHECK(database.Rows(name).size() == 10);
}
