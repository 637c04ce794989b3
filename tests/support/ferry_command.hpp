// What integration tests put around a ferry command and its output: the command's two ends, a
// shell command's output, a wait for a condition and a text check. Each test file used to carry
// its own copy.
#pragma once

#include <functional>
#include <string>

#include "tests/support/test_database.hpp"

namespace ferry::test {

// " --source 'SOURCE' --dest 'DEST'", shell-quoted, to follow a command's name and options.
std::string Ends(const std::string& source_url, const std::string& dest_url);
std::string Ends(const TestDatabase& source, const TestDatabase& dest);

// `url` (a test database's, logged in as ferry) logged in as `user` instead.
std::string AsUser(const std::string& url, const std::string& user);

// Everything `command` prints (stdout and stderr) when /bin/sh runs it; fails the test when the
// command cannot be started or exits non-zero.
std::string Capture(const std::string& command);

// Whether `text` (a ferry command's output) holds `part`.
bool Has(const std::string& text, const std::string& part);
bool Has(const FerryResult& result, const std::string& part);

// Asks `done` about every 20 ms until it says true (true), or `seconds` have passed (false).
bool WaitUntil(const std::function<bool()>& done, int seconds);

}  // namespace ferry::test
