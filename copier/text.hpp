// Text helpers every layer uses for names and messages, so each has one spelling.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ferry {

// ASCII lower case ("Orders" -> "orders"), as engines fold unquoted names; other bytes (UTF-8
// included) stay as they are.
std::string Lower(std::string_view text);

// A count with thousands separators: 1234567 -> "1,234,567", -1234 -> "-1,234".
std::string Grouped(int64_t value);

}  // namespace ferry
