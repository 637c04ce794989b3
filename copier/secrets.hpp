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

// Whether errors may print the data values they are about (a value refused by the destination,
// a row that differs). Off by default: logs travel to places the data may not, so a refused
// value is described by its kind and size instead ("a numeric with 7 integer digits", "a text
// of 301 characters"); keys still name the row. `--show-values` (FERRY_SHOW_VALUES) turns it on.
void SetShowValues(bool show);
bool ShowValues();
// A value read as text, for a message: quoted (cut at 64 bytes) with ShowValues(), else "a value
// of N bytes".
std::string ShownText(std::string_view text);

}  // namespace ferry
