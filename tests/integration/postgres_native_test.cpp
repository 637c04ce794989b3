// The PostgreSQL native path (drivers/postgres): binary COPY readers and writers through libpq,
// driven directly through the Endpoint sessions (not the scheduler), on the project's test
// server. Results are checked with the tests' own comparison, and with the server's own text
// where the scale of a numeric or the spelling of a special value matters.
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
#include "tests/support/ferry_command.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using ferry::Batch;
using ferry::BatchLimits;
using ferry::Endpoint;
using ferry::EndpointRole;
using ferry::Error;
using ferry::ErrorCode;
using ferry::ReadRequest;
using ferry::Table;
using ferry::TableName;
using ferry::WriteRequest;

namespace {

std::unique_ptr<Endpoint> Open(TestDatabase& db, EndpointRole role,
                               const ferry::EndpointOptions& options = {}) {
  setenv("FERRY_SOURCE_PASSWORD", TestPassword().c_str(), 1);
  setenv("FERRY_DEST_PASSWORD", TestPassword().c_str(), 1);
  return ferry::OpenEndpoint(db.Url(), role, options);
}

Table Describe(Endpoint& endpoint, const std::string& table) {
  std::optional<Table> t = endpoint.DescribeTable(TableName{"public", table});
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

struct Copied {
  std::string read_method;
  std::string write_method;
  size_t rows = 0;
  size_t batches = 0;
};

// Copies `table` between two existing tables of the same shape through one read and one write
// session: decoded, converted and encoded, or passed through undecoded. Every other batch is
// prepared (encoded ahead, as worker threads do) and the rest are encoded by Write itself.
Copied CopyTable(Endpoint& from, Endpoint& to, const std::string& name, bool pass_through,
                 BatchLimits limits = {}) {
  const Table source = Describe(from, name);
  const Table destination = Describe(to, name);
  ReadRequest read = ReadAll(source, limits);
  read.pass_through = pass_through;
  WriteRequest write;
  write.table = &destination;
  write.columns = AllColumns(destination);
  write.key_positions = ferry::KeyPositions(source, read.columns);
  write.pass_through = pass_through;
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
    if (pass_through) {
      writer->Write(in);
      continue;
    }
    converter.Convert(in, out);
    if (copied.batches % 2 == 1) writer->Prepare(out);
    writer->Write(out);
  }
  writer->Commit();
  return copied;
}

// Every value in its own column of `table`, as the server prints it, ordered by id.
std::vector<Row> ServerText(TestDatabase& db, const std::string& table,
                            const std::string& columns) {
  return db.Query("SELECT " + columns + " FROM " + table + " ORDER BY id");
}

const char* kEverything = R"sql(
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE everything (
  id integer PRIMARY KEY, c_smallint smallint, c_bigint bigint, c_numeric numeric,
  c_money numeric(10,2), c_real real, c_double double precision, c_bool boolean, c_char char(5),
  c_varchar varchar(40), c_text text, c_bytes bytea, c_date date, c_time time(6),
  c_ts timestamp(6), c_tstz timestamptz(6), c_uuid uuid, c_jsonb jsonb, c_json json,
  c_mood mood, c_interval interval, c_ints integer[], c_texts text[], c_oid oid);
)sql";

const char* kEverythingRows = R"sql(
INSERT INTO everything VALUES
 (1, -32768, -9223372036854775808, 'NaN', -99999999.99, 'NaN', '-Infinity', false, 'a', '',
  E'tab\there\nnewline \\ backslash', '\x00ff', '-infinity', '24:00:00', 'infinity',
  '-infinity', '00000000-0000-0000-0000-000000000000', '{"a": [1, 2.5]}', '{"k" : "v"}', 'sad',
  '1 year 2 mons 3 days 04:05:06.789', '{1,NULL,3}', '{"a b","c\"d",NULL}', 4294967295),
 (2, 32767, 9223372036854775807, '-0.000000000000000000001', 0.10, '-0', '1.7976931348623157e308',
  true, 'abcde', 'héllo 😀', 'Ünïcødé 日本語', '\x', '0001-01-01', '00:00:00.000001',
  '0001-01-01 00:00:00', '9999-12-31 23:59:59.999999+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '[]', '[ ]', 'happy', '-1 days', '{}', '{}', 0),
 (3, NULL, NULL, 'Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
)sql";

}  // namespace

