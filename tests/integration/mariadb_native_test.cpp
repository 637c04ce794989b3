// The MariaDB native path (drivers/mariadb): streaming text-protocol readers and LOAD DATA LOCAL
// writers through libmariadb, driven directly through the Endpoint sessions (not the
// scheduler), on the project's test server. Results are checked with the tests' own comparison,
// and with the server's own HEX() where bytes matter.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "drivers/open.hpp"
#include "drivers/sql/sql_endpoint.hpp"
#include "tests/support/canonical.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using ferry::Batch;
using ferry::BatchLimits;
using ferry::Endpoint;
using ferry::EndpointRole;
using ferry::Error;
using ferry::ErrorCode;
using ferry::ReadRequest;
using ferry::Storage;
using ferry::Table;
using ferry::TableName;
using ferry::WriteRequest;

namespace {

constexpr const char* kReadMethod = "libmariadb streaming";

// The two native write methods: bulk prepared inserts (MariaDB's default) and LOAD DATA LOCAL
// (MySQL's, and MariaDB's on request). Writer tests run once with each.
struct WriteMethod {
  const char* setting;  // EndpointOptions::mariadb_write_method
  const char* method;   // RowWriter::Method()
};
const WriteMethod kWriteMethods[] = {{"bulk", "bulk prepared insert"},
                                     {"load-data", "LOAD DATA LOCAL"}};

std::unique_ptr<Endpoint> Open(TestDatabase& db, EndpointRole role,
                               const WriteMethod& method = kWriteMethods[0]) {
  setenv("FERRY_SOURCE_PASSWORD", TestPassword().c_str(), 1);
  setenv("FERRY_DEST_PASSWORD", TestPassword().c_str(), 1);
  ferry::EndpointOptions options;
  options.mariadb_write_method = method.setting;
  return ferry::OpenEndpoint(db.Url(), role, options);
}

Table Describe(Endpoint& endpoint, TestDatabase& db, const std::string& table) {
  std::optional<Table> t = endpoint.DescribeTable(TableName{db.name(), table});
  REQUIRE(t);
  return *t;
}

std::vector<int> AllColumns(const Table& table) {
  std::vector<int> columns;
  for (size_t i = 0; i < table.columns.size(); ++i) columns.push_back(int(i));
  return columns;
}

ReadRequest ReadAll(const Table& table, BatchLimits limits = {}) {
  ReadRequest read;
  read.table = &table;
  read.columns = AllColumns(table);
  read.unit.table = table.name;
  read.limits = limits;
  return read;
}

WriteRequest WriteAll(const Table& table) {
  WriteRequest write;
  write.table = &table;
  write.columns = AllColumns(table);
  write.key_positions = ferry::KeyPositions(table, write.columns);
  return write;
}

struct Copied {
  std::string read_method;
  std::string write_method;
  size_t rows = 0;
  size_t batches = 0;
};

// Copies `table` between two existing tables of the same shape through one read and one write
// session, converted as the scheduler would. Every other batch is prepared (encoded ahead, as
// worker threads do) and the rest are encoded by Write itself.
Copied CopyTable(Endpoint& from, TestDatabase& source_db, Endpoint& to, TestDatabase& dest_db,
                 const std::string& name, BatchLimits limits = {}) {
  const Table source = Describe(from, source_db, name);
  const Table destination = Describe(to, dest_db, name);
  ReadRequest read = ReadAll(source, limits);
  WriteRequest write = WriteAll(destination);
  std::vector<ferry::ColumnPairing> pairs;
  for (size_t i = 0; i < source.columns.size(); ++i) {
    pairs.push_back({&source.columns[i], &destination.columns[i]});
  }
  ferry::RowConverter converter(name, pairs, to.info().limits, write.key_positions);
  auto read_session = from.OpenReadSession();
  auto write_session = to.OpenWriteSession();
  auto reader = read_session->Read(read);
  auto writer = write_session->Write(write);
  Copied copied{reader->Method(), writer->Method()};
  Batch in, out;
  while (reader->Next(in)) {
    ++copied.batches;
    copied.rows += in.num_rows();
    converter.Convert(in, out);
    if (copied.batches % 2 == 1) writer->Prepare(out);
    writer->Write(out);
  }
  writer->Commit();
  return copied;
}

size_t CountRows(ferry::ReadSession& session, const Table& table) {
  auto reader = session.Read(ReadAll(table));
  Batch batch;
  size_t rows = 0;
  while (reader->Next(batch)) rows += batch.num_rows();
  return rows;
}

// Resident memory of this process, from /proc/self/statm.
size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * size_t(sysconf(_SC_PAGESIZE));
}

