#include "tests/support/ferry_command.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

namespace ferry::test {

std::string Ends(const std::string& source_url, const std::string& dest_url) {
  return " --source " + ShellQuote(source_url) + " --dest " + ShellQuote(dest_url);
}

std::string Ends(const TestDatabase& source, const TestDatabase& dest) {
  return Ends(source.Url(), dest.Url());
}

std::string Capture(const std::string& command) {
  std::string out;
  std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe);
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  REQUIRE(pclose(pipe) == 0);
  return out;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string AsUser(const std::string& url, const std::string& user) {
  std::string out = url;
  out.replace(out.find("ferry@"), 5, user);
  return out;
}

bool Has(const FerryResult& result, const std::string& part) {
  return Has(result.output, part);
}

bool WaitUntil(const std::function<bool()>& done, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace ferry::test