TEST_CASE("a PostgreSQL-to-PostgreSQL pass-through copy equals the source, special values too",
          "[postgres-native]") {
  TestDatabase source(Db::kPostgres, "pass_src");
  TestDatabase dest(Db::kPostgres, "pass_dst");
  source.Exec(kEverything);
  source.Exec(kEverythingRows);
  dest.Exec(kEverything);
  auto from = Open(source, EndpointRole::kSource);
  auto to = Open(dest, EndpointRole::kDestination);
  Copied copied = CopyTable(*from, *to, "everything", true);
  CHECK(copied.read_method == "binary COPY (pass-through)");
  CHECK(copied.write_method == "binary COPY (pass-through)");
  CHECK(copied.rows == 3);
  CHECK(FirstDifference(ReadCanonical(source, "everything"), ReadCanonical(dest, "everything")) ==
        "");
  // Values the comparison cannot render (infinities, NaN) as the server prints them.
  const std::string all = "everything::text";
  CHECK(ServerText(dest, "everything", all) == ServerText(source, "everything", all));
}

TEST_CASE("pass-through batches hold whole tuples within the batch limits", "[postgres-native]") {
  TestDatabase source(Db::kPostgres, "passlim_src");
  TestDatabase dest(Db::kPostgres, "passlim_dst");
  const char* ddl = "CREATE TABLE t (id int PRIMARY KEY, v text)";
  source.Exec(ddl);
  source.Exec("INSERT INTO t SELECT g, repeat('x', g % 50) FROM generate_series(1, 1000) g");
  dest.Exec(ddl);
  auto from = Open(source, EndpointRole::kSource);
  auto to = Open(dest, EndpointRole::kDestination);
  Copied copied = CopyTable(*from, *to, "t", true, BatchLimits{64, 1u << 20});
  CHECK(copied.rows == 1000);
  CHECK(copied.batches == 16);  // 15 of 64 rows and one of 40
  CHECK(FirstDifference(ReadCanonical(source, "t"), ReadCanonical(dest, "t")) == "");
}

TEST_CASE("numeric edge values keep their exact digits and scale through binary COPY",
          "[postgres-native]") {
  TestDatabase source(Db::kPostgres, "numeric_src");
  TestDatabase dest(Db::kPostgres, "numeric_dst");
  const char* ddl =
      "CREATE TABLE n (id int PRIMARY KEY, free numeric, money numeric(10,2), wide numeric(38,0), "
      "fine numeric(38,37))";
  for (TestDatabase* db : {&source, &dest}) db->Exec(ddl);
  source.Exec(
      "INSERT INTO n VALUES "
      "(1, 0, 0, 0, 0), (2, -0.0001, -0.01, -1, -0.0000000000000000000000000000000000001), "
      "(3, 1e-20, 1.50, 99999999999999999999999999999999999999, "
      "9.9999999999999999999999999999999999999), "
      "(4, 1e40, 12345678.90, -99999999999999999999999999999999999999, 0.1), "
      "(5, 0.00000, 10.00, 10000, 1.0000000000000000000000000000000000000), "
      "(6, 123456789012345678901234567890.123456789012345678901234567890, 0.10, 100000000, "
      "-1.2345678901234567890123456789012345678), "
      "(7, -9999.9999, -0.00, 1000000000000000000000000000000, 0), "
      "(8, 10000.0001, 99999999.99, 12345678, 0.0001000)");
  auto from = Open(source, EndpointRole::kSource);
  auto to = Open(dest, EndpointRole::kDestination);
  Copied copied = CopyTable(*from, *to, "n", false);
  CHECK(copied.read_method == "binary COPY");
  CHECK(copied.write_method == "binary COPY");
  const std::string columns = "id, free::text, money::text, wide::text, fine::text";
  CHECK(ServerText(dest, "n", columns) == ServerText(source, "n", columns));
}

