// Text helpers every layer uses for names and messages, so each has one spelling.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry {

// ASCII lower case ("Orders" -> "orders"), as engines fold unquoted names; other bytes (UTF-8
// included) stay as they are.
std::string Lower(std::string_view text);

// A count with thousands separators: 1234567 -> "1,234,567", -1234 -> "-1,234".
std::string Grouped(int64_t value);

// A size as a DBA writes it: "67108864", "64MiB", "64 MiB", "64M", "64MB", "1GiB", "512kB".
// K, M, G and T multiply by powers of 1024 whether or not an "i" or "B" follows, as PostgreSQL's
// memory settings do, so "64MB" means what the default "64 MiB" in the help means. nullopt for
// anything else, or a size over 2^64 - 1.
std::optional<uint64_t> ParseByteSize(std::string_view text);

// Edits (insert, delete, replace, swap two neighbours) from `a` to `b`, ASCII case ignored: a
// swapped pair ("rnu" for "run") is one typo. For "did you mean" suggestions.
size_t EditDistance(std::string_view a, std::string_view b);

// Characters in UTF-8 text as the engines count them (char_length): bytes that do not continue
// a character. Bytes that are not UTF-8 count one each.
int64_t Utf8Characters(std::string_view text);

}  // namespace ferry
