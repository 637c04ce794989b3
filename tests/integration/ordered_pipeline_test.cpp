// EngineOptions::ordered, which a sync relies on: each unit records how far the change log has
// been applied, so units must commit in job order and none may commit after one that failed,
// even a unit the reader had already read ahead. UnitJob::resolve completes a unit on the reader
// thread just before it is read, and its "nothing left" skips the rest. Driven through
// RunPipeline against real servers.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>

#include "copier/catalog.hpp"
#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "drivers/open.hpp"
#include "scheduler/pipeline.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using ferry::UnitJob;
using ferry::UnitResult;
using ferry::UnitState;

namespace {

std::unique_ptr<ferry::Endpoint> Open(TestDatabase& db, ferry::EndpointRole role) {
  setenv("FERRY_SOURCE_PASSWORD", TestPassword().c_str(), 1);
  setenv("FERRY_DEST_PASSWORD", TestPassword().c_str(), 1);
  return ferry::OpenEndpoint(db.Url(), role);
}

// Source rows 1..30; an empty destination table of the same shape, and a table `marks` where
// each unit's finish statement records it.
struct Setup {
  TestDatabase source{Db::kPostgres, "ordered_src"};
  TestDatabase dest;
  std::unique_ptr<ferry::Endpoint> from;
  std::unique_ptr<ferry::Endpoint> to;
  ferry::Table source_table;
  ferry::Table dest_table;
  std::unique_ptr<ferry::RowConverter> converter;

  explicit Setup(Db db) : dest(db, "ordered_dst") {
    source.Exec(
        "CREATE TABLE items (id integer PRIMARY KEY, name varchar(20));\n"
        "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 30) g");
    dest.Exec(
        "CREATE TABLE items (id integer PRIMARY KEY, name varchar(20));\n"
        "CREATE TABLE marks (unit integer)");
    from = Open(source, ferry::EndpointRole::kSource);
    to = Open(dest, ferry::EndpointRole::kDestination);
    source_table = *from->DescribeTable({"public", "items"});
    dest_table =
        *to->DescribeTable({db == Db::kPostgres ? "public" : to->info().default_schema, "items"});
    std::vector<ferry::ColumnPairing> pairs;
    for (size_t i = 0; i < source_table.columns.size(); ++i) {
      pairs.push_back({&source_table.columns[i], &dest_table.columns[i]});
    }
    converter = std::make_unique<ferry::RowConverter>("items", pairs, to->info().limits,
                                                      std::vector<int>{0}, from->info().limits);
  }

  // Unit `n` copies ids 10n+1 .. 10n+10 and marks itself; `finish_sql` replaces the mark.
  void Fill(UnitJob& job, int n, const std::string& finish_sql = "") {
    job.read.table = &source_table;
    job.read.columns = {0, 1};
    job.read.unit.table = source_table.name;
    job.read.unit.range.key_columns = {0};
    job.read.unit.range.lo = std::vector<std::string>{std::to_string(10 * n + 1)};
    job.read.unit.range.hi = std::vector<std::string>{std::to_string(10 * n + 11)};
    job.write.table = &dest_table;
    job.write.columns = {0, 1};
    job.write.key_positions = {0};
    job.converter = converter.get();
    const std::string sql =
        finish_sql.empty() ? "INSERT INTO marks VALUES (" + std::to_string(n) + ")" : finish_sql;
    job.finish = [sql](const UnitResult&) { return std::vector<std::string>{sql}; };
  }

  std::vector<UnitResult> Run(const std::vector<UnitJob>& jobs, int writers = 1,
                              double patience = 20) {
    ferry::EngineOptions options;
    options.ordered = true;
    options.readers = 4;  // ordered runs use one reader and ordered_writers whatever is asked
    options.writers = 4;
    options.ordered_writers = writers;
    options.turn_patience = patience;
    return ferry::RunPipeline(*from, *to, options, jobs, 1, [](const ferry::PipelineProgress&) {});
  }
};

}  // namespace

TEST_CASE("an ordered run commits no unit after one that failed, even one already read",
          "[pipeline][ordered]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    for (int writers : {1, 2}) {
      DYNAMIC_SECTION(DbName(db) << ", " << writers << " writers") {
        Setup s(db);
        std::vector<UnitJob> jobs(3);
        s.Fill(jobs[0], 0);
        s.Fill(jobs[1], 1, "INSERT INTO no_such_table VALUES (1)");  // fails at its commit
        s.Fill(jobs[2], 2);
        const std::vector<UnitResult> results = s.Run(jobs, writers);
        REQUIRE(results.size() == 3);
        CHECK(results[0].state == UnitState::kDone);
        CHECK(results[1].state == UnitState::kFailed);
        CHECK_FALSE(results[1].transient);
        CHECK(results[1].attempts == 1);  // not retried: the caller starts again from it
        CHECK(results[2].state == UnitState::kSkipped);
        CHECK(s.dest.QueryValue("SELECT count(*) FROM items") == "10");
        CHECK(s.dest.QueryValue("SELECT count(*) FROM items WHERE id > 10") == "0");
        CHECK(s.dest.QueryValue("SELECT count(*) FROM marks") == "1");
      }
    }
  }
}

