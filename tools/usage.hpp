// What ferry says about a command line it cannot take: one line beginning `ferry: error:`,
// naming what is wrong, with the nearest subcommand or option when the word looks like a typo
// of one (`ferry rnu`: did you mean `run`?).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace ferry {

// The word of `candidates` nearest `word` (edit distance, case ignored), when it is near enough
// to be a typo of it: at most 2 edits, and at most a third of the word's length past 3 letters;
// "" otherwise.
std::string NearestWord(const std::string& word, const std::vector<std::string>& candidates);

// The message for a command line CLI11 refused with `error`, from the arguments given.
std::string UsageMessage(const CLI::App& app, const CLI::ParseError& error,
                         const std::vector<std::string>& args);

}  // namespace ferry
