// A command's options, registered from the options table: names, value name, help and
// environment twin come from the table's row, never from the command. A command adds exactly the
// options the table gives it (Finish checks), and the environment fills what the command line
// left unset (ApplyEnvironment): flags override the environment, which overrides a job file.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tools/option_table.hpp"

namespace ferry {

// For a number option's value: a whole number in decimal, rewritten without leading zeros.
// CLI11 reads "010" as octal 8 and "0x10" as 16, and wraps "-1" into an unsigned option's
// largest value (`--batch-rows -1` asked for 18446744073709551615 rows per batch).
CLI::Validator WholeNumber(bool may_be_negative);

template <typename T>
struct ValueOf {
  using type = T;
};
template <typename T>
struct ValueOf<std::optional<T>> {
  using type = T;
};

class CommandOptions {
 public:
  CommandOptions(CLI::App* app, Command command) : app_(app), command_(command) {}

  Command command() const { return command_; }
  bool Uses(std::string_view long_name) const;

  // Adds the option `long_name` bound to `target`: a bool is a flag, anything else takes a
  // value. Throws Error(kInternal) when the table does not give this command that option.
  template <typename T>
  CLI::Option* Add(std::string_view long_name, T& target) {
    const OptionSpec& spec = SpecFor(long_name);
    CLI::Option* option;
    if constexpr (std::is_same_v<T, bool>) {
      option = app_->add_flag(spec.names, target, spec.Describe());
    } else if constexpr (std::is_same_v<T, int>) {
      // A flag bound to a number counts how often it is given (-vv: 2).
      option = spec.value.empty() ? app_->add_flag(spec.names, target, spec.Describe())
                                  : app_->add_option(spec.names, target, spec.Describe());
    } else {
      option = app_->add_option(spec.names, target, spec.Describe());
    }
    using V = typename ValueOf<T>::type;
    if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>) {
      if (!spec.value.empty() && spec.value != "SIZE") {
        option->transform(WholeNumber(std::is_signed_v<V>));
      }
    }
    return Registered(spec, option);
  }
  // As Add, for an option the table may not give this command: nullptr then.
  template <typename T>
  CLI::Option* AddIfUsed(std::string_view long_name, T& target) {
    return Uses(long_name) ? Add(long_name, target) : nullptr;
  }

  // Throws Error(kInternal) naming the options the table gives this command that it did not add:
  // the help would not show what the command takes.
  void Finish() const;

  // Once the command line is parsed: each option not given there takes its environment twin's
  // value, unless an option it excludes was given (the flag wins). Throws Error(kUsage) naming
  // the variable for a value the option refuses, and for twins of options that exclude each
  // other set together.
  void ApplyEnvironment() const;

 private:
  const OptionSpec& SpecFor(std::string_view long_name) const;
  CLI::Option* Registered(const OptionSpec& spec, CLI::Option* option);

  CLI::App* app_;
  Command command_;
  std::vector<std::pair<const OptionSpec*, CLI::Option*>> added_;
};

// "a,b" -> {"a", "b"}: a list in an environment variable. Commas inside double quotes belong to
// the value ("\"a,b\"" is one pattern); spaces around a value are dropped.
std::vector<std::string> SplitList(std::string_view text);

}  // namespace ferry