TEST_CASE("a numeric NaN is refused by column and key when rows are decoded", "[postgres-native]") {
  TestDatabase source(Db::kPostgres, "nan_src");
  source.Exec(
      "CREATE TABLE n (id int PRIMARY KEY, v numeric);\n"
      "INSERT INTO n VALUES (1, 1.5), (2, 'NaN')");
  auto from = Open(source, EndpointRole::kSource);
  const Table table = Describe(*from, "n");
  auto session = from->OpenReadSession();
  auto reader = session->Read(ReadAll(table));
  Batch batch;
  try {
    while (reader->Next(batch)) {
    }
    FAIL("NaN was read as a decimal");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kData);
    CHECK(e.context().table == "public.n");
    CHECK(e.context().column == "v");
    CHECK(e.context().key == "(id)=(2)");
    CHECK(std::string(e.what()).find("NaN") != std::string::npos);
  }
}

TEST_CASE("an infinite timestamp is refused by column and key when rows are decoded",
          "[postgres-native]") {
  TestDatabase source(Db::kPostgres, "inf_src");
  source.Exec(
      "CREATE TABLE t (id int PRIMARY KEY, d date, ts timestamptz);\n"
      "INSERT INTO t VALUES (1, '2020-01-01', now()), (7, '2020-01-01', 'infinity')");
  auto from = Open(source, EndpointRole::kSource);
  const Table table = Describe(*from, "t");
  auto session = from->OpenReadSession();
  auto reader = session->Read(ReadAll(table));
  Batch batch;
  try {
    while (reader->Next(batch)) {
    }
    FAIL("infinity was read as a timestamp");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kData);
    CHECK(e.context().column == "ts");
    CHECK(e.context().key == "(id)=(7)");
  }
}

TEST_CASE("a table with an enum or an interval column is written through text COPY exactly",
          "[postgres-native]") {
  TestDatabase source(Db::kPostgres, "enum_src");
  TestDatabase dest(Db::kPostgres, "enum_dst");
  const char* ddl =
      "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n"
      "CREATE TABLE e (id int PRIMARY KEY, m mood, i interval, t text, b bytea, ts timestamptz, "
      "d double precision, n numeric(12,3), u uuid, j jsonb)";
  source.Exec(ddl);
  dest.Exec(ddl);
  source.Exec(
      "INSERT INTO e VALUES (1, 'happy', '1 day 02:03:04.5', E'a\\tb\\nc\\\\d\\re', "
      "'\\x00015c0a', '2024-02-29 17:30:00.000001+05:30', 'NaN', -1.500, "
      "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"x\": \"\\\\N\"}'), "
      "(2, 'sad', '-3 mons', '\\N', '\\x', '1970-01-01 00:00:00+00', '-Infinity', 0.000, NULL, "
      "'null'), (3, NULL, NULL, '', NULL, NULL, -0, NULL, NULL, NULL)");
  auto from = Open(source, EndpointRole::kSource);
  auto to = Open(dest, EndpointRole::kDestination);
  Copied copied = CopyTable(*from, *to, "e", false);
  CHECK(copied.read_method == "binary COPY");
  CHECK(copied.write_method == "text COPY");
  CHECK(FirstDifference(ReadCanonical(source, "e"), ReadCanonical(dest, "e")) == "");
  const std::string all = "e::text";
  CHECK(ServerText(dest, "e", all) == ServerText(source, "e", all));
}

