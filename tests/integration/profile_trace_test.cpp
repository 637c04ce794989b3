// What a performance engineer takes away from a run, a verification and a sync: the profile
// (--profile) with each unit's threads and times, the timeline in the Chrome trace-event format
// (--trace), `ferry profile compare`, and the log options of every long-running command.
#include <catch2/catch.hpp>

#include <signal.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using json = nlohmann::json;

namespace {

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return json::parse(in);
}

// The complete events per track name, checked well-formed on the way.
std::map<std::string, std::vector<json>> SpansByThread(const json& trace) {
  REQUIRE(trace["traceEvents"].is_array());
  std::map<int, std::string> names;
  for (const json& e : trace["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name") names[e["tid"]] = e["args"]["name"];
  }
  std::map<std::string, std::vector<json>> out;
  for (const json& e : trace["traceEvents"]) {
    if (e["ph"] != "X") continue;
    CHECK(e["pid"] == 1);
    CHECK(e["ts"].get<int64_t>() >= 0);
    CHECK(e["dur"].get<int64_t>() >= 0);
    REQUIRE(names.count(e["tid"]) == 1);  // every track is named
    out[names[e["tid"]]].push_back(e);
  }
  return out;
}

// On each track a span follows the one before it or lies inside it.
void CheckNested(std::map<std::string, std::vector<json>> tracks) {
  for (auto& [thread, spans] : tracks) {
    std::sort(spans.begin(), spans.end(), [](const json& a, const json& b) {
      return a["ts"] != b["ts"] ? a["ts"] < b["ts"] : a["dur"] > b["dur"];
    });
    std::vector<int64_t> open;
    for (const json& s : spans) {
      const int64_t start = s["ts"], end = start + s["dur"].get<int64_t>();
      while (!open.empty() && open.back() <= start) open.pop_back();
      INFO(thread << ": " << s.dump());
      if (!open.empty()) CHECK(end <= open.back());
      open.push_back(end);
    }
  }
}

}  // namespace

TEST_CASE("a run's trace has a read and a write span per unit on named reader and writer tracks",
          "[trace][postgresql]") {
  TestDatabase source(Db::kPostgres, "trace_src");
  TestDatabase dest(Db::kPostgres, "trace_dst");
  CreateItems(source, 20000);
  ferry::test::TempDir dir;
  const std::string profile = dir.path() + "/run.profile.json";
  const std::string trace = dir.path() + "/run.trace.json";
  FerryResult run = RunFerry("run -q --partitions 4 --readers 2 --writers 3" + Ends(source, dest) +
                             " --profile " + ShellQuote(profile) + " --trace " + ShellQuote(trace));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const json p = ReadJson(profile);
  CHECK(p["format"] == "ferry-profile");
  CHECK(p["command"] == "run");
  const json& units = p["tables"][0]["units"];
  REQUIRE(units.size() == 4);
  for (const json& u : units) {
    CHECK(u["reader"].get<int>() >= 0);
    CHECK(u["reader"].get<int>() < 2);
    CHECK(u["writer"].get<int>() >= 0);
    CHECK(u["writer"].get<int>() < 3);
    CHECK(u["started_at_s"].get<double>() <= u["read_finished_at_s"].get<double>());
    CHECK(u["commit_started_at_s"].get<double>() <= u["finished_at_s"].get<double>());
  }
  const json t = ReadJson(trace);
  CHECK(t["otherData"]["run_id"] == p["run_id"]);
  const auto tracks = SpansByThread(t);
  int reads = 0, writes = 0, commits = 0;
  for (const auto& [thread, spans] : tracks) {
    CHECK((thread.rfind("reader ", 0) == 0 || thread.rfind("writer ", 0) == 0));
    for (const json& s : spans) {
      reads += s["cat"] == "read";
      writes += s["cat"] == "write";
      commits += s["cat"] == "commit";
    }
  }
  CHECK(reads == 4);
  CHECK(writes == 4);
  CHECK(commits == 4);
  CheckNested(tracks);
}

