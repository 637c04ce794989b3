// Keeps secrets out of every message ferry prints or stores. Whoever reads a password
// registers it here; errors and log lines pass through Redact before they leave ferry,
// so a driver that echoes a password in a diagnostic still cannot leak it.
#pragma once

#include <string>
#include <string_view>

namespace ferry {

// Remembers `secret` for the life of the process (empty and very short strings are ignored:
// redacting "a" would mangle every message).
void RegisterSecret(std::string_view secret);

// `text` with every registered secret replaced by "***".
std::string Redact(std::string_view text);

}  // namespace ferry