TEST_CASE("a row the server refuses at commit is named by table and key, and nothing is kept",
          "[postgres-native]") {
  TestDatabase source(Db::kPostgres, "refuse_src");
  TestDatabase dest(Db::kPostgres, "refuse_dst");
  source.Exec(
      "CREATE TABLE r (id int PRIMARY KEY, amount int, f text);\n"
      "INSERT INTO r SELECT g, CASE WHEN g = 2345 THEN -1 ELSE g END, 'x' "
      "FROM generate_series(1, 5000) g");
  for (const std::string method : {"binary COPY", "text COPY", "binary COPY (pass-through)"}) {
    DYNAMIC_SECTION(method) {
      const bool text = method == "text COPY";
      const bool pass_through = method == "binary COPY (pass-through)";
      // An enum column sends the table through text COPY.
      dest.Exec(std::string("DROP TABLE IF EXISTS r;\n") +
                (text ? "DROP TYPE IF EXISTS flag;\nCREATE TYPE flag AS ENUM ('x');\n"
                        "CREATE TABLE r (id int PRIMARY KEY, amount int CHECK (amount > 0), "
                        "f flag)"
                      : "CREATE TABLE r (id int PRIMARY KEY, amount int CHECK (amount > 0), "
                        "f text)"));
      auto from = Open(source, EndpointRole::kSource);
      auto to = Open(dest, EndpointRole::kDestination);
      const Table table = Describe(*from, "r");
      const Table destination = Describe(*to, "r");
      auto read_session = from->OpenReadSession();
      auto write_session = to->OpenWriteSession();
      WriteRequest write;
      write.table = &destination;
      write.columns = {0, 1, 2};
      write.key_positions = {0};
      write.pass_through = pass_through;
      ReadRequest read = ReadAll(table, BatchLimits{1000, 1u << 20});
      read.pass_through = pass_through;
      auto reader = read_session->Read(read);
      auto writer = write_session->Write(write);
      CHECK(writer->Method() == method);
      Batch batch;
      while (reader->Next(batch)) writer->Write(batch);
      try {
        writer->Commit();
        FAIL("the CHECK constraint did not fire");
      } catch (const Error& e) {
        INFO(e.what());
        // A writer names the key; the pipeline adds the table at the unit boundary (AtUnit).
        CHECK(e.context().table.empty());
        CHECK(e.context().key == "(id)=(2345)");
        CHECK(e.sqlstate() == "23514");
        CHECK(e.code() == ErrorCode::kData);
      }
      writer->Rollback();
      CHECK(dest.QueryValue("SELECT count(*) FROM r") == "0");
      // The session is usable for the next unit.
      auto again = write_session->Write(write);
      again->Commit();
    }
  }
}

TEST_CASE("a writer rolled back or dropped half way leaves nothing and its session goes on",
          "[postgres-native]") {
  TestDatabase source(Db::kPostgres, "rollback_src");
  TestDatabase dest(Db::kPostgres, "rollback_dst");
  const char* ddl = "CREATE TABLE t (id int PRIMARY KEY, v text)";
  source.Exec(ddl);
  dest.Exec(ddl);
  source.Exec("INSERT INTO t SELECT g, g::text FROM generate_series(1, 100) g");
  auto from = Open(source, EndpointRole::kSource);
  auto to = Open(dest, EndpointRole::kDestination);
  const Table table = Describe(*from, "t");
  const Table destination = Describe(*to, "t");
  WriteRequest write;
  write.table = &destination;
  write.columns = {0, 1};
  write.key_positions = {0};
  auto read_session = from->OpenReadSession();
  auto write_session = to->OpenWriteSession();
  Batch batch;
  {
    auto reader = read_session->Read(ReadAll(table));
    REQUIRE(reader->Next(batch));
    auto writer = write_session->Write(write);
    writer->Write(batch);
    writer->Rollback();
  }
  {
    auto writer = write_session->Write(write);
    writer->Write(batch);
    // Dropped without Commit or Rollback: the destructor rolls back.
  }
  CHECK(dest.QueryValue("SELECT count(*) FROM t") == "0");
  auto writer = write_session->Write(write);
  writer->Write(batch);
  writer->Commit();
  CHECK(dest.QueryValue("SELECT count(*) FROM t") == "100");
}

