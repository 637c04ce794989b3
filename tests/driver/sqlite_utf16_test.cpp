// Long text from a UTF-16 SQLite database is read with blob I/O, which gives the stored UTF-16,
// and turned into UTF-8 a piece at a time (drivers/sqlite/sqlite_blobs.hpp). It must give what
// SQLite's own conversion gives for the whole value, wherever the pieces split it, for valid text
// and for the odd cases SQLite lets through (lone and mismatched surrogates, an odd last byte).
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "drivers/sqlite/sqlite_blobs.hpp"

using ferry::sqlite::Utf16ToUtf8;

namespace {

// What sqlite3_column_text gives for text stored as `bytes` in a database of UTF-16 in the byte
// order `big_endian` says: SQLite's own translation (sqlite3VdbeMemTranslate), given the same
// units as native (little-endian) UTF-16, which it reads by the same rules.
std::string SqliteUtf8(bool big_endian, std::string bytes) {
  if (big_endian) {
    for (size_t i = 0; i + 1 < bytes.size(); i += 2) std::swap(bytes[i], bytes[i + 1]);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT ?", -1, &stmt, nullptr) == SQLITE_OK);
  sqlite3_bind_text16(stmt, 1, bytes.data(), int(bytes.size()), SQLITE_TRANSIENT);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  std::string out(text, size_t(sqlite3_column_bytes(stmt, 0)));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

std::string Units(const std::vector<unsigned>& units, bool big_endian) {
  std::string out;
  for (unsigned u : units) {
    const char hi = char(u >> 8), lo = char(u & 0xFF);
    out += big_endian ? hi : lo;
    out += big_endian ? lo : hi;
  }
  return out;
}

std::string InPieces(const std::string& bytes, bool big_endian, size_t first, size_t rest) {
  Utf16ToUtf8 decoder(big_endian);
  std::string out;
  size_t at = 0, size = first;
  while (at < bytes.size()) {
    const size_t n = std::min(size, bytes.size() - at);
    decoder.Convert(std::string_view(bytes).substr(at, n), at + n == bytes.size(), out);
    at += n;
    size = rest;
  }
  return out;
}

}  // namespace

TEST_CASE("UTF-16 text turned into UTF-8 in pieces reads as SQLite's own conversion reads it",
          "[sqlite][long_values]") {
  std::vector<std::vector<unsigned>> cases = {
      {'a', 0xE9, 0x5927, 0xD83D, 0xDEA2, ' '},  // 1-, 2-, 3-byte characters and a pair
      {'x', 0xD83D},                             // a high surrogate at the end
      {0xDC00, 'y', 0xD800, 'z'},                // a lone low one, a high one before a letter
      {0xD83D, 0xD83D, 0xDE00, 0xFFFF, 0},       // two highs, then a pair, U+FFFF and NUL
  };
  std::mt19937 random(12);
  for (int n = 0; n < 20; ++n) {
    std::vector<unsigned> units;
    for (int i = 0; i < 40; ++i) {
      const unsigned kind = random() % 4;
      units.push_back(kind == 0   ? 0xD800 + random() % 0x800
                      : kind == 1 ? 0x80 + random() % 0x780
                                  : 1 + random() % 0xFFFE);
    }
    cases.push_back(units);
  }
  for (const char* encoding : {"UTF-16le", "UTF-16be"}) {
    const bool big_endian = std::string(encoding) == "UTF-16be";
    for (const auto& units : cases) {
      for (bool odd : {false, true}) {
        std::string bytes = Units(units, big_endian) + (odd ? "\x41" : "");
        const std::string want = SqliteUtf8(big_endian, bytes);
        INFO(encoding << ", " << bytes.size() << " bytes");
        CHECK(InPieces(bytes, big_endian, bytes.size(), bytes.size()) == want);
        for (size_t first = 1; first < 8; ++first) {
          for (size_t rest = 1; rest < 6; ++rest) {
            CHECK(InPieces(bytes, big_endian, first, rest) == want);
          }
        }
      }
    }
  }
}