const char* kEverything = R"sql(
CREATE TABLE everything (
  id int PRIMARY KEY, c_tiny tinyint, c_small smallint unsigned, c_medium mediumint,
  c_int int unsigned, c_big bigint, c_big_u bigint unsigned, c_dec decimal(38,10),
  c_money decimal(10,2), c_float float, c_double double, c_bool boolean, c_char char(5),
  c_varchar varchar(40), c_text longtext, c_blob longblob, c_bin binary(4),
  c_varbin varbinary(10), c_date date, c_time time(6), c_dt datetime(6), c_ts timestamp(6) NULL,
  c_year year, c_enum enum('a', 'b c'), c_uuid uuid, c_json json)
  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
)sql";

const char* kEverythingRows = R"sql(
INSERT INTO everything VALUES
 (1, -128, 0, -8388608, 0, -9223372036854775808, 0, -9999999999999999999999999999.9999999999,
  -99999999.99, -3.40282e38, -1.7976931348623157e308, false, 'a', '', '', X'00', X'00000000',
  X'', '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '1970-01-01 00:00:01', 1901, 'a',
  '00000000-0000-0000-0000-000000000000', '[]'),
 (2, 127, 65535, 8388607, 4294967295, 9223372036854775807, 18446744073709551615,
  9999999999999999999999999999.9999999999, 99999999.99, 3.40282e38, 1.7976931348623157e308,
  true, 'abcde', 'héllo wörld ñ 中文 😀', 'Ünïcødé: Ελληνικά, русский, 🦀👩‍👩‍👧', X'00ff0001fe',
  X'ff00ff00', X'0a09005c4e', '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999',
  '2038-01-19 03:14:07.999999', 2155, 'b c', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '{"a": [1, 2.5, "x\\ty", null], "ü": "😀"}'),
 (3, 0, 7, 0, 7, 1234567890123456789, 7, 0.0000000001, 0.01, 0.1, 0.1, true, 'ab',
  'tab\there', 'line1\nline2\r\n\\N \\ backslash \'apos\' \0nul', X'5c4e0a0d09', X'5c000a09',
  X'5c', '1969-12-31', '12:34:56.5', '1969-12-31 23:59:59.999999', '2024-02-29 12:00:00.000001',
  2000, 'a', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '"just a string"'),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (5, 0, 0, 0, 0, 0, 0, 0, 0, 1.5, 4.9e-324, false, '', ' ', 'NULL', X'', X'20202020', X'4e554c4c',
  '2000-02-29', '00:00:00.000001', '2000-02-29 12:00:00', '1999-12-31 23:59:59', 0, 'b c',
  '123e4567-e89b-12d3-a456-426614174000', '{}')
)sql";

}  // namespace

