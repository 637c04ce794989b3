// An environment variable set for one scope: the ferry processes a test starts meanwhile
// inherit it; unset again when the scope ends.
#pragma once

#include <cstdlib>
#include <string>

namespace ferry::test {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

}  // namespace ferry::test