TEST_CASE("profile compare prints two runs' differences and refuses a profile of another version",
          "[profile][postgresql]") {
  TestDatabase source(Db::kPostgres, "cmp_src");
  TestDatabase dest(Db::kPostgres, "cmp_dst");
  CreateItems(source, 5000);
  ferry::test::TempDir dir;
  const std::string a = dir.path() + "/a.json", b = dir.path() + "/b.json";
  REQUIRE(RunFerry("run -q --readers 1 --writers 1" + Ends(source, dest) + " --profile " + a)
              .exit_code == 0);
  REQUIRE(
      RunFerry("run -q --truncate --readers 2 --writers 2" + Ends(source, dest) + " --profile " + b)
          .exit_code == 0);
  FerryResult compared = RunFerry("profile compare " + a + " " + b);
  INFO(compared.output);
  CHECK(compared.exit_code == 0);
  CHECK(compared.output.find("readers: \"1\" -> \"2\"") != std::string::npos);
  CHECK(compared.output.find("public.items:") != std::string::npos);
  CHECK(compared.output.find("read_s (summed over threads)") != std::string::npos);
  CHECK(compared.output.find("seconds (wall)") != std::string::npos);

  json older = ReadJson(b);
  older["format_version"] = 1;
  std::ofstream(b) << older.dump();
  FerryResult refused = RunFerry("profile compare " + a + " " + b);
  INFO(refused.output);
  CHECK(refused.exit_code == 2);
  CHECK(refused.output.find("different format versions") != std::string::npos);
  FerryResult missing = RunFerry("profile compare " + a + " " + dir.path() + "/none.json");
  CHECK(missing.exit_code == 2);
  CHECK(missing.output.find("none.json: no such file") != std::string::npos);
}

TEST_CASE("verify takes --profile, --trace and the log options", "[trace][postgresql]") {
  TestDatabase source(Db::kPostgres, "vtr_src");
  TestDatabase dest(Db::kPostgres, "vtr_dst");
  CreateItems(source, 6000);
  REQUIRE(RunFerry("run -q --partitions 3" + Ends(source, dest)).exit_code == 0);
  ferry::test::TempDir dir;
  const std::string profile = dir.path() + "/verify.profile.json";
  const std::string trace = dir.path() + "/verify.trace.json";
  FerryResult verify = RunFerry("verify -v --log-format json --workers 2 --partitions 3" +
                                Ends(source, dest) + " --profile " + profile + " --trace " + trace);
  INFO(verify.output);
  REQUIRE(verify.exit_code == 0);
  const json p = ReadJson(profile);
  CHECK(p["command"] == "verify");
  CHECK(p["tables"][0]["verdict"] == "identical");
  CHECK(p["tables"][0]["comparisons"].size() == 3);
  CHECK(p["stages_summed_over_threads"]["compare_s"].get<double>() > 0);
  const auto tracks = SpansByThread(ReadJson(trace));
  size_t compares = 0;
  for (const auto& [thread, spans] : tracks) {
    CHECK(thread.rfind("worker ", 0) == 0);
    compares += spans.size();
  }
  CHECK(compares == 3);
  CheckNested(tracks);
  // One JSON object per event on standard error, the table's end among them.
  CHECK(verify.output.find("\"event\":\"table_done\"") != std::string::npos);
  CHECK(verify.output.find("public.items: identical") != std::string::npos);
}

