// What ferry says about a command line it cannot take (tools/usage.hpp).
#include <catch2/catch.hpp>

#include "tools/usage.hpp"

using namespace ferry;

namespace {

// A command table like ferry's, small.
struct Cli {
  CLI::App app{"ferry"};
  int workers = 0;
  std::string hash;
  Cli() {
    app.require_subcommand(1);
    CLI::App* run = app.add_subcommand("run", "");
    run->add_option("--workers,-w", workers);
    run->add_flag("--quiet,-q");
    CLI::App* status = app.add_subcommand("status", "");
    status->add_flag("--json");
    app.add_subcommand("verify", "")->add_option("--hash", hash)->check(CLI::IsMember({"auto"}));
  }
  std::string Message(std::vector<std::string> args) {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
      app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      return UsageMessage(app, e, args);
    }
    return "";
  }
};

}  // namespace

TEST_CASE("the nearest word is suggested only when it looks like a typo", "[usage]") {
  const std::vector<std::string> commands = {"run", "plan", "check", "verify", "status", "sync"};
  CHECK(NearestWord("rnu", commands) == "run");  // two letters swapped: one typo
  CHECK(NearestWord("statsu", commands) == "status");
  CHECK(NearestWord("verfy", commands) == "verify");
  CHECK(NearestWord("copy", commands) == "");
  CHECK(NearestWord("--wokers", {"--workers", "--writers", "--readers"}) == "--workers");
  CHECK(NearestWord("--xyz", {"--workers"}) == "");
}

TEST_CASE("usage errors begin ferry: error: and suggest the nearest command or option", "[usage]") {
  CHECK(Cli().Message({"rnu"}) == "ferry: error: unknown command 'rnu'; did you mean `run`?");
  CHECK(Cli().Message({}).rfind("ferry: error: give a command: run, status, verify", 0) == 0);
  CHECK(Cli().Message({"run", "--wokers", "3"}) ==
        "ferry: error: ferry run has no option --wokers; did you mean --workers?");
  // An option of another command is not suggested for this one.
  CHECK(Cli().Message({"status", "--hsah"}) ==
        "ferry: error: ferry status has no option --hsah; see ferry status --help");
  const std::string bad_value = Cli().Message({"verify", "--hash", "bogus"});
  CHECK(bad_value.rfind("ferry: error: --hash: ", 0) == 0);
  CHECK(bad_value.find("ferry verify --help") != std::string::npos);
}
