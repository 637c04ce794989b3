// The options table (tools/option_table.cpp) and how a command's options are filled: flags,
// then environment twins, then a job file, then the library's defaults.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "copier/error.hpp"
#include "copier/work_unit.hpp"
#include "scheduler/verify_run.hpp"
#include "tests/support/test_paths.hpp"
#include "tools/command_options.hpp"
#include "tools/option_table.hpp"
#include "tools/options.hpp"

using namespace ferry;

namespace {

// Sets (or with nullptr unsets) a variable for one scope, restoring what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* was = std::getenv(name)) before_ = was;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (before_) {
      setenv(name_, before_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> before_;
};

// `ferry run ARGS` parsed with the common options and the environment applied.
struct ParsedRun {
  CLI::App app;
  CommonOptions common;
  CommandOptions* options = nullptr;
  std::unique_ptr<CommandOptions> owned;

  explicit ParsedRun(std::vector<std::string> args) {
    CLI::App* run = app.add_subcommand("run");
    owned = std::make_unique<CommandOptions>(run, Command::kRun);
    AddCommonOptions(*owned, common);
    args.insert(args.begin(), "run");
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
    owned->ApplyEnvironment();
  }
};

std::string TempJobFile(const std::string& text) {
  char path[] = "/tmp/ferry-options-test-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

size_t BatchRows(ParsedRun& run) {
  Job job = BuildJob(run.common);
  return BuildCopyOptions(run.common, job).engine.limits.max_rows;
}

const std::vector<std::string> kEnds = {"--source", "sqlite:a.db", "--dest", "sqlite:b.db"};

std::vector<std::string> With(std::vector<std::string> extra) {
  std::vector<std::string> args = kEnds;
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace

TEST_CASE("every option has an environment twin of its own, and no two options share a name",
          "[options]") {
  std::set<std::string> names, twins;
  for (const OptionSpec& o : OptionTable()) {
    INFO(o.names);
    CHECK(o.env.rfind("FERRY_", 0) == 0);
    CHECK(o.env.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == std::string::npos);
    CHECK(twins.insert(o.env).second);
    std::stringstream split(o.names);
    for (std::string name; std::getline(split, name, ',');) CHECK(names.insert(name).second);
    CHECK(!o.help.empty());
    bool used = false;
    for (Command c : AllCommands()) used = used || o.commands.Has(c);
    CHECK(used);
  }
  CHECK(twins.size() == OptionTable().size());
}

TEST_CASE("the help shows each default with its reason, read from the library", "[options]") {
  const OptionSpec& rows = FindOption("--batch-rows");
  CHECK(rows.default_value == std::to_string(BatchLimits{}.max_rows));
  CHECK(rows.Describe().find("Default: " + rows.default_value + " (large enough") !=
        std::string::npos);
  CHECK(rows.Describe().find("Environment: FERRY_BATCH_ROWS; job file: engine.batch_rows") !=
        std::string::npos);
  CHECK(FindOption("--batch-bytes").default_value == "16 MiB");
  CHECK(FindOption("--hash").default_value == HashPathName(VerifyOptions{}.hash));
  CHECK_THROWS_AS(FindOption("--no-such-option"), Error);
}

TEST_CASE("a command's help lists only its own options, and choices in words", "[options]") {
  CLI::App app;
  CLI::App* verify = app.add_subcommand("verify");
  CommandOptions options(verify, Command::kVerify);
  CommonOptions common;
  AddCommonOptions(options, common);
  std::string hash = "auto";
  options.Add("--hash", hash);
  const std::string help = verify->help();
  CHECK(help.find("--hash auto|server|client") != std::string::npos);
  CHECK(help.find("ENUM") == std::string::npos);
  CHECK(help.find("--truncate") == std::string::npos);  // verify writes no table's rows afresh
  CHECK(help.find("--batch-rows") != std::string::npos);
  // An option the table does not give the command is refused, and so is one left out.
  bool flag = false;
  CHECK_THROWS_AS(options.Add("--yes", flag), Error);
  CHECK_THROWS_AS(options.Finish(), Error);
}

TEST_CASE("an environment twin sets what the command line leaves unset, and a flag overrides it",
          "[options]") {
  ScopedEnv rows("FERRY_BATCH_ROWS", "200");
  {
    ParsedRun run(kEnds);
    CHECK(BatchRows(run) == 200);
  }
  {
    ParsedRun run(With({"--batch-rows", "300"}));
    CHECK(BatchRows(run) == 300);
  }
  ScopedEnv unset("FERRY_BATCH_ROWS", nullptr);
  ParsedRun run(kEnds);
  CHECK(BatchRows(run) == BatchLimits{}.max_rows);
}

TEST_CASE("sizes are taken as the help prints them, from a flag or its twin", "[options]") {
  auto limit = [](ParsedRun& run) {
    return BuildCopyOptions(run.common, BuildJob(run.common)).engine.memory_limit;
  };
  {
    ParsedRun run(With({"--memory-limit", "64MiB"}));
    CHECK(limit(run) == 64u << 20);
  }
  {
    ScopedEnv twin("FERRY_MEMORY_LIMIT", "1 GiB");
    ParsedRun run(kEnds);
    CHECK(limit(run) == size_t(1) << 30);
  }
  CHECK_THROWS_AS(ParsedRun(With({"--memory-limit", "64 mebibytes"})), CLI::ValidationError);
}

TEST_CASE("a job file gives way to the environment, which gives way to a flag", "[options]") {
  const std::string job = TempJobFile(
      "source: sqlite:a.db\ndestination: sqlite:b.db\nwrite_mode: append\n"
      "engine:\n  batch_rows: 100\n");
  {
    ParsedRun run({"--job", job});
    CHECK(BatchRows(run) == 100);
    CHECK(BuildJob(run.common).write_mode == WriteMode::kAppend);
  }
  {
    ScopedEnv rows("FERRY_BATCH_ROWS", "200");
    ScopedEnv mode("FERRY_WRITE_MODE", "truncate");
    ParsedRun run({"--job", job});
    CHECK(BatchRows(run) == 200);
    CHECK(BuildJob(run.common).write_mode == WriteMode::kTruncate);
    ParsedRun flags({"--job", job, "--batch-rows", "300", "--write-mode", "upsert"});
    CHECK(BatchRows(flags) == 300);
    CHECK(BuildJob(flags.common).write_mode == WriteMode::kUpsert);
  }
  std::remove(job.c_str());
}

TEST_CASE("a flag overrides the twin of an option it excludes, and two such twins are refused",
          "[options]") {
  ScopedEnv truncate("FERRY_TRUNCATE", "1");
  {
    ParsedRun run(With({"--append"}));
    CHECK(BuildJob(run.common).write_mode == WriteMode::kAppend);
  }
  {
    ParsedRun run(kEnds);
    CHECK(BuildJob(run.common).write_mode == WriteMode::kTruncate);
  }
  ScopedEnv append("FERRY_APPEND", "true");
  try {
    ParsedRun run(kEnds);
    FAIL("two contradicting twins were accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUsage);
    CHECK(std::string(e.what()).find("FERRY_TRUNCATE and FERRY_APPEND") != std::string::npos);
  }
}

TEST_CASE("a twin's value is checked as the flag's is, and the message names the variable",
          "[options]") {
  ScopedEnv mode("FERRY_WRITE_MODE", "sideways");
  try {
    ParsedRun run(kEnds);
    FAIL("a bad write mode was accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUsage);
    CHECK(std::string(e.what()).find("FERRY_WRITE_MODE") != std::string::npos);
    CHECK(std::string(e.what()).find("create, truncate, append, upsert") != std::string::npos);
  }
}

TEST_CASE("a list option's twin takes values separated by commas, quoted parts kept whole",
          "[options]") {
  CHECK(SplitList("a, b ,c") == std::vector<std::string>{"a", "b", "c"});
  CHECK(SplitList("\"x,y\".t,z") == std::vector<std::string>{"\"x,y\".t", "z"});
  ScopedEnv include("FERRY_INCLUDE", "orders,sales.*");
  ParsedRun run(kEnds);
  CHECK(BuildJob(run.common).include == std::vector<std::string>{"orders", "sales.*"});
  ParsedRun flag(With({"--include", "items"}));
  CHECK(BuildJob(flag.common).include == std::vector<std::string>{"items"});
}

TEST_CASE("the endpoints' options go to the end they belong to", "[options]") {
  ScopedEnv toast("FERRY_PG_TOAST_COMPRESSION", "pglz");
  ScopedEnv method("FERRY_MARIADB_WRITE_METHOD", "odbc");
  ScopedEnv place("FERRY_STATE_SCHEMA", "ops");
  ScopedEnv dump("FERRY_PG_DUMP", "/opt/pg/bin/pg_dump");
  ScopedEnv lock_wait("FERRY_LOCK_WAIT", "7");
  ParsedRun run(kEnds);
  const EndpointOptions dest = DestinationOptions(run.common);
  CHECK(dest.pg_toast_compression == "pglz");
  CHECK(dest.mariadb_write_method == "odbc");
  CHECK(dest.state_schema == "ops");
  const EndpointOptions source = SourceOptions(run.common);
  CHECK(source.pg_dump == "/opt/pg/bin/pg_dump");
  CHECK(source.state_schema.empty());
  // Both ends wait for other sessions' locks: a source's catalog reads, a destination's DDL.
  CHECK(source.lock_wait == 7);
  CHECK(dest.lock_wait == 7);
  ParsedRun flag(With({"--pg-toast-compression", "server"}));
  CHECK(DestinationOptions(flag.common).pg_toast_compression == "server");
}

TEST_CASE("README's options table is the one ferry help-options prints", "[options]") {
  std::ifstream in(ferry::test::SourceDir() + "/README.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const std::string begin = "<!-- options: generated by `ferry help-options`; do not edit -->\n";
  const std::string end = "<!-- end of options -->";
  const size_t from = readme.find(begin);
  const size_t to = readme.find(end);
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  CHECK(readme.substr(from + begin.size(), to - from - begin.size()) == OptionsMarkdown());
}