TEST_CASE("readers opened after BeginSnapshot share its snapshot and survive a dropped reader",
          "[postgres-native]") {
  TestDatabase source(Db::kPostgres, "snap_src");
  source.Exec(
      "CREATE TABLE s (id int PRIMARY KEY, v int);\n"
      "INSERT INTO s SELECT g, g FROM generate_series(1, 1000) g");
  auto from = Open(source, EndpointRole::kSource);
  const Table table = Describe(*from, "s");
  auto count = [&](ferry::ReadSession& session) {
    auto reader = session.Read(ReadAll(table));
    Batch batch;
    size_t rows = 0;
    while (reader->Next(batch)) rows += batch.num_rows();
    return rows;
  };

  CHECK(from->BeginSnapshot(ferry::Consistency::kSnapshot) ==
        "one snapshot shared by every reader");
  source.Exec("INSERT INTO s SELECT g, g FROM generate_series(1001, 1500) g");
  auto first = from->OpenReadSession();
  auto second = from->OpenReadSession();
  CHECK(count(*first) == 1000);
  {
    // A reader dropped after its first batch: its COPY is cancelled, the snapshot stays.
    auto reader = second->Read(ReadAll(table, BatchLimits{10, 1u << 20}));
    Batch batch;
    REQUIRE(reader->Next(batch));
    CHECK(batch.num_rows() == 10);
  }
  CHECK(count(*second) == 1000);
  source.Exec("DELETE FROM s WHERE id <= 100");
  CHECK(count(*first) == 1000);

  from->BeginSnapshot(ferry::Consistency::kNone);
  auto fresh = from->OpenReadSession();
  CHECK(count(*fresh) == 1400);
}

TEST_CASE("a key-range unit reads only its rows, within the batch limits", "[postgres-native]") {
  TestDatabase source(Db::kPostgres, "range_src");
  source.Exec(
      "CREATE TABLE k (id bigint PRIMARY KEY, v text);\n"
      "INSERT INTO k SELECT g, repeat('v', 100) FROM generate_series(1, 10000) g");
  auto from = Open(source, EndpointRole::kSource);
  const Table table = Describe(*from, "k");
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

  // Limits of zero still move one row per batch, decoded or passed through.
  for (bool pass_through : {false, true}) {
    ReadRequest tiny = ReadAll(table, BatchLimits{0, 0});
    tiny.unit.range.key_columns = {0};
    tiny.unit.range.hi = std::vector<std::string>{"6"};
    tiny.pass_through = pass_through;
    auto one_by_one = session->Read(tiny);
    size_t count = 0;
    while (one_by_one->Next(batch)) {
      CHECK(batch.num_rows() == 1);
      ++count;
    }
    CHECK(count == 5);
  }
}

TEST_CASE("a DSN names the server once: the libpq data path reads it from odbc.ini",
          "[postgres-native]") {
  TestDatabase source(Db::kPostgres, "dsn_src");
  TestDatabase dest(Db::kSQLite, "dsn_dst");
  source.Exec(
      "CREATE TABLE d (id int PRIMARY KEY, v text);\n"
      "INSERT INTO d SELECT g, 'row ' || g FROM generate_series(1, 500) g");
  // postgresql://ferry@HOST:PORT/NAME
  const std::string url = source.Url();
  const size_t at = url.find('@') + 1;
  const size_t colon = url.find(':', at);
  const size_t slash = url.find('/', colon);
  const std::string dsn = "ferry_test_dsn_" + std::to_string(getpid());
  const auto ini = std::filesystem::temp_directory_path() / (dsn + ".ini");
  {
    // psqlODBC's own key names, as its setup dialog writes them.
    std::ofstream out(ini);
    out << "[" << dsn << "]\nDriver=PostgreSQL Unicode\nServername=" << url.substr(at, colon - at)
        << "\nPort=" << url.substr(colon + 1, slash - colon - 1)
        << "\nDatabase=" << url.substr(slash + 1) << "\nUsername=ferry\n";
  }
  setenv("ODBCINI", ini.c_str(), 1);
  FerryResult run = RunFerry("run --source " + dsn + " --dest " + ShellQuote(dest.Url()));
  unsetenv("ODBCINI");
  std::filesystem::remove(ini);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(FirstDifference(ReadCanonical(source, "d"), ReadCanonical(dest, "d")) == "");
  CHECK(run.output.find(TestPassword()) == std::string::npos);
}

