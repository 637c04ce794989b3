// Job files: every key is read, and anything wrong is refused naming the file, the line and
// the key.
#include <catch2/catch.hpp>

#include "copier/error.hpp"
#include "copier/job_file.hpp"

using namespace ferry;

namespace {

std::string ErrorOf(const std::string& yaml) {
  try {
    ParseJob(yaml, "job.yaml");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUsage);
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a job file sets connections, scope, renames, overrides and engine settings", "[job]") {
  Job job = ParseJob(R"(
source: postgresql://app@db1:5432/shop
destination: mysql://app@db2:3306/shop
include: ["sales.*", "public.order\\*items"]
exclude: "*_tmp"
write_mode: truncate
rename:
  schemas:
    - from: "*"
      to: public
      table_prefix: "{schema}_"
  tables:
    - from: sales.orders
      to: orders_2024
  columns:
    - table: "sales.*"
      from: cust_id
      to: customer_id
tables:
  - match: "sales.big_*"
    partitions: 32
    strategy: key ranges
    key: [tenant_id, id]
  - match: public.scratch
    strategy: skip
engine:
  workers: 3
  batch_rows: 4096
  batch_bytes: 8MiB
  memory_limit: 256 MiB
  consistency: none
)",
                     "job.yaml");
  CHECK(job.source == "postgresql://app@db1:5432/shop");
  CHECK(job.destination == "mysql://app@db2:3306/shop");
  CHECK(job.include == std::vector<std::string>{"sales.*", "public.order\\*items"});
  CHECK(job.exclude == std::vector<std::string>{"*_tmp"});
  CHECK(job.write_mode == WriteMode::kTruncate);
  CHECK(*job.engine.workers == 3);
  CHECK(*job.engine.batch_rows == 4096);
  CHECK(*job.engine.batch_bytes == 8u << 20);
  CHECK(*job.engine.memory_limit == 256u << 20);
  CHECK(*job.engine.consistency == "none");

  const TableName orders{"sales", "orders"};
  CHECK(job.renames.Apply(orders, {"shop", "orders"}, "public") ==
        TableName{"public", "orders_2024"});
  CHECK(job.renames.Apply({"hr", "people"}, {"shop", "people"}, "public") ==
        TableName{"public", "hr_people"});
  CHECK(job.renames.ApplyToColumn(orders, "cust_id", "public") == "customer_id");
  CHECK(job.renames.ApplyToColumn({"hr", "people"}, "cust_id", "public") == "cust_id");

  TableOverride big = job.OverrideFor({"sales", "big_events"}, "public");
  CHECK(*big.partitions == 32);
  CHECK(*big.strategy == Strategy::kKeyRanges);
  CHECK(*big.key == std::vector<std::string>{"tenant_id", "id"});
  CHECK(*job.OverrideFor({"public", "scratch"}, "public").strategy == Strategy::kSkip);
  CHECK_FALSE(job.OverrideFor({"public", "other"}, "public").strategy);
}

TEST_CASE("mistakes in a job file name the file, the line and the key", "[job]") {
  CHECK(ErrorOf("source: x\nworkers: 4\n") ==
        "job file job.yaml, line 2: workers: unknown key (expected one of: data_only, "
        "destination, engine, exclude, include, rename, schema_only, source, tables, "
        "write_mode)");
  CHECK(ErrorOf("engine:\n  workers: many\n") ==
        "job file job.yaml, line 2: engine.workers: expected a whole number");
  CHECK(ErrorOf("engine:\n  memory_limit: lots\n") ==
        "job file job.yaml, line 2: engine.memory_limit: expected a size such as 67108864 or "
        "64MiB");
  CHECK(ErrorOf("write_mode: merge\n") ==
        "job file job.yaml, line 1: write_mode: expected create, truncate, append or upsert");
  CHECK(ErrorOf("tables:\n  - partitions: 4\n") ==
        "job file job.yaml, line 2: tables[0].match: missing (a table pattern)");
  CHECK(ErrorOf("include: [\"a.b.c\"]\n").find("include[0]") != std::string::npos);
  CHECK(ErrorOf("rename:\n  tables:\n    - from: \"sales.*\"\n      to: x\n") ==
        "job file job.yaml, line 3: rename.tables[0].from: must name one table");
  CHECK(ErrorOf("source: [unclosed\n").find("not valid YAML") != std::string::npos);
}

TEST_CASE("a job file's partitions out of 1 to 256 are refused naming the key and the range",
          "[job][mistakes]") {
  // 0 was taken without a word for "from each table's size", and 1000 cut to 256 units.
  CHECK(ErrorOf("engine:\n  partitions: 0\n") ==
        "job file job.yaml, line 2: engine.partitions: must be 1 to 256, not 0");
  CHECK(ErrorOf("engine:\n  partitions: 1000\n") ==
        "job file job.yaml, line 2: engine.partitions: must be 1 to 256, not 1000");
  CHECK(ErrorOf("tables:\n  - match: t\n    partitions: 0\n") ==
        "job file job.yaml, line 3: tables[0].partitions: must be 1 to 256, not 0");
  CHECK(ErrorOf("tables:\n  - match: t\n    partitions: 257\n") ==
        "job file job.yaml, line 3: tables[0].partitions: must be 1 to 256, not 257");
  CHECK(ErrorOf("engine:\n  workers: 0\n") ==
        "job file job.yaml, line 2: engine.workers: must be at least 1");
  CHECK(ParseJob("engine:\n  partitions: 256\n", "job.yaml").engine.partitions == 256);
}

TEST_CASE("an empty job file is an empty job", "[job]") {
  Job job = ParseJob("", "empty.yaml");
  CHECK(job.source.empty());
  CHECK(job.write_mode == WriteMode::kCreate);
}
