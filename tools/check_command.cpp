// `ferry check`: what a copy would do and what would stop it, before anything is written.
// The checks live in scheduler/checking; this file prints the report and picks the exit code.
#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "copier/error.hpp"
#include "copier/text.hpp"
#include "drivers/connection_string.hpp"
#include "drivers/open.hpp"
#include "scheduler/checking.hpp"
#include "tools/commands.hpp"
#include "tools/exit_codes.hpp"
#include "tools/options.hpp"
#include "tools/stop_signals.hpp"

namespace ferry {

namespace {

struct CheckFlags {
  CommonOptions common;
  bool json = false;
  double sample_seconds = CheckOptions{}.sample_seconds;
  bool scan = false;
};

std::string Rows(int64_t rows) {
  return rows < 0 ? "unknown rows" : fmt::format("~{} rows", Grouped(rows));
}

std::string Bytes(int64_t bytes) {
  if (bytes < 0) return "unknown size";
  if (bytes >= 1'000'000'000) return fmt::format("{:.1f} GB", double(bytes) / 1e9);
  if (bytes >= 1'000'000) return fmt::format("{:.1f} MB", double(bytes) / 1e6);
  return fmt::format("{:.0f} kB", double(bytes) / 1e3);
}

std::string Duration(double seconds) {
  if (seconds < 0) return "unknown";
  if (seconds < 1) return "under a second";
  if (seconds < 120) return fmt::format("{:.0f} s", seconds);
  if (seconds < 7200) return fmt::format("{:.0f} min", seconds / 60);
  return fmt::format("{:.1f} h", seconds / 3600);
}

std::string List(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A grouped rule that met one column or object ends its message with its name and detail
// ("rule: t.c (detail)", GroupedWarnings): printed after that name, the message says it once.
std::string NamedOnce(const std::string& message, const std::string& where) {
  const size_t named = where.empty() ? std::string::npos : message.rfind(": " + where);
  if (named == std::string::npos) return message;
  const size_t after = named + 2 + where.size();
  if (after == message.size()) return message.substr(0, named);
  if (message.compare(after, 2, " (") != 0 || message.back() != ')') return message;
  return message.substr(0, named) + ": " + message.substr(after + 2, message.size() - after - 3);
}

void PrintFindings(const CheckReport& report, Severity severity, const char* title) {
  int count = 0;
  for (const Finding& f : report.findings) count += f.severity == severity;
  if (count == 0) return;
  fmt::print("\n{} ({}):\n", title, count);
  for (const Finding& f : report.findings) {
    if (f.severity != severity) continue;
    std::string where = f.table.empty() ? "" : f.table;
    if (!f.column.empty()) where += "." + f.column;
    fmt::print("  [{}] {}{}\n", f.kind, where.empty() ? "" : where + ": ",
               NamedOnce(f.message, where));
  }
}

void PrintReport(const CheckReport& r) {
  fmt::print("source:      {} ({} {})\n", r.source.display, r.source.product, r.source.version);
  fmt::print("destination: {} ({} {})\n", r.destination.display, r.destination.product,
             r.destination.version);
  fmt::print("pair:        {} → {}: {}\n", r.source.engine, r.destination.engine,
             r.pair_supported ? "supported" : "NOT supported");

  fmt::print("\nschemas ({}):\n", r.schemas.size());
  for (const SchemaCheck& s : r.schemas) {
    fmt::print("  {}: {} table{}, {}, {}\n", s.name, s.tables, s.tables == 1 ? "" : "s",
               Rows(s.estimated_rows), Bytes(s.estimated_bytes));
  }

  fmt::print("\ntables ({}):\n", r.tables.size());
  for (const TableCheck& t : r.tables) {
    fmt::print("  {} → {}{}\n", DisplayName(t.source), DisplayName(t.destination),
               t.destination_exists ? " (exists)" : " (to create)");
    fmt::print("    {}, {}; key: {}\n", Rows(t.estimated_rows), Bytes(t.estimated_bytes),
               t.key.empty() ? t.key_note : fmt::format("({}), {}", List(t.key), t.key_note));
    fmt::print("    strategy: {}, {} unit{}{}: {}\n", StrategyName(t.strategy), t.partitions,
               t.partitions == 1 ? "" : "s",
               t.split_key.empty() ? "" : fmt::format(" split on ({})", List(t.split_key)), t.why);
    if (t.estimated_seconds >= 0) {
      fmt::print("    estimated read time: {}{}\n", Duration(t.estimated_seconds),
                 t.sampled ? " (sampled)" : "");
    }
    if (!t.sync_mode.empty()) fmt::print("    sync: {}: {}\n", t.sync_mode, t.sync_note);
  }

  fmt::print("\nestimated copy time: ");
  if (r.estimated_seconds < 0) {
    fmt::print("unknown (no rows could be sampled, or table sizes are unknown)\n");
  } else {
    fmt::print(
        "{} with {} reader{} (an estimate: {} rows read from {} table{} in {:.2f} s, "
        "extrapolated by table size; writes, indexes and the network can be slower)\n",
        Duration(r.estimated_seconds), r.readers, r.readers == 1 ? "" : "s", Grouped(r.sample.rows),
        r.sample.tables.size(), r.sample.tables.size() == 1 ? "" : "s", r.sample.seconds);
  }

  PrintFindings(r, Severity::kBlocker, "blockers");
  PrintFindings(r, Severity::kWarning, "warnings");
  const int warnings = r.warnings();
  const std::string warned =
      warnings == 0 ? "" : fmt::format(" ({} warning{})", warnings, warnings == 1 ? "" : "s");
  if (r.blockers() > 0) {
    fmt::print("\nblocked: {} blocker{}{}; ferry run would not copy this (exit {})\n", r.blockers(),
               r.blockers() == 1 ? "" : "s", warned, int(kExitBlocked));
  } else {
    fmt::print("\nok: nothing blocks the copy{}\n", warned);
  }
}

int Check(const CheckFlags& flags) {
  InstallStopHandlers(OnStop::kAtOnce);
  Job job = BuildJob(flags.common);
  CopyOptions copy = BuildCopyOptions(flags.common, job);
  RefuseOutside("--sample-seconds", flags.sample_seconds, 0.0, HUGE_VAL,
                "give the seconds to read each table for, or 0 to read nothing");
  auto source = OpenEndpoint(job.source, EndpointRole::kSource, SourceOptions(flags.common));
  auto dest =
      OpenEndpoint(job.destination, EndpointRole::kDestination, DestinationOptions(flags.common));
  auto watch = WatchServers(flags.common, source.get(), dest.get());
  CheckOptions options;
  options.partitions = copy.partitions;
  options.readers = copy.engine.readers;
  options.writers = copy.engine.writers;
  options.sample_seconds = flags.sample_seconds;
  if (flags.sample_seconds == 0) options.sample_tables = 0;
  options.scan = flags.scan;
  options.clone = copy.clone;
  options.allow_empty_source = flags.common.allow_empty_source;
  CheckReport report = CheckCopy(*source, *dest, job, options);
  if (flags.json) {
    fmt::print("{}", CheckReportToJson(report));
  } else {
    PrintReport(report);
  }
  return report.blockers() > 0 ? kExitBlocked : kExitOk;
}

}  // namespace

CommandAction AddCheckCommand(CLI::App& app) {
  auto flags = std::make_shared<CheckFlags>();
  CLI::App* check = app.add_subcommand(
      "check",
      "Check a copy before running it, writing nothing: both servers and whether ferry copies "
      "between them; every schema and table in scope with estimated rows, bytes, key, strategy "
      "and read time (measured on a short sample); and blockers (unmappable types, destination "
      "tables of another shape or holding rows, names that collide, missing privileges) and "
      "warnings (types that may refuse some values, tables without a key). Exit status 0 when "
      "nothing blocks the copy (warnings allowed), 4 when something does, 2 for bad options, 3 "
      "when a server cannot be reached");
  auto options = std::make_shared<CommandOptions>(check, Command::kCheck);
  AddCommonOptions(*options, flags->common);
  options->Add("--json", flags->json);
  options->Add("--scan", flags->scan);
  options->Add("--sample-seconds", flags->sample_seconds);
  options->Finish();
  return [check, flags, options]() -> int {
    if (!*check) return -1;
    options->ApplyEnvironment();
    return Check(*flags);
  };
}

}  // namespace ferry
