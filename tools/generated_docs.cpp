#include "tools/generated_docs.hpp"

#include <fmt/format.h>

#include <optional>

#include "tools/exit_codes.hpp"
#include "tools/option_table.hpp"

namespace ferry {

namespace {

// Text safe in roff: backslashes doubled, a leading dot or quote escaped, dashes as \-.
std::string Roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

std::string OptionHead(const OptionSpec& o) {
  std::string names;
  for (size_t at = 0; at < o.names.size();) {
    size_t comma = o.names.find(',', at);
    if (comma == std::string::npos) comma = o.names.size();
    names += (names.empty() ? "" : ", ") +
             fmt::format("\\fB{}\\fR", Roff(o.names.substr(at, comma - at)));
    at = comma + 1;
  }
  std::string value = o.value;
  if (!o.choices.empty()) {
    value.clear();
    for (const std::string& c : o.choices) value += (value.empty() ? "" : "|") + c;
  }
  if (!value.empty()) names += fmt::format(" \\fI{}\\fR", Roff(value));
  return names;
}

std::optional<Command> CommandNamed(const std::string& name) {
  for (Command c : AllCommands()) {
    if (CommandName(c) == name) return c;
  }
  return std::nullopt;
}

}  // namespace

std::string ManPage(const std::vector<CommandSummary>& commands, const std::string& version) {
  std::string out = fmt::format(
      ".TH FERRY 1 \"\" \"ferry {}\" \"User Commands\"\n"
      ".SH NAME\nferry \\- copies whole databases between servers, fast, and proves the copy\n"
      ".SH SYNOPSIS\n\\fBferry\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n"
      ".SH DESCRIPTION\nferry copies tables between PostgreSQL, MariaDB and SQLite (and ODBC "
      "sources), verifies copies by key-range checksums, and keeps copies up to date from change "
      "logs. Progress goes to standard error; results to standard output. Every option has an "
      "environment twin; flags override the environment, which overrides a job file.\n"
      ".SH COMMANDS\n",
      Roff(version));
  for (const auto& [name, help] : commands) {
    const auto command = CommandNamed(name);
    if (!command) continue;
    out += fmt::format(".SS {}\n{}\n", Roff(name), Roff(help));
    for (const OptionSpec& o : OptionTable()) {
      if (!o.commands.Has(*command)) continue;
      out += fmt::format(".TP\n{}\n{}\n", OptionHead(o), Roff(o.Describe()));
    }
  }
  out +=
      ".SH ENVIRONMENT\n.TP\n\\fBFERRY_SOURCE_PASSWORD\\fR, \\fBFERRY_DEST_PASSWORD\\fR\n"
      "The passwords of the two ends (or odbc.ini): never on the command line.\n";
  out += ".SH EXIT STATUS\n";
  const std::pair<int, const char*> exits[] = {
      {kExitOk, "everything in scope was done"},
      {kExitTablesFailed, "some tables failed (listed at the end); verify: some table differs"},
      {kExitUsage, "bad command line, pattern or connection string"},
      {kExitConnection, "a database could not be reached or refused the login"},
      {kExitBlocked,
       "the copy cannot start (unknown table, incompatible destination, unmappable "
       "type, missing driver); nothing was written"},
      {kExitInterrupted, "stopped by a signal; ferry run \\-\\-resume continues it"},
      {kExitBusy, "another ferry process holds the destination"},
      {kExitResyncNeeded, "sync: a table's change log has a gap; copy it again"},
      {kExitExportStopped,
       "an import following a running export stopped because the export stopped unfinished"},
      {kExitInternal, "a bug in ferry"}};
  for (const auto& [code, meaning] : exits) {
    out += fmt::format(".TP\n\\fB{}\\fR\n{}\n", code, meaning);
  }
  out += ".SH SEE ALSO\nREADME.md and docs/monitoring.md in ferry's sources.\n";
  return out;
}

std::string BashCompletion(const std::vector<CommandSummary>& commands) {
  std::string names;
  std::string cases;
  for (const auto& [name, help] : commands) {
    names += (names.empty() ? "" : " ") + name;
    const auto command = CommandNamed(name);
    if (!command) continue;
    std::string options = "--help";
    std::string values;
    for (const OptionSpec& o : OptionTable()) {
      if (!o.commands.Has(*command)) continue;
      options += " " + o.LongName();
      std::string words;
      for (const std::string& c : o.choices) words += (words.empty() ? "" : " ") + c;
      if (!words.empty()) {
        values +=
            fmt::format("        {}) COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")); return ;;\n",
                        o.LongName(), words);
      } else if (o.value == "FILE" || o.value == "PATH") {
        values += fmt::format("        {}) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n",
                              o.LongName());
      }
    }
    cases += fmt::format(
        "    {})\n      case \"$prev\" in\n{}      esac\n"
        "      COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")) ;;\n",
        name, values, options);
  }
  return fmt::format(
      "# bash completion for ferry, made by `ferry help-options --format bash` from its options "
      "table\n"
      "_ferry() {{\n"
      "  local cur=\"${{COMP_WORDS[COMP_CWORD]}}\" prev=\"${{COMP_WORDS[COMP_CWORD-1]}}\"\n"
      "  local command=\"\" i\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    case \"${{COMP_WORDS[i]}}\" in -*) ;; *) command=\"${{COMP_WORDS[i]}}\"; break ;; esac\n"
      "  done\n"
      "  if [[ -z \"$command\" ]]; then\n"
      "    COMPREPLY=($(compgen -W \"{} --help --version\" -- \"$cur\")); return\n"
      "  fi\n"
      "  case \"$command\" in\n{}  esac\n"
      "}}\n"
      "complete -F _ferry ferry\n",
      names, cases);
}

}  // namespace ferry
