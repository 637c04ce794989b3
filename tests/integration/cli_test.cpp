// The conventions of an installable tool (tools/usage.hpp, tools/generated_docs.hpp): usage
// errors, each command's help, the man page and completion made from the options table, and
// server versions as the servers spell them.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>

#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

// From README's options table as `ferry help-options` prints it: each command's long options.
std::map<std::string, std::set<std::string>> OptionsByCommand() {
  FerryResult table = RunFerry("help-options");
  REQUIRE(table.exit_code == 0);
  std::map<std::string, std::set<std::string>> out;
  std::istringstream in(table.output);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `--", 0) != 0) continue;
    const std::string option = line.substr(3, line.find('`', 3) - 3);
    const std::string commands = line.substr(line.rfind("| ", line.size() - 3) + 2);
    std::istringstream words(commands);
    for (std::string c; std::getline(words, c, ',');) {
      c.erase(0, c.find_first_not_of(' '));
      c.erase(c.find_last_not_of(" |") + 1);
      out[c].insert(option);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("each command's help lists exactly the options the table gives it", "[cli]") {
  const auto table = OptionsByCommand();
  REQUIRE(table.size() == 9);
  for (const auto& [command, options] : table) {
    INFO(command);
    FerryResult help = RunFerry(command + " --help");
    REQUIRE(help.exit_code == 0);
    std::set<std::string> listed;
    std::istringstream in(help.output);
    for (std::string line; std::getline(in, line);) {
      const size_t at = line.find("--");
      if (line.rfind("  -", 0) != 0 || at == std::string::npos || at > 8) continue;
      std::string name = line.substr(at);
      name = name.substr(0, name.find_first_of(" ,"));
      if (name != "--help") listed.insert(name);
    }
    CHECK(listed == options);
  }
}

TEST_CASE("a mistyped command or option is an error that names the nearest one", "[cli]") {
  FerryResult command = RunFerry("rnu");
  CHECK(command.exit_code == 2);
  CHECK(command.output == "ferry: error: unknown command 'rnu'; did you mean `run`?\n");
  FerryResult option = RunFerry("verify --hsah server");
  CHECK(option.exit_code == 2);
  CHECK(option.output.rfind("ferry: error: ferry verify has no option --hsah; did you mean --hash?",
                            0) == 0);
  FerryResult choice = RunFerry("verify --hash fast");
  CHECK(choice.exit_code == 2);
  CHECK(choice.output.find("'fast' is not one of auto, server, client") != std::string::npos);
  CHECK(choice.output.find("ENUM") == std::string::npos);
}

TEST_CASE("the man page and the bash completion come from the options table", "[cli]") {
  FerryResult man = RunFerry("help-options --format man");
  REQUIRE(man.exit_code == 0);
  CHECK(man.output.rfind(".TH FERRY 1", 0) == 0);
  for (const auto& [command, options] : OptionsByCommand()) {
    CHECK(man.output.find(".SS " + command + "\n") != std::string::npos);
  }
  CHECK(man.output.find("\\fB\\-\\-metrics\\-file\\fR \\fIPATH\\fR") != std::string::npos);
  FerryResult completion = RunFerry(
      "help-options --format bash > /tmp/ferry-completion-$$ && bash -c 'source "
      "/tmp/ferry-completion-'$$'; COMP_WORDS=(ferry run --wor); COMP_CWORD=2; _ferry; echo "
      "\"${COMPREPLY[@]}\"; COMP_WORDS=(ferry verify --hash \"\"); COMP_CWORD=3; _ferry; echo "
      "\"${COMPREPLY[@]}\"; COMP_WORDS=(ferry st); COMP_CWORD=1; _ferry; echo "
      "\"${COMPREPLY[@]}\"'; rm -f /tmp/ferry-completion-$$");
  INFO(completion.output);
  CHECK(completion.output == "--workers\nauto server client\nstatus\n");
}

TEST_CASE("server versions print as the servers report them", "[cli][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    TestDatabase source(db, "ver_src");
    TestDatabase dest(db, "ver_dst");
    source.Exec("CREATE TABLE t (id int PRIMARY KEY)");
    const std::string version = source.QueryValue(
        db == Db::kPostgres ? "SELECT current_setting('server_version')" : "SELECT VERSION()");
    FerryResult run = RunFerry("run --explain --source " + ShellQuote(source.Url()) + " --dest " +
                               ShellQuote(dest.Url()));
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(run.output.find(" " + version + ")\n") != std::string::npos);
  }
}