TEST_CASE("sync takes --profile, --trace and the log options", "[trace][postgresql]") {
  TestDatabase source(Db::kPostgres, "str_src");
  TestDatabase dest(Db::kPostgres, "str_dst");
  CreateItems(source, 100);
  REQUIRE(RunFerry("run -q" + Ends(source, dest)).exit_code == 0);
  REQUIRE(RunFerry("track enable --source " + ShellQuote(source.Url())).exit_code == 0);
  source.Exec("INSERT INTO items VALUES (1001, 'new', 1);\nDELETE FROM items WHERE id = 5");
  ferry::test::TempDir dir;
  const std::string profile = dir.path() + "/sync.profile.json";
  const std::string trace = dir.path() + "/sync.trace.json";
  FerryResult sync = RunFerry("sync -v --progress-interval 0" + Ends(source, dest) + " --profile " +
                              profile + " --trace " + trace);
  INFO(sync.output);
  REQUIRE(sync.exit_code == 0);
  const json p = ReadJson(profile);
  CHECK(p["command"] == "sync");
  CHECK(p["tables"][0]["rows"] == 2);
  CHECK(p["tables"][0]["inserted"] == 1);
  CHECK(p["tables"][0]["deleted"] == 1);
  const auto tracks = SpansByThread(ReadJson(trace));
  REQUIRE(tracks.count("sync 0") == 1);
  CHECK(tracks.at("sync 0").size() == 1);
  // -v: a timestamped line on standard error as the table ends.
  CHECK(sync.output.find("Z done public.items") != std::string::npos);
  FerryResult quiet = RunFerry("sync -q" + Ends(source, dest));
  INFO(quiet.output);
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.output.find("done public.items") == std::string::npos);
}

TEST_CASE("a trace path in a folder that does not exist is refused before the copy starts",
          "[trace][postgresql]") {
  TestDatabase source(Db::kPostgres, "trn_src");
  TestDatabase dest(Db::kPostgres, "trn_dst");
  CreateItems(source, 10);
  FerryResult run =
      RunFerry("run -q" + Ends(source, dest) + " --trace /nonexistent-ferry-dir/run.trace.json");
  INFO(run.output);
  CHECK(run.exit_code == 4);
  CHECK(run.output.find("cannot write the trace to /nonexistent-ferry-dir/run.trace.json") !=
        std::string::npos);
  CHECK(dest.QueryValue("SELECT count(*) FROM information_schema.tables WHERE table_name = "
                        "'items'") == "0");
}

TEST_CASE("an interrupted run still leaves its trace and profile, its stopped units marked",
          "[trace][postgresql]") {
  TestDatabase source(Db::kPostgres, "tri_src");
  TestDatabase dest(Db::kPostgres, "tri_dst");
  source.Exec(
      "CREATE TABLE big (id integer PRIMARY KEY, v text NOT NULL);\n"
      "INSERT INTO big SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, 120000) g;\n"
      "ANALYZE");
  ferry::test::TempDir dir;
  const std::string profile = dir.path() + "/run.profile.json";
  const std::string trace = dir.path() + "/run.trace.json";
  // The third unit's commit waits at the server inside its transaction, so the signal comes
  // while units are in flight however fast the machine copies the rest.
  setenv("FERRY_TEST_CRASH", "stall-before-commit:3", 1);
  setenv("FERRY_TEST_STALL_SQL", "SELECT pg_sleep(3)", 1);
  FerryResult run = RunWhile(
      "run --readers 1 --writers 1 --partitions 24 --batch-rows 500" + Ends(source, dest) +
          " --profile " + profile + " --trace " + trace,
      dest, [&](pid_t pid) {
        try {
          const std::string done =
              dest.QueryValue("SELECT count(*) FROM ferry_state.ferry_units WHERE state = 'done'");
          if (done.empty() || std::stoi(done) < 2) return false;
        } catch (const std::exception&) {
          return false;  // the state tables do not exist yet
        }
        kill(pid, SIGINT);
        return true;
      });
  unsetenv("FERRY_TEST_CRASH");
  unsetenv("FERRY_TEST_STALL_SQL");
  INFO(run.output);
  REQUIRE(run.exit_code == 5);
  const json p = ReadJson(profile);
  int done = 0, interrupted = 0;
  for (const json& u : p["tables"][0]["units"]) {
    done += u["state"] == "done";
    interrupted += u["state"] == "interrupted";
  }
  CHECK(done >= 2);
  CHECK(interrupted > 0);
  const auto tracks = SpansByThread(ReadJson(trace));
  int writes = 0;
  for (const auto& [thread, spans] : tracks) {
    for (const json& s : spans) writes += s["cat"] == "write" && s["args"]["state"] == "done";
  }
  CHECK(writes == done);
  CheckNested(tracks);
}
