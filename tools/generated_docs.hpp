// The man page and the bash completion, made from the options table (tools/option_table.hpp)
// and the command table's descriptions, as the help and README.md's options section are: one
// source, so none of them can list an option another lacks.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ferry {

// A command's name and what its help says it does.
using CommandSummary = std::pair<std::string, std::string>;

// ferry(1) in roff (man(7) macros): synopsis, each command with its options, environment,
// exit status.
std::string ManPage(const std::vector<CommandSummary>& commands, const std::string& version);

// A bash completion script: commands, each command's options, and the words of options that
// take one of a few.
std::string BashCompletion(const std::vector<CommandSummary>& commands);

}  // namespace ferry