TEST_CASE("a MariaDB-to-MariaDB copy through libmariadb equals the source in every type",
          "[mariadb-native][mariadb]") {
  TestDatabase source(Db::kMariaDB, "every_src");
  TestDatabase dest(Db::kMariaDB, "every_dst");
  source.Exec(kEverything);
  source.Exec(kEverythingRows);
  auto from = Open(source, EndpointRole::kSource);
  for (const WriteMethod& method : kWriteMethods) {
    DYNAMIC_SECTION(method.method) {
      dest.Exec("DROP TABLE IF EXISTS everything");
      dest.Exec(kEverything);
      auto to = Open(dest, EndpointRole::kDestination, method);
      Copied copied = CopyTable(*from, source, *to, dest, "everything", BatchLimits{2, 1u << 20});
      CHECK(copied.read_method == kReadMethod);
      CHECK(copied.write_method == method.method);
      CHECK(copied.rows == 5);
      CHECK(copied.batches == 3);
      CHECK(FirstDifference(ReadCanonical(source, "everything"),
                            ReadCanonical(dest, "everything")) == "");
      // Every value as the server itself prints it, bytes in hex, floats exactly.
      const std::string all =
          "SELECT id, c_tiny, c_small, c_medium, c_int, c_big, c_big_u, c_dec, c_money, "
          "CAST(c_float AS DOUBLE), c_double, c_bool, c_char, HEX(c_varchar), HEX(c_text), "
          "HEX(c_blob), HEX(c_bin), HEX(c_varbin), c_date, c_time, c_dt, c_ts, c_year, c_enum, "
          "c_uuid, c_json FROM everything ORDER BY id";
      CHECK(dest.Query(all) == source.Query(all));
    }
  }
}

TEST_CASE("values with tabs, newlines, backslashes and NUL bytes round-trip through both writers",
          "[mariadb-native][mariadb]") {
  TestDatabase source(Db::kMariaDB, "escape_src");
  TestDatabase dest(Db::kMariaDB, "escape_dst");
  const char* ddl =
      "CREATE TABLE e (id int PRIMARY KEY, t text, b blob, v varchar(20)) "
      "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
  source.Exec(ddl);
  // Every byte value in the blob; every escape LOAD DATA knows, and the words it might take for
  // NULL, in the text.
  source.Exec(
      "INSERT INTO e VALUES "
      "(1, '\\t\\n\\r\\\\\\0\\Z', (SELECT UNHEX(GROUP_CONCAT(LPAD(HEX(seq), 2, '0') SEPARATOR '')) "
      "FROM seq_0_to_255), '\\\\N'),\n"
      "(2, 'NULL', X'5c4e', 'N'),\n"
      "(3, '\\\\', X'5c', '\\\\\\\\'),\n"
      "(4, '', X'', ''),\n"
      "(5, NULL, NULL, NULL),\n"
      "(6, 'ends with a backslash\\\\', X'0a', 'tab\\tend\\t'),\n"
      "(7, '\\0', X'00', '\\0\\0')");
  auto from = Open(source, EndpointRole::kSource);
  for (const WriteMethod& method : kWriteMethods) {
    DYNAMIC_SECTION(method.method) {
      dest.Exec("DROP TABLE IF EXISTS e");
      dest.Exec(ddl);
      auto to = Open(dest, EndpointRole::kDestination, method);
      Copied copied = CopyTable(*from, source, *to, dest, "e", BatchLimits{3, 1u << 20});
      CHECK(copied.write_method == method.method);
      CHECK(copied.rows == 7);
      const std::string all =
          "SELECT id, HEX(t), t IS NULL, HEX(b), b IS NULL, HEX(v), v IS NULL FROM e ORDER BY id";
      CHECK(dest.Query(all) == source.Query(all));
      CHECK(dest.QueryValue("SELECT LENGTH(b) FROM e WHERE id = 1") == "256");
    }
  }
}

TEST_CASE("a streaming read of a large table keeps memory bounded", "[mariadb-native][mariadb]") {
  TestDatabase source(Db::kMariaDB, "big_src");
  source.Exec(
      "CREATE TABLE big (id bigint PRIMARY KEY, n int, d decimal(15,2), s varchar(100));\n"
      "INSERT INTO big SELECT seq, seq % 1000, seq / 100, REPEAT(CHAR(65 + seq % 26), 90) "
      "FROM seq_1_to_1000000");
  auto from = Open(source, EndpointRole::kSource);
  const Table table = Describe(*from, source, "big");
  auto session = from->OpenReadSession();
  auto reader = session->Read(ReadAll(table, BatchLimits{8192, 16u << 20}));
  CHECK(reader->Method() == kReadMethod);
  Batch batch;
  size_t rows = 0;
  size_t after_first = 0, peak = 0;
  int64_t expected_id = 1;
  bool in_order = true;
  while (reader->Next(batch)) {
    for (size_t r = 0; r < batch.num_rows(); ++r)
      in_order &= batch.column(0).Int(r) == expected_id++;
    rows += batch.num_rows();
    if (after_first == 0) after_first = ResidentBytes();
    peak = std::max(peak, ResidentBytes());
  }
  CHECK(rows == 1000000);
  CHECK(in_order);
  // The table is ~110 MB as text; a stored result would grow the process by at least that.
  INFO("resident after the first batch " << after_first << ", peak " << peak);
  CHECK(peak < after_first + (16u << 20));
}

