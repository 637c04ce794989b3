// `ferry profile compare A B`: what changed between two profiles (scheduler/profile.hpp) of the
// same command, per run, per stage and per table, as absolute and relative differences. Wall
// seconds and stage seconds summed over threads are labelled apart: the first is what a person
// waited, the second where the threads' time went.
#pragma once

#include <string>

namespace ferry {

// Written in every profile ("format_version"); raised when a field changes meaning or goes
// away, so a comparison never reads one version's field as another's. Profiles without it are
// version 1 (ferry before profiles were versioned).
inline constexpr int kProfileFormatVersion = 2;
inline constexpr const char* kProfileFormat = "ferry-profile";

struct ProfileFile {
  std::string name;  // as given, for messages
  std::string text;  // its JSON
};

// The comparison for people: B against A. Throws Error(kUsage) naming the file for a file that
// is not JSON or not a ferry profile, and naming both for profiles of different format
// versions or of different commands.
std::string CompareProfiles(const ProfileFile& a, const ProfileFile& b);

}  // namespace ferry
