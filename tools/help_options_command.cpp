// `ferry help-options` (not listed in the help): every option of every command as the Markdown
// table README.md carries (so the README is made from the options table and a test can tell
// when the two disagree), or as the man page or the bash completion (--format).
#include <fmt/format.h>

#include <memory>

#include "tools/commands.hpp"
#include "tools/exit_codes.hpp"
#include "tools/generated_docs.hpp"
#include "tools/option_table.hpp"

namespace ferry {

CommandAction AddHelpOptionsCommand(CLI::App& app) {
  CLI::App* help = app.add_subcommand(
      "help-options", "Print every option of every command as a Markdown table (README.md's)");
  help->group("");
  auto format = std::make_shared<std::string>("markdown");
  help->add_option("--format", *format,
                   "markdown (README.md's table), man (ferry.1) or bash (a "
                   "completion script)")
      ->check(CLI::IsMember({"markdown", "man", "bash"}));
  return [help, format, &app]() -> int {
    if (!*help) return -1;
    std::vector<CommandSummary> commands;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (!sub->get_group().empty()) commands.emplace_back(sub->get_name(), sub->get_description());
    }
    if (*format == "man") {
      fmt::print("{}", ManPage(commands, FERRY_VERSION));
    } else if (*format == "bash") {
      fmt::print("{}", BashCompletion(commands));
    } else {
      fmt::print("{}", OptionsMarkdown());
    }
    return kExitOk;
  };
}

}  // namespace ferry