TEST_CASE("a duplicate key fails the unit, names the key and leaves nothing written",
          "[mariadb-native][mariadb]") {
  TestDatabase source(Db::kMariaDB, "dup_src");
  TestDatabase dest(Db::kMariaDB, "dup_dst");
  const char* ddl = "CREATE TABLE d (id int PRIMARY KEY, v varchar(10), u int, UNIQUE KEY (u))";
  source.Exec(ddl);
  dest.Exec(ddl);
  source.Exec("INSERT INTO d SELECT seq, 'x', seq FROM seq_1_to_3000");
  auto from = Open(source, EndpointRole::kSource);
  const Table table = Describe(*from, source, "d");
  for (const WriteMethod& method : kWriteMethods) {
    for (bool unique_index : {false, true}) {
      DYNAMIC_SECTION(method.method << (unique_index ? ", in a unique index" : ", in the key")) {
        auto to = Open(dest, EndpointRole::kDestination, method);
        const Table destination = Describe(*to, dest, "d");
        // A committed row that the unit's rows collide with.
        dest.Exec(unique_index ? "INSERT INTO d VALUES (9000, 'old', 2500)"
                               : "INSERT INTO d VALUES (2500, 'old', 9000)");
        auto read_session = from->OpenReadSession();
        auto write_session = to->OpenWriteSession();
        Batch batch;
        {
          auto reader = read_session->Read(ReadAll(table, BatchLimits{1000, 1u << 20}));
          auto writer = write_session->Write(WriteAll(destination));
          CHECK(writer->Method() == method.method);
          try {
            while (reader->Next(batch)) writer->Write(batch);
            writer->Commit();
            FAIL("the duplicate key was accepted");
          } catch (const Error& e) {
            INFO(e.what());
            CHECK(e.code() == ErrorCode::kData);
            // A writer names the key; the pipeline adds the table at the unit boundary (AtUnit).
            CHECK(e.context().table.empty());
            CHECK(e.sqlstate() == "23000");
            CHECK(std::string(e.what()).find("Duplicate entry '2500'") != std::string::npos);
          }
          writer->Rollback();
          // The reader is dropped unfinished: its query is killed.
        }
        CHECK(dest.QueryValue("SELECT count(*) FROM d") == "1");
        CHECK(dest.QueryValue("SELECT v FROM d") == "old");
        // The session is usable for the next unit.
        dest.Exec("DELETE FROM d");
        auto again = write_session->Write(WriteAll(destination));
        auto reread = read_session->Read(ReadAll(table));
        while (reread->Next(batch)) again->Write(batch);
        again->Commit();
        CHECK(dest.QueryValue("SELECT count(*) FROM d") == "3000");
        dest.Exec("DELETE FROM d");
      }
    }
  }
}

