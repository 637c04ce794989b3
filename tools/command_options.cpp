#include "tools/command_options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>

#include "copier/error.hpp"
#include "copier/secrets.hpp"
#include "copier/text.hpp"

namespace ferry {

namespace {

// Rewrites a size as written ("64MiB") to the number of bytes the option's target takes.
CLI::Validator ByteSize() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const std::optional<uint64_t> bytes = ParseByteSize(value);
        if (!bytes) {
          return fmt::format(
              "'{}' is not a size: a number of bytes, or one with KiB, MiB, GiB "
              "or TiB (\"64MiB\")",
              value);
        }
        value = std::to_string(*bytes);
        return "";
      },
      "", "size");
}

// Accepts one of `choices` in any case (stored lower-cased); the message lists them in words.
CLI::Validator OneOf(const OptionSpec& spec) {
  std::string list;
  for (const std::string& c : spec.choices) list += (list.empty() ? "" : ", ") + c;
  return CLI::Validator(
      [choices = spec.choices, list](std::string& value) -> std::string {
        const std::string lower = Lower(value);
        for (const std::string& c : choices) {
          if (c == lower) {
            value = lower;
            return "";
          }
        }
        return fmt::format("'{}' is not one of {}", value, list);
      },
      "", "one of");
}

}  // namespace

CLI::Validator WholeNumber(bool may_be_negative) {
  return CLI::Validator(
      [may_be_negative](std::string& value) -> std::string {
        const bool negative = !value.empty() && value[0] == '-';
        const size_t digits = !value.empty() && (value[0] == '-' || value[0] == '+') ? 1 : 0;
        if (digits == value.size() ||
            value.find_first_not_of("0123456789", digits) != std::string::npos) {
          return fmt::format("'{}' is not a whole number (in decimal digits, as 8 or 20000)",
                             value);
        }
        const size_t first = std::min(value.find_first_not_of('0', digits), value.size() - 1);
        const std::string number = value.substr(first);
        if (negative && number != "0" && !may_be_negative) {
          return fmt::format("'{}' is below 0: give a whole number, 0 or more", value);
        }
        value = (negative && number != "0" ? "-" : "") + number;
        return "";
      },
      "", "whole number");
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false;
  auto flush = [&] {
    size_t first = current.find_first_not_of(' ');
    size_t last = current.find_last_not_of(' ');
    if (first != std::string::npos) out.push_back(current.substr(first, last - first + 1));
    current.clear();
  };
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return out;
}

bool CommandOptions::Uses(std::string_view long_name) const {
  return FindOption(long_name).commands.Has(command_);
}

const OptionSpec& CommandOptions::SpecFor(std::string_view long_name) const {
  const OptionSpec& spec = FindOption(long_name);
  if (!spec.commands.Has(command_)) {
    throw Error(ErrorCode::kInternal, fmt::format("the options table does not give {} to ferry {}",
                                                  long_name, CommandName(command_)));
  }
  return spec;
}

CLI::Option* CommandOptions::Registered(const OptionSpec& spec, CLI::Option* option) {
  if (!spec.value.empty()) {
    option->type_name(spec.choices.empty() ? spec.value : "");
  }
  if (spec.value == "SIZE") option->transform(ByteSize());
  if (!spec.choices.empty()) {
    std::string words;
    for (const std::string& c : spec.choices) words += (words.empty() ? "" : "|") + c;
    option->type_name(words);
    option->check(OneOf(spec));
  }
  added_.emplace_back(&spec, option);
  return option;
}

void CommandOptions::Finish() const {
  std::string missing;
  for (const OptionSpec& spec : OptionTable()) {
    if (!spec.commands.Has(command_)) continue;
    bool added = false;
    for (const auto& [s, option] : added_) added = added || s == &spec;
    if (!added) missing += (missing.empty() ? "" : ", ") + spec.LongName();
  }
  if (!missing.empty()) {
    throw Error(ErrorCode::kInternal,
                fmt::format("ferry {} does not add the options the table gives it: {}",
                            CommandName(command_), missing));
  }
}

void CommandOptions::ApplyEnvironment() const {
  // What the command line gave, before the environment adds to it.
  std::set<const CLI::Option*> given;
  for (const auto& [spec, option] : added_) {
    if (option->count() > 0) given.insert(option);
  }
  std::vector<std::pair<const OptionSpec*, const CLI::Option*>> from_environment;
  for (const auto& [spec, option] : added_) {
    if (given.count(option)) continue;
    const char* value = std::getenv(spec->env.c_str());
    if (!value || !*value) continue;
    bool overridden = false;
    for (const CLI::Option* other : option->get_excludes()) {
      if (given.count(other)) overridden = true;
      for (const auto& [other_spec, set] : from_environment) {
        if (set != other) continue;
        throw Error(ErrorCode::kUsage,
                    fmt::format("{} and {} are both set, and {} excludes {}", other_spec->env,
                                spec->env, spec->LongName(), other_spec->LongName()));
      }
    }
    if (overridden) continue;
    try {
      if (spec->repeatable) {
        for (const std::string& item : SplitList(value)) option->add_result(item);
      } else {
        option->add_result(value);
      }
      option->run_callback();
    } catch (const CLI::Error& e) {
      throw Error(ErrorCode::kUsage, fmt::format("{} (the environment twin of {}): {}", spec->env,
                                                 spec->LongName(), Redact(e.what())));
    }
    from_environment.emplace_back(spec, option);
  }
}

}  // namespace ferry
