#include "tools/test_hooks.hpp"

#include <cstdlib>
#include <string>

namespace ferry {

namespace {

TestHooks ReadTestHooks() {
  TestHooks hooks;
  const char* text = std::getenv("FERRY_TEST_CRASH");
  if (!text) return hooks;
  const std::string s = text;
  const auto colon = s.find(':');
  if (colon == std::string::npos) return hooks;
  if (s.substr(0, colon) == "stall-at-commit" || s.substr(0, colon) == "stall-before-commit") {
    const char* sql = std::getenv("FERRY_TEST_STALL_SQL");
    if (!sql) return hooks;
    hooks.stall_at_commit = std::atoi(s.c_str() + colon + 1);
    hooks.stall_sql = sql;
    hooks.stall_first = s.substr(0, colon) == "stall-before-commit";
    return hooks;
  }
  if (s.substr(0, colon) == "in-large-object") {
    hooks.crash_in_large_object = std::atoi(s.c_str() + colon + 1);
    return hooks;
  }
  if (s.substr(0, colon) == "stop-in-build") {
    hooks.stop_in_build = std::atoi(s.c_str() + colon + 1);
    return hooks;
  }
  hooks.crash_before_commit = s.substr(0, colon) == "before-commit";
  hooks.crash_at_commit = std::atoi(s.c_str() + colon + 1);
  return hooks;
}

}  // namespace

const TestHooks& StartupTestHooks() {
  static const TestHooks hooks = ReadTestHooks();
  return hooks;
}

}  // namespace ferry