TEST_CASE("a value refused by strict mode fails the unit with the table and row named",
          "[mariadb-native][mariadb]") {
  TestDatabase source(Db::kMariaDB, "strict_src");
  TestDatabase dest(Db::kMariaDB, "strict_dst");
  source.Exec(
      "CREATE TABLE s (id int PRIMARY KEY, small int, name varchar(20), amount int);\n"
      "INSERT INTO s SELECT seq, seq % 100, 'ok', seq FROM seq_1_to_2000;\n"
      "UPDATE s SET small = 1000 WHERE id = 1234;\n"
      "UPDATE s SET name = 'far too long' WHERE id = 1500;\n"
      "UPDATE s SET amount = -5 WHERE id = 1700");
  struct Case {
    const char* what;
    const char* ddl;
    const char* key;
    const char* sqlstate[2];  // bulk insert's error; the error LOAD DATA's warning stands for
  };
  // The writer is given the rows unconverted, as if the converter had let them through, so the
  // server's own refusal is what is tested.
  const Case cases[] = {
      {"an integer out of range",
       "small tinyint, name varchar(20), amount int",
       "1234",
       {"22003", "22003"}},
      {"a string too long", "small int, name varchar(5), amount int", "1500", {"22001", "01000"}},
      {"a CHECK constraint",
       "small int, name varchar(20), amount int CHECK (amount > 0)",
       nullptr,
       {"23000", "23000"}}};
  for (int m = 0; m < 2; ++m) {
    for (const Case& c : cases) {
      DYNAMIC_SECTION(kWriteMethods[m].method << ", " << c.what) {
        dest.Exec("DROP TABLE IF EXISTS s");
        dest.Exec(std::string("CREATE TABLE s (id int PRIMARY KEY, ") + c.ddl + ")");
        auto from = Open(source, EndpointRole::kSource);
        auto to = Open(dest, EndpointRole::kDestination, kWriteMethods[m]);
        const Table table = Describe(*from, source, "s");
        const Table destination = Describe(*to, dest, "s");
        auto read_session = from->OpenReadSession();
        auto write_session = to->OpenWriteSession();
        auto reader = read_session->Read(ReadAll(table, BatchLimits{500, 1u << 20}));
        auto writer = write_session->Write(WriteAll(destination));
        Batch batch;
        try {
          while (reader->Next(batch)) writer->Write(batch);
          writer->Commit();
          FAIL("the server accepted the value");
        } catch (const Error& e) {
          INFO(e.what());
          CHECK(e.code() == ErrorCode::kData);
          // A writer names the key; the pipeline adds the table at the unit boundary (AtUnit).
          CHECK(e.context().table.empty());
          if (c.key) CHECK(e.context().key == std::string("(id)=(") + c.key + ")");
          CHECK(e.sqlstate() == c.sqlstate[m]);
        }
        writer->Rollback();
        CHECK(dest.QueryValue("SELECT count(*) FROM s") == "0");
      }
    }
  }
}

TEST_CASE("a value the reader cannot decode is refused by column and key",
          "[mariadb-native][mariadb]") {
  TestDatabase source(Db::kMariaDB, "undecodable_src");
  struct Case {
    const char* column;
    const char* value;
    const char* says;
  };
  // (Zero dates and TIME values beyond a day decode: real_schemas_test.cpp copies them.)
  for (const Case& c : {Case{"d tinyint(1)", "2", "neither 0 nor 1"}}) {
    DYNAMIC_SECTION(c.column) {
      source.Exec("DROP TABLE IF EXISTS u");
      source.Exec(std::string("CREATE TABLE u (id int PRIMARY KEY, ") + c.column + ")");
      source.Exec(std::string("INSERT INTO u VALUES (1, NULL), (77, ") + c.value + "), (78, NULL)");
      auto from = Open(source, EndpointRole::kSource);
      const Table table = Describe(*from, source, "u");
      auto session = from->OpenReadSession();
      {
        auto reader = session->Read(ReadAll(table));
        Batch batch;
        try {
          while (reader->Next(batch)) {
          }
          FAIL("the value was read");
        } catch (const Error& e) {
          INFO(e.what());
          CHECK(e.code() == ErrorCode::kData);
          CHECK(e.context().table == source.name() + ".u");
          CHECK(e.context().column == "d");
          CHECK(e.context().key == "(id)=(77)");
          CHECK(std::string(e.what()).find(c.says) != std::string::npos);
        }
      }
      // The session reads on after the failed unit.
      source.Exec("DELETE FROM u WHERE id = 77");
      CHECK(CountRows(*session, table) == 2);
    }
  }
}

