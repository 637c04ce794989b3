#include "tools/usage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "copier/text.hpp"

namespace ferry {

namespace {

std::vector<std::string> SubcommandNames(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    out.push_back(sub->get_name());
  }
  return out;
}

// "--workers" and "-w" for every option of `app`.
std::vector<std::string> OptionNames(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::Option* o : app.get_options()) {
    for (const std::string& l : o->get_lnames()) out.push_back("--" + l);
    for (const std::string& s : o->get_snames()) out.push_back("-" + s);
  }
  return out;
}

bool Known(const std::vector<std::string>& names, const std::string& word) {
  return std::find(names.begin(), names.end(), word) != names.end();
}

}  // namespace

std::string NearestWord(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  const size_t letters = word.size() - std::min(word.find_first_not_of('-'), word.size());
  const size_t allowed = std::min<size_t>(2, std::max<size_t>(1, letters / 3));
  return best_distance <= allowed ? best : "";
}

std::string UsageMessage(const CLI::App& app, const CLI::ParseError& error,
                         const std::vector<std::string>& args) {
  const std::vector<std::string> commands = SubcommandNames(app);
  const CLI::App* command = nullptr;
  size_t at = 0;
  for (; at < args.size(); ++at) {
    if (Known(commands, args[at])) {
      command = app.get_subcommand_ptr(args[at]).get();
      break;
    }
    if (!args[at].empty() && args[at][0] != '-') break;
  }
  std::string list;
  for (const std::string& c : commands) list += (list.empty() ? "" : ", ") + c;
  if (!command) {
    if (at >= args.size() || args[at].empty() || args[at][0] == '-') {
      return fmt::format("ferry: error: give a command: {}\n(ferry --help says what each does)",
                         list);
    }
    const std::string near = NearestWord(args[at], commands);
    return near.empty() ? fmt::format("ferry: error: unknown command '{}'; the commands are {}",
                                      args[at], list)
                        : fmt::format("ferry: error: unknown command '{}'; did you mean `{}`?",
                                      args[at], near);
  }
  const std::vector<std::string> options = OptionNames(*command);
  for (size_t i = at + 1; i < args.size(); ++i) {
    const std::string word = args[i].substr(0, args[i].find('='));
    if (word == "--") break;
    if (word.size() < 2 || word[0] != '-' || Known(options, word)) continue;
    if (word[1] != '-' && word.size() > 2) continue;  // -q3 style: a short option and its value
    const std::string near = NearestWord(word, options);
    return fmt::format("ferry: error: ferry {} has no option {}{}", command->get_name(), word,
                       near.empty() ? fmt::format("; see ferry {} --help", command->get_name())
                                    : fmt::format("; did you mean {}?", near));
  }
  return fmt::format("ferry: error: {}\n(see ferry {} --help)", error.what(), command->get_name());
}

}  // namespace ferry
