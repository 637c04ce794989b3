// `ferry help-options` (not listed in the help): every option of every command as the Markdown
// table README.md carries, so the README is made from the options table and a test can tell
// when the two disagree.
#include <fmt/format.h>

#include <memory>

#include "tools/commands.hpp"
#include "tools/exit_codes.hpp"
#include "tools/option_table.hpp"

namespace ferry {

CommandAction AddHelpOptionsCommand(CLI::App& app) {
  CLI::App* help = app.add_subcommand(
      "help-options", "Print every option of every command as a Markdown table (README.md's)");
  help->group("");
  return [help]() -> int {
    if (!*help) return -1;
    fmt::print("{}", OptionsMarkdown());
    return kExitOk;
  };
}

}  // namespace ferry
