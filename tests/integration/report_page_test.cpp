// `ferry report` in a real browser: a real copy and verify, the page written from the run state,
// loaded by headless Chromium (Debian's `chromium`). The page must render without a console
// message, its script must count the tiles and the timeline's units the run state says, and a
// screenshot is kept in the build's Testing folder (Testing/report-page/).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/skip.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"

using namespace ferry::test;
namespace fs = std::filesystem;

namespace {

// Debian's chromium, or the browser FERRY_TEST_CHROMIUM names ("" when it is not there).
std::string Chromium() {
  if (const char* chosen = std::getenv("FERRY_TEST_CHROMIUM")) {
    return access(chosen, X_OK) == 0 ? chosen : "";
  }
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The build's Testing folder (CTest's), where the page, the DOM and the screenshot stay.
fs::path ArtifactDir() {
  const fs::path dir =
      fs::path(FerryBinary()).parent_path().parent_path() / "Testing" / "report-page";
  fs::create_directories(dir);
  return dir;
}

// Runs headless Chromium on `page` with `what` (--dump-dom, --screenshot=...); its stdout and
// stderr go to `out` and `err`. A profile folder of its own, so tests can run side by side.
int RunChromium(const std::string& browser, const fs::path& page, const std::string& what,
                const fs::path& out, const fs::path& err) {
  const fs::path profile =
      fs::temp_directory_path() / ("ferry-chromium-" + std::to_string(getpid()));
  const std::string command =
      "timeout 120 " + ShellQuote(browser) +
      " --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars"
      " --window-size=1280,2400 --enable-logging=stderr --v=0 --user-data-dir=" +
      ShellQuote(profile.string()) + " " + what + " " + ShellQuote("file://" + page.string()) +
      " >" + ShellQuote(out.string()) + " 2>" + ShellQuote(err.string());
  const int status = std::system(command.c_str());
  fs::remove_all(profile);
  return WEXITSTATUS(status);
}

// The value of `attribute` on the element whose id is `id`, in the DOM Chromium dumped.
std::string Attribute(const std::string& dom, const std::string& id, const std::string& attribute) {
  const size_t at = dom.find("id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  const size_t start = dom.rfind('<', at);
  const size_t end = dom.find('>', at);
  const std::string tag = dom.substr(start, end - start);
  std::smatch m;
  if (!std::regex_search(tag, m, std::regex(" " + attribute + "=\"([^\"]*)\""))) return "";
  return m[1];
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE(
    "the report page of a real copy renders in headless Chromium with the right tiles and "
    "timeline",
    "[report][postgresql]") {
  const std::string browser = Chromium();
  if (browser.empty()) {
    MarkSkipped("chromium is not installed (scripts/install-deps.sh --servers installs it)");
    return;
  }
  TestDatabase source(Db::kPostgres, "report_src");
  TestDatabase dest(Db::kPostgres, "report_dst");
  source.Exec(
      "CREATE TABLE orders (id integer PRIMARY KEY, note text NOT NULL);\n"
      "INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 40000) g;\n"
      "CREATE TABLE \"<script>alert(1)</script>\" (id integer PRIMARY KEY);\n"
      "INSERT INTO \"<script>alert(1)</script>\" SELECT generate_series(1, 10);\n"
      "CREATE TABLE scores (id integer PRIMARY KEY, v integer NOT NULL);\n"
      "INSERT INTO scores SELECT g, g FROM generate_series(1, 200) g;\n"
      "ANALYZE");
  // A table that fails: the destination's check refuses half of its rows.
  dest.Exec("CREATE TABLE scores (id integer PRIMARY KEY, v integer NOT NULL CHECK (v < 100))");
  const std::string ends =
      " --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url());
  FerryResult run = RunFerry("run -q --append --readers 2 --writers 2 --partitions 4" + ends);
  INFO(run.output);
  REQUIRE(run.exit_code == 1);
  FerryResult verify = RunFerry("verify --exclude scores" + ends);
  INFO(verify.output);
  REQUIRE(verify.exit_code == 0);

  const int units = std::stoi(dest.QueryValue(
      "SELECT count(*) FROM ferry_state.ferry_units WHERE state = 'done' AND run_id = (SELECT "
      "run_id FROM ferry_state.ferry_runs WHERE command = 'run')"));
  REQUIRE(units >= 2);
  const fs::path dir = ArtifactDir();
  const fs::path page = dir / "report.html";
  fs::remove(page);
  FerryResult report =
      RunFerry("report --dest " + ShellQuote(dest.Url()) + " --output " + ShellQuote(page));
  INFO(report.output);
  REQUIRE(report.exit_code == 0);
  const std::string html = ReadFile(page);
  REQUIRE(!html.empty());
  CHECK(html.find(TestPassword()) == std::string::npos);
  CHECK(html.find("<script>alert(1)</script>") == std::string::npos);

  // The way console messages are caught works in this Chromium: a page that logs an error is
  // seen doing so (else a clean log below would prove nothing).
  const fs::path probe = dir / "console-probe.html";
  std::ofstream(probe) << "<!DOCTYPE html><p>probe</p><script>console.error('probe')</script>";
  REQUIRE(RunChromium(browser, probe, "--dump-dom", dir / "console-probe.dom.html",
                      dir / "console-probe.log") == 0);
  REQUIRE(ReadFile(dir / "console-probe.log").find(":CONSOLE") != std::string::npos);

  const fs::path dom_file = dir / "report.dom.html";
  const fs::path log_file = dir / "report.chromium-dom.log";
  REQUIRE(RunChromium(browser, page, "--dump-dom", dom_file, log_file) == 0);
  const std::string dom = ReadFile(dom_file);
  const std::string log = ReadFile(log_file);
  INFO(log);
  // Every console message (an error, a refused load, an uncaught exception) is a CONSOLE line.
  CHECK(log.find(":CONSOLE") == std::string::npos);
  REQUIRE(Attribute(dom, "summary", "data-ready") == "yes");
  CHECK(Attribute(dom, "summary", "data-tiles") == "3");
  CHECK(Attribute(dom, "summary", "data-done") == "2");
  CHECK(Attribute(dom, "summary", "data-failed") == "1");
  // The failed table's tile has the error and ferry's advice.
  CHECK(dom.find("violates check constraint") != std::string::npos);
  CHECK(dom.find("<p class=\"advice\">advice: a value does not fit") != std::string::npos);
  CHECK(Attribute(dom, "summary", "data-bars") == std::to_string(units));
  // The run records each unit's reader and writer thread: one chart of readers, one of writers.
  CHECK(Count(dom, "<rect class=\"unit\"") == 2 * size_t(units));
  // The hostile name is text on the page, and the script ran only once: the page's own.
  CHECK(dom.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(Count(dom, "<script>") == 1);
  // The history has both runs; the verify's result is shown.
  CHECK(Count(dom, "<tr class=\"run") == 2);
  CHECK(Count(dom, "class=\"check-table\" data-state=\"identical\"") == 2);

  const fs::path shot = dir / "report.png";
  fs::remove(shot);
  REQUIRE(RunChromium(browser, page, "--screenshot=" + ShellQuote(shot.string()),
                      dir / "report.chromium-shot.out", dir / "report.chromium-shot.log") == 0);
  REQUIRE(fs::exists(shot));
  CHECK(fs::file_size(shot) > 10000);
}