TEST_CASE(
    "long values written to a PostgreSQL destination are compressed with lz4 unless told "
    "to keep the server's default",
    "[postgres-native]") {
  TestDatabase source(Db::kPostgres, "lz4_src");
  TestDatabase dest(Db::kPostgres, "lz4_dst");
  if (dest.QueryValue("SELECT count(*) FROM pg_settings WHERE name = "
                      "'default_toast_compression' AND 'lz4' = ANY(enumvals)") != "1") {
    MarkSkipped("this PostgreSQL server has no lz4: nothing to check");
    return;
  }
  const char* ddl = "CREATE TABLE t (id int PRIMARY KEY, v text)";
  source.Exec(ddl);
  // Repetitive enough to compress, long enough (> 2 kB) to be compressed at all.
  source.Exec("INSERT INTO t SELECT g, repeat('compress me ', 1000) FROM generate_series(1, 20) g");
  dest.Exec(ddl);
  const std::string methods = "SELECT string_agg(DISTINCT pg_column_compression(v), ',') FROM t";
  {
    auto from = Open(source, EndpointRole::kSource);
    auto to = Open(dest, EndpointRole::kDestination);
    CopyTable(*from, *to, "t", true);
  }
  CHECK(dest.QueryValue(methods) == "lz4");
  CHECK(FirstDifference(ReadCanonical(source, "t"), ReadCanonical(dest, "t")) == "");
  // The column itself keeps the server's default.
  CHECK(dest.QueryValue("SELECT attcompression::text FROM pg_attribute WHERE attrelid = "
                        "'t'::regclass AND attname = 'v'") == "");

  dest.Exec("TRUNCATE t");
  ferry::EndpointOptions keep_servers;
  keep_servers.pg_toast_compression = "server";
  {
    auto from = Open(source, EndpointRole::kSource);
    auto to = Open(dest, EndpointRole::kDestination, keep_servers);
    CopyTable(*from, *to, "t", true);
  }
  CHECK(dest.QueryValue(methods) == dest.QueryValue("SHOW default_toast_compression"));
}

// The planner priced ferry's catalog walks (recursive CTEs over pg_depend) high enough to JIT-
// compile them: two seconds of server CPU for a query that ran in two milliseconds, in every
// check and run. A destination column defaulting to the session's setting shows what the
// writer's session runs with; every ferry session is set up by the same code.
TEST_CASE("ferry's PostgreSQL sessions run with JIT compilation off, whatever the server's default",
          "[postgres-native]") {
  TestDatabase source(Db::kPostgres, "jit_src");
  TestDatabase dest(Db::kPostgres, "jit_dst");
  source.Exec("CREATE TABLE t (id int PRIMARY KEY, v text)");
  source.Exec("INSERT INTO t VALUES (1, 'a'), (2, 'b')");
  dest.Exec("CREATE TABLE t (id int PRIMARY KEY, v text, jit text DEFAULT current_setting('jit'))");
  dest.Exec("ALTER DATABASE " + dest.name() + " SET jit = on");  // whatever the server's is
  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(dest.QueryValue("SELECT string_agg(DISTINCT jit, ',') FROM t") == "off");
}
