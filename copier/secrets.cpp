#include "copier/secrets.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

namespace ferry {

namespace {

struct Registry {
  std::mutex mutex;
  std::vector<std::string> secrets;
};

Registry& TheRegistry() {
  static Registry registry;
  return registry;
}

std::atomic<bool> show_values{false};

}  // namespace

void SetShowValues(bool show) {
  show_values = show;
}
bool ShowValues() {
  return show_values;
}

std::string ShownText(std::string_view text) {
  if (!ShowValues()) return "a value of " + std::to_string(text.size()) + " bytes";
  return "'" + std::string(text.substr(0, 64)) + (text.size() > 64 ? "…'" : "'");
}

void RegisterSecret(std::string_view secret) {
  if (secret.size() < 3) return;
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mutex);
  for (const std::string& s : r.secrets) {
    if (s == secret) return;
  }
  r.secrets.emplace_back(secret);
  // Longest first, so a secret that contains another is hidden whole.
  std::sort(r.secrets.begin(), r.secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redact(std::string_view text) {
  std::string out(text);
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mutex);
  for (const std::string& secret : r.secrets) {
    for (size_t at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3)) {
      out.replace(at, secret.size(), "***");
    }
  }
  return out;
}

}  // namespace ferry