TEST_CASE(
    "an ordered run with two writers writes a unit beside the one before and commits in "
    "job order",
    "[pipeline][ordered]") {
  Setup s(Db::kPostgres);
  // Each unit's finish notes the time its commit began; the first unit's waits a little first,
  // so the second is written meanwhile and must wait for it.
  s.dest.Exec("ALTER TABLE marks ADD COLUMN at timestamptz");
  std::vector<UnitJob> jobs(3);
  for (int i = 0; i < 3; ++i) {
    s.Fill(jobs[size_t(i)], i,
           "INSERT INTO marks VALUES (" + std::to_string(i) + ", clock_timestamp())");
  }
  const std::string first = "INSERT INTO marks VALUES (0, clock_timestamp())";
  jobs[0].finish = [first](const UnitResult&) {
    return std::vector<std::string>{"DO $$ BEGIN PERFORM pg_sleep(1); END $$", first};
  };
  jobs[2].after_previous = true;  // starts only once unit 1 committed
  const std::vector<UnitResult> results = s.Run(jobs, 2);
  REQUIRE(results.size() == 3);
  for (const UnitResult& r : results) CHECK(r.state == UnitState::kDone);
  CHECK(s.dest.QueryValue("SELECT count(*) FROM items") == "30");
  CHECK(s.dest.QueryValue("SELECT string_agg(unit::text, ',' ORDER BY at) FROM marks") == "0,1,2");
  // Unit 1 was written while unit 0 waited in its commit, by the other writer.
  CHECK(results[1].writer != results[0].writer);
  CHECK(results[1].write_started_at < results[0].finished_at);
  // Unit 2 started writing only after unit 1 had committed.
  CHECK(results[2].write_started_at >= results[1].finished_at);
}

TEST_CASE(
    "a unit waiting for its turn to commit while the unit before waits for its lock is "
    "rolled back, and the unit before commits",
    "[pipeline][ordered]") {
  Setup s(Db::kPostgres);
  s.dest.Exec("INSERT INTO items SELECT g, 'old ' || g FROM generate_series(1, 30) g");
  std::vector<UnitJob> jobs(3);
  for (int i = 0; i < 3; ++i) {
    s.Fill(jobs[size_t(i)], i);
    // Each unit replaces its rows: its DELETE locks them as its writer starts.
    ferry::KeyRange range = jobs[size_t(i)].read.unit.range;
    jobs[size_t(i)].write.replace_range = range;
  }
  // Unit 0, after a pause that lets unit 1 delete its rows, changes one of them: it waits for
  // unit 1's lock while unit 1 waits for unit 0 to commit. Nothing on the server sees that.
  jobs[0].finish = [](const UnitResult&) {
    return std::vector<std::string>{"DO $$ BEGIN PERFORM pg_sleep(1); END $$",
                                    "UPDATE items SET name = 'touched' WHERE id = 15",
                                    "INSERT INTO marks VALUES (0)"};
  };
  const std::vector<UnitResult> results = s.Run(jobs, 2, /*patience=*/3);
  REQUIRE(results.size() == 3);
  CHECK(results[0].state == UnitState::kDone);
  CHECK(results[1].state == UnitState::kFailed);
  CHECK(results[1].transient);  // the caller tries again from unit 1
  REQUIRE(results[1].error);
  CHECK(results[1].error->sqlstate() == "40F01");
  CHECK(results[2].state == UnitState::kSkipped);
  // Unit 1's delete was rolled back: unit 0 changed the old row.
  CHECK(s.dest.QueryValue("SELECT name FROM items WHERE id = 15") == "touched");
  CHECK(s.dest.QueryValue("SELECT count(*) FROM items WHERE name LIKE 'old %'") == "19");
  CHECK(s.dest.QueryValue("SELECT string_agg(unit::text, ',') FROM marks") == "0");
}

TEST_CASE("an ordered run resolves each unit just before reading it and stops where told",
          "[pipeline][ordered]") {
  Setup s(Db::kPostgres);
  std::vector<UnitJob> jobs(5);
  std::vector<int> resolved;
  for (int i = 0; i < 5; ++i) {
    jobs[size_t(i)].resolve = [&s, &resolved, i](UnitJob& job) {
      resolved.push_back(i);
      if (i == 2) return false;  // nothing left from here on
      s.Fill(job, i);
      return true;
    };
  }
  const std::vector<UnitResult> results = s.Run(jobs);
  REQUIRE(results.size() == 5);
  CHECK(results[0].state == UnitState::kDone);
  CHECK(results[1].state == UnitState::kDone);
  CHECK(results[2].state == UnitState::kSkipped);
  CHECK(results[3].state == UnitState::kSkipped);
  CHECK(results[4].state == UnitState::kSkipped);
  CHECK(resolved == std::vector<int>{0, 1, 2});  // later units are never asked
  CHECK(s.dest.QueryValue("SELECT count(*) FROM items") == "20");
  CHECK(s.dest.QueryValue("SELECT string_agg(unit::text, ',' ORDER BY unit) FROM marks") == "0,1");
}

TEST_CASE("an error while resolving a unit fails it and skips the rest of an ordered run",
          "[pipeline][ordered]") {
  Setup s(Db::kPostgres);
  std::vector<UnitJob> jobs(3);
  for (int i = 0; i < 3; ++i) {
    jobs[size_t(i)].resolve = [&s, i](UnitJob& job) {
      if (i == 1) throw ferry::Error(ferry::ErrorCode::kConnection, "the change log went away");
      s.Fill(job, i);
      return true;
    };
  }
  const std::vector<UnitResult> results = s.Run(jobs);
  REQUIRE(results.size() == 3);
  CHECK(results[0].state == UnitState::kDone);
  CHECK(results[1].state == UnitState::kFailed);
  CHECK(results[1].transient);  // a lost connection: the caller may try again
  REQUIRE(results[1].error);
  CHECK(std::string(results[1].error->what()).find("the change log went away") !=
        std::string::npos);
  CHECK(results[2].state == UnitState::kSkipped);
  CHECK(s.dest.QueryValue("SELECT count(*) FROM items") == "10");
}
