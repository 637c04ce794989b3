// Every option of every ferry command, in one table: its names, what it does, its default and
// the reason for it, its environment twin, its job-file key and the commands that use it. The
// help (`ferry COMMAND --help`), the README's options section (`ferry help-options --markdown`)
// and the environment twins are made from it. Defaults are read from the library (its structs'
// initialisers and named constants), never written here a second time.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace ferry {

enum class Command : unsigned {
  kRun = 1u << 0,
  kPlan = 1u << 1,
  kCheck = 1u << 2,
  kVerify = 1u << 3,
  kSync = 1u << 4,
  kTrack = 1u << 5,
  kStatus = 1u << 6,
  kReset = 1u << 7,
  kReport = 1u << 8,
};

// "run", "plan", ...
std::string_view CommandName(Command command);
// Every command, in the order the help lists them.
const std::vector<Command>& AllCommands();

class CommandSet {
 public:
  constexpr CommandSet() = default;
  constexpr CommandSet(std::initializer_list<Command> commands) {
    for (Command c : commands) bits_ |= unsigned(c);
  }
  static constexpr CommandSet All() {
    CommandSet all{};
    all.bits_ = (1u << 9) - 1;
    return all;
  }
  constexpr bool Has(Command command) const { return (bits_ & unsigned(command)) != 0; }

 private:
  unsigned bits_ = 0;
};

struct OptionSpec {
  std::string names;  // for CLI11: the long name first, then a short one ("--workers,-w")
  std::string value;  // what it takes ("N", "FILE"); empty for a flag, which is off unless given
  std::string help;   // what it does
  // The default, as a person reads it ("8192", "half the cores, 2 to 8"); empty for an option
  // that is unset (or a flag that is off) unless given.
  std::string default_value;
  std::string reason;                // why that default
  std::string env;                   // the environment twin (FERRY_...)
  std::string job_key;               // the job file's key for it, or empty
  std::vector<std::string> choices;  // the words it accepts, for an option that takes one
  CommandSet commands;
  bool repeatable = false;  // given more than once; its twin lists values separated by commas

  // "--workers"
  std::string LongName() const;
  // The description --help prints: what it does, default and why, twin and job-file key.
  std::string Describe() const;
};

// The table, in the order the help lists the options.
const std::vector<OptionSpec>& OptionTable();
// The row of `long_name` ("--workers"); throws Error(kInternal) for a name not in the table.
const OptionSpec& FindOption(std::string_view long_name);

// The rows of what a run shows while it goes and leaves for monitoring (progress, logs,
// metrics, live status), in tools/watch_options.cpp.
void AddWatchOptions(std::vector<OptionSpec>& table);
// The rows of staging directories' disk use (--max-disk, --max-disk-wait, --remove-imported), in
// tools/staging_options.cpp.
void AddStagingOptions(std::vector<OptionSpec>& table);
// The rows of a server that goes away or silent (--network-timeout, --reconnect-wait), in
// tools/network_options.cpp.
void AddNetworkOptions(std::vector<OptionSpec>& table);

// The options section of README.md: one Markdown table per command group.
std::string OptionsMarkdown();

}  // namespace ferry
