// `ferry profile compare A B`: two profiles written by --profile, side by side (the comparison is
// copier/profile_compare).
#include <fmt/format.h>

#include <memory>

#include "copier/job_file.hpp"
#include "copier/profile_compare.hpp"
#include "tools/commands.hpp"
#include "tools/exit_codes.hpp"
#include "tools/profile_context.hpp"

namespace ferry {

ProfileContext ProfileContextOf(const std::string& run_id, const Endpoint& source,
                                const Endpoint& dest,
                                std::vector<std::pair<std::string, std::string>> settings) {
  auto shown = [](const Endpoint& end) {
    return fmt::format("{} ({} {})", end.info().display, end.info().product, end.info().version);
  };
  ProfileContext context;
  context.run_id = run_id;
  context.version = FERRY_VERSION;
  context.build_type = FERRY_BUILD_TYPE;
  context.source = shown(source);
  context.destination = shown(dest);
  context.settings = std::move(settings);
  return context;
}

CommandAction AddProfileCommand(CLI::App& app) {
  CLI::App* profile = app.add_subcommand(
      "profile",
      "Read profiles written by --profile: `compare A B` prints what changed from A "
      "to B per run, stage and table");
  profile->require_subcommand(1);
  CLI::App* compare = profile->add_subcommand(
      "compare",
      "Print B against A: wall seconds, stage seconds summed over threads and rows per second, "
      "per run and per table, as differences and percentages, and the settings that differ");
  auto files = std::make_shared<std::pair<std::string, std::string>>();
  compare->add_option("A", files->first, "The profile to compare against (the baseline)")
      ->required();
  compare->add_option("B", files->second, "The profile compared with it")->required();
  return [profile, compare, files]() -> int {
    if (!profile->parsed()) return -1;
    if (!compare->parsed()) return kExitUsage;
    const ProfileFile a{files->first, ReadUserFile(files->first, "profile")};
    const ProfileFile b{files->second, ReadUserFile(files->second, "profile")};
    fmt::print("{}", CompareProfiles(a, b));
    return kExitOk;
  };
}

}  // namespace ferry