TEST_CASE("a native writer rolled back or dropped half way leaves nothing, its session goes on",
          "[mariadb-native][mariadb]") {
  TestDatabase source(Db::kMariaDB, "rollback_src");
  TestDatabase dest(Db::kMariaDB, "rollback_dst");
  const char* ddl = "CREATE TABLE t (id int PRIMARY KEY, v text)";
  source.Exec(ddl);
  dest.Exec(ddl);
  source.Exec("INSERT INTO t SELECT seq, seq FROM seq_1_to_100");
  auto from = Open(source, EndpointRole::kSource);
  const Table table = Describe(*from, source, "t");
  Batch batch;
  {
    auto read_session = from->OpenReadSession();
    auto reader = read_session->Read(ReadAll(table));
    REQUIRE(reader->Next(batch));
  }
  for (const WriteMethod& method : kWriteMethods) {
    DYNAMIC_SECTION(method.method) {
      auto to = Open(dest, EndpointRole::kDestination, method);
      const Table destination = Describe(*to, dest, "t");
      auto write_session = to->OpenWriteSession();
      {
        auto writer = write_session->Write(WriteAll(destination));
        CHECK(writer->Method() == method.method);
        writer->Write(batch);
        writer->Rollback();
      }
      {
        auto writer = write_session->Write(WriteAll(destination));
        writer->Write(batch);
        // Dropped without Commit or Rollback: the destructor rolls back.
      }
      CHECK(dest.QueryValue("SELECT count(*) FROM t") == "0");
      auto writer = write_session->Write(WriteAll(destination));
      writer->Write(batch);
      writer->Commit();
      CHECK(dest.QueryValue("SELECT count(*) FROM t") == "100");
      dest.Exec("DELETE FROM t");
    }
  }
}

TEST_CASE("each reader sees the consistent snapshot it started with", "[mariadb-native][mariadb]") {
  TestDatabase source(Db::kMariaDB, "snap_src");
  source.Exec(
      "CREATE TABLE s (id int PRIMARY KEY, v int);\n"
      "INSERT INTO s SELECT seq, seq FROM seq_1_to_1000");
  auto from = Open(source, EndpointRole::kSource);
  const Table table = Describe(*from, source, "s");

  CHECK(from->BeginSnapshot(ferry::Consistency::kSnapshot)
            .find("a consistent snapshot per "
                  "reader") == 0);
  auto first = from->OpenReadSession();
  source.Exec("INSERT INTO s SELECT seq, seq FROM seq_1001_to_1500");
  auto second = from->OpenReadSession();
  CHECK(CountRows(*first, table) == 1000);
  CHECK(CountRows(*second, table) == 1500);
  {
    // A reader dropped after its first batch: its query is killed, its snapshot stays.
    auto reader = first->Read(ReadAll(table, BatchLimits{10, 1u << 20}));
    Batch batch;
    REQUIRE(reader->Next(batch));
    CHECK(batch.num_rows() == 10);
  }
  source.Exec("DELETE FROM s WHERE id <= 100");
  CHECK(CountRows(*first, table) == 1000);
  CHECK(CountRows(*second, table) == 1500);

  from->BeginSnapshot(ferry::Consistency::kNone);
  auto fresh = from->OpenReadSession();
  CHECK(CountRows(*fresh, table) == 1400);
  source.Exec("DELETE FROM s WHERE id <= 200");
  CHECK(CountRows(*fresh, table) == 1300);
}

