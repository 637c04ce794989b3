// The shipped examples under deploy/ (issue 17): the Kubernetes Indexed Job manifest is valid
// YAML of the shape the README describes (tests/deploy/job_command.py), and its command line,
// the Slurm array script and the systemd template unit's ExecStart each run as written on this
// host, one process per index, making one exact copy together.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "tests/support/canonical.hpp"
#include "tests/support/same_tables.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/worker_process.hpp"

using namespace ferry::test;

namespace {

const std::filesystem::path kDeploy = std::filesystem::path(SourceDir()) / "deploy";

void Seed(TestDatabase& source) {
  source.Exec(
      "CREATE TABLE events (id integer NOT NULL, v text NOT NULL);\n"
      "INSERT INTO events SELECT g, md5(g::text) FROM generate_series(1, 20000) g;\n"
      "CREATE TABLE big (id integer PRIMARY KEY, v text NOT NULL);\n"
      "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 40000) g;\n"
      "ANALYZE");
}

void CheckSame(TestDatabase& source, TestDatabase& dest) {
  CheckTablesSame(source, dest, {"events", "big"});
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// PATH with this build's ferry first, as an image or a host install would have it.
std::string PathWithFerry() {
  return std::filesystem::path(FerryBinary()).parent_path().string() + ":" + std::getenv("PATH");
}

// Runs one process per index, each with the environment `env_of(index)`; all must succeed.
void RunAll(int count, const std::function<std::string(int)>& command_of,
            const std::function<std::map<std::string, std::string>(int)>& env_of) {
  TempDir dir;
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (int i = 0; i < count; ++i) {
    workers.push_back(std::make_unique<WorkerProcess>(
        command_of(i), std::filesystem::path(dir.path()) / fmt::format("{}.log", i), env_of(i)));
  }
  for (auto& w : workers) {
    const int exit_code = w->Wait();
    INFO(w->Output());
    CHECK(exit_code == 0);
  }
}

}  // namespace

TEST_CASE("the Kubernetes Indexed Job's command line makes one copy with JOB_COMPLETION_INDEX set",
          "[deploy][postgresql]") {
  const std::string manifest = (kDeploy / "kubernetes" / "ferry-job.yaml").string();
  std::string json;
  {
    std::FILE* pipe = popen(("python3 " + ShellQuote(SourceDir() + "/tests/deploy/job_command.py") +
                             " " + ShellQuote(manifest) + " 2>&1")
                                .c_str(),
                            "r");
    REQUIRE(pipe);
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) json.append(buffer, n);
    INFO(json);
    REQUIRE(pclose(pipe) == 0);
  }
  nlohmann::json job = nlohmann::json::parse(json);
  const std::vector<std::string> command = job["command"];
  REQUIRE(command.size() == 3);
  REQUIRE(command[0] == "/bin/sh");
  TestDatabase source(Db::kPostgres, "k8s_src");
  TestDatabase dest(Db::kPostgres, "k8s_dst");
  Seed(source);
  const int count = job["completions"];
  RunAll(
      count, [&](int) { return "exec /bin/sh -c " + ShellQuote(command[2]); },
      [&](int index) {
        std::map<std::string, std::string> env = job["env"];
        env["SOURCE_URL"] = source.Url();
        env["DEST_URL"] = dest.Url();
        env["MEMORY_LIMIT_MIB"] = "1024";  // what resourceFieldRef gives for limits 1Gi
        env["JOB_COMPLETION_INDEX"] = std::to_string(index);
        env["PATH"] = PathWithFerry();
        return env;
      });
  CheckSame(source, dest);
}

TEST_CASE("the Slurm array script runs as written, one task per array index",
          "[deploy][postgresql]") {
  TestDatabase source(Db::kPostgres, "slurm_src");
  TestDatabase dest(Db::kPostgres, "slurm_dst");
  Seed(source);
  const std::string script = (kDeploy / "slurm" / "ferry-array.sh").string();
  RunAll(
      2, [&](int) { return "exec bash " + ShellQuote(script); },
      [&](int index) {
        return std::map<std::string, std::string>{
            {"FERRY_SOURCE", source.Url()},  {"FERRY_DEST", dest.Url()},
            {"FERRY_RUN", "slurm-test"},     {"SLURM_ARRAY_TASK_ID", std::to_string(index)},
            {"SLURM_ARRAY_TASK_COUNT", "2"}, {"SLURM_MEM_PER_NODE", "1024"},
            {"FERRY", FerryBinary()}};
      });
  CheckSame(source, dest);
}

TEST_CASE("the systemd template unit's ExecStart runs as written for each instance",
          "[deploy][postgresql]") {
  const std::string unit = ReadFile(kDeploy / "systemd" / "ferry-worker@.service");
  std::smatch found;
  REQUIRE(std::regex_search(unit, found, std::regex("\nExecStart=([^\n]+)")));
  std::string exec = found[1];
  TestDatabase source(Db::kPostgres, "systemd_src");
  TestDatabase dest(Db::kPostgres, "systemd_dst");
  Seed(source);
  // What systemd does to the line: the binary's path, %i, and ${VAR} from the EnvironmentFile.
  exec = std::regex_replace(exec, std::regex("^/usr/local/bin/ferry"), ShellQuote(FerryBinary()));
  RunAll(
      2,
      [&](int index) {
        std::string line = std::regex_replace(exec, std::regex("%i"), std::to_string(index));
        line = std::regex_replace(line, std::regex("\\$\\{FERRY_RUN\\}"), "systemd-test");
        line = std::regex_replace(line, std::regex("\\$\\{FERRY_WORKERS\\}"), "2");
        return "exec " + line;
      },
      [&](int) {
        return std::map<std::string, std::string>{{"FERRY_SOURCE", source.Url()},
                                                  {"FERRY_DEST", dest.Url()}};
      });
  CheckSame(source, dest);
}