TEST_CASE("a key-range unit streams only its rows from MariaDB, within the batch limits",
          "[mariadb-native][mariadb]") {
  TestDatabase source(Db::kMariaDB, "range_src");
  source.Exec(
      "CREATE TABLE k (id bigint PRIMARY KEY, v text);\n"
      "INSERT INTO k SELECT seq, REPEAT('v', 100) FROM seq_1_to_10000");
  auto from = Open(source, EndpointRole::kSource);
  const Table table = Describe(*from, source, "k");
  ReadRequest read = ReadAll(table, BatchLimits{1000, 20000});
  read.unit.range.key_columns = {0};
  read.unit.range.lo = std::vector<std::string>{"2500"};
  read.unit.range.hi = std::vector<std::string>{"7500"};
  auto session = from->OpenReadSession();
  auto reader = session->Read(read);
  Batch batch;
  size_t rows = 0, batches = 0;
  int64_t low = INT64_MAX, high = INT64_MIN;
  while (reader->Next(batch)) {
    ++batches;
    CHECK(batch.num_rows() <= 1000);
    CHECK(batch.ByteSize() < 20000 + 200);  // stops at the first row past the limit
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      low = std::min(low, batch.column(0).Int(r));
      high = std::max(high, batch.column(0).Int(r));
    }
    rows += batch.num_rows();
  }
  CHECK(rows == 5000);
  CHECK(low == 2500);
  CHECK(high == 7499);
  CHECK(batches > 5);
}

TEST_CASE("the MariaDB write method can be chosen for measurements and an unknown one is refused",
          "[mariadb-native][mariadb]") {
  TestDatabase dest(Db::kMariaDB, "method_dst");
  dest.Exec("CREATE TABLE t (id int PRIMARY KEY)");
  const Table* table = nullptr;
  for (auto [setting, method] :
       {std::pair{"odbc", "ODBC parameter arrays"}, std::pair{"load-data", "LOAD DATA LOCAL"},
        std::pair{"bulk", "bulk prepared insert"}}) {
    auto to = Open(dest, EndpointRole::kDestination, WriteMethod{setting, method});
    const Table destination = Describe(*to, dest, "t");
    table = &destination;
    auto session = to->OpenWriteSession();
    auto writer = session->Write(WriteAll(*table));
    CHECK(writer->Method() == method);
    writer->Rollback();
  }
  try {
    Open(dest, EndpointRole::kDestination, WriteMethod{"fastest", ""});
    FAIL("an unknown write method was accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUsage);
    CHECK(std::string(e.what()).find("bulk, load-data or odbc") != std::string::npos);
  }
}

TEST_CASE("a MariaDB DSN's server, user and password in odbc.ini reach the libmariadb sessions",
          "[mariadb-native][mariadb]") {
  TestDatabase source(Db::kMariaDB, "dsn_src");
  source.Exec(
      "CREATE TABLE t (id int PRIMARY KEY, v varchar(10));\n"
      "INSERT INTO t SELECT seq, 'x' FROM seq_1_to_250");
  // A user DSN file of this test's own (unixODBC reads $ODBCINI), with the password in it and
  // none in the environment.
  const std::filesystem::path ini =
      std::filesystem::temp_directory_path() / ("ferry-dsn-" + std::to_string(getpid()) + ".ini");
  const char* port = std::getenv("FERRY_TEST_MARIADB_PORT");
  {
    std::ofstream out(ini);
    out << "[ferry_native_dsn]\nDriver = MariaDB Unicode\nServer = 127.0.0.1\nPort = "
        << (port && *port ? port : "33069") << "\nDatabase = " << source.name()
        << "\nUser = ferry\nPassword = " << TestPassword() << "\n";
  }
  // Private, as ferry requires of an odbc.ini that holds a password.
  std::filesystem::permissions(
      ini, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  setenv("ODBCINI", ini.c_str(), 1);
  unsetenv("FERRY_SOURCE_PASSWORD");
  struct Cleanup {
    std::filesystem::path path;
    ~Cleanup() {
      unsetenv("ODBCINI");
      std::filesystem::remove(path);
    }
  } cleanup{ini};
  auto from = ferry::OpenEndpoint("ferry_native_dsn", EndpointRole::kSource);
  CHECK(from->info().display == "DSN=ferry_native_dsn");
  const Table table = Describe(*from, source, "t");
  auto session = from->OpenReadSession();
  auto reader = session->Read(ReadAll(table));
  CHECK(reader->Method() == kReadMethod);
  Batch batch;
  size_t rows = 0;
  while (reader->Next(batch)) rows += batch.num_rows();
  CHECK(rows == 250);
}
