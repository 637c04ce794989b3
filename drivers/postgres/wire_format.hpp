// PostgreSQL's binary wire forms that the COPY codec (binary_copy.cpp) reads and writes:
// network byte order and numeric's base-10000 digits. Inline and in a header of its own so the
// codec's per-value loops keep them inlined.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "drivers/postgres/binary_copy.hpp"

namespace ferry::pg::wire {

// Network byte order, read and written through memcpy (fields are unaligned).
inline uint16_t Load16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return __builtin_bswap16(v);
}
inline uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}
inline char* Store16(char* p, uint16_t v) {
  v = __builtin_bswap16(v);
  std::memcpy(p, &v, 2);
  return p + 2;
}
inline char* Store32(char* p, uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
  return p + 4;
}
inline char* Store64(char* p, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
  return p + 8;
}

// numeric's sign word and limits (src/include/utils/numeric.h, numeric.c).
constexpr uint16_t kNumericPositive = 0x0000;
constexpr uint16_t kNumericNegative = 0x4000;
constexpr uint16_t kNumericNaN = 0xC000;
constexpr uint16_t kNumericPlusInfinity = 0xD000;
constexpr uint16_t kNumericMinusInfinity = 0xF000;
constexpr int kNumericMaxDscale = 0x3FFF;
constexpr int kNumericMaxIntegerDigits = 131072;

// "00".."99", so four decimal digits take two lookups.
constexpr auto kTwoDigits = [] {
  std::array<char, 200> table{};
  for (int i = 0; i < 100; ++i) {
    table[size_t(2 * i)] = char('0' + i / 10);
    table[size_t(2 * i + 1)] = char('0' + i % 10);
  }
  return table;
}();

inline void FourDigits(int d, char* out) {
  std::memcpy(out, kTwoDigits.data() + 2 * (d / 100), 2);
  std::memcpy(out + 2, kTwoDigits.data() + 2 * (d % 100), 2);
}

struct Numeric {
  int ndigits = 0;
  int weight = 0;
  uint16_t sign = 0;
  int dscale = 0;
  const char* digits = nullptr;  // ndigits big-endian int16 base-10000 digits
  bool nonzero = false;

  int Digit(int i) const { return i >= 0 && i < ndigits ? int(Load16(digits + 2 * i)) : 0; }
  size_t TextBound() const { return 3 + size_t(std::max(weight + 1, 1)) * 4 + size_t(dscale); }
};

inline NumericStatus ReadNumeric(const char* p, size_t length, Numeric* n) {
  if (length < 8) return NumericStatus::kMalformed;
  n->ndigits = int16_t(Load16(p));
  n->weight = int16_t(Load16(p + 2));
  n->sign = Load16(p + 4);
  n->dscale = Load16(p + 6);
  n->digits = p + 8;
  if (n->sign == kNumericNaN) return NumericStatus::kNaN;
  if (n->sign == kNumericPlusInfinity) return NumericStatus::kInfinity;
  if (n->sign == kNumericMinusInfinity) return NumericStatus::kNegativeInfinity;
  if ((n->sign != kNumericPositive && n->sign != kNumericNegative) || n->ndigits < 0 ||
      length != 8 + 2 * size_t(n->ndigits) || n->dscale > kNumericMaxDscale) {
    return NumericStatus::kMalformed;
  }
  for (int i = 0; i < n->ndigits; ++i) {
    int d = n->Digit(i);
    if (d >= 10000) return NumericStatus::kMalformed;
    n->nonzero = n->nonzero || d != 0;
  }
  return NumericStatus::kOk;
}

// Writes numeric_out's text (exactly dscale fraction digits); returns its length.
inline size_t WriteNumericText(const Numeric& n, char* out) {
  char* o = out;
  if (n.sign == kNumericNegative && n.nonzero) *o++ = '-';
  bool started = false;
  for (int i = 0; i <= n.weight; ++i) {
    int d = n.Digit(i);
    if (started) {
      FourDigits(d, o);
      o += 4;
    } else if (d != 0) {
      char four[4];
      FourDigits(d, four);
      int skip = d >= 1000 ? 0 : d >= 100 ? 1 : d >= 10 ? 2 : 3;
      std::memcpy(o, four + skip, size_t(4 - skip));
      o += 4 - skip;
      started = true;
    }
  }
  if (!started) *o++ = '0';
  if (n.dscale > 0) {
    *o++ = '.';
    int left = n.dscale;
    for (int g = n.weight + 1; left > 0; ++g) {
      char four[4];
      FourDigits(n.Digit(g), four);
      int take = std::min(left, 4);
      std::memcpy(o, four, size_t(take));
      o += take;
      left -= take;
    }
  }
  return size_t(o - out);
}

inline bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// Writes the numeric payload for canonical decimal text; returns its length, or 0 when the
// text is not [-]digits[.digits] within numeric's limits. Needs text.size() + 16 bytes.
inline size_t WriteNumeric(std::string_view text, char* out) {
  const char* p = text.data();
  const char* end = p + text.size();
  bool negative = false;
  if (p < end && *p == '-') {
    negative = true;
    ++p;
  }
  const char* int_begin = p;
  while (p < end && IsDigit(*p)) ++p;
  const char* int_end = p;
  const char* frac_begin = p;
  const char* frac_end = p;
  if (p < end && *p == '.') {
    frac_begin = ++p;
    while (p < end && IsDigit(*p)) ++p;
    frac_end = p;
  }
  if (p != end || (int_begin == int_end && frac_begin == frac_end)) return 0;
  while (int_begin < int_end && *int_begin == '0') ++int_begin;
  const int int_len = int(int_end - int_begin);
  const int frac_len = int(frac_end - frac_begin);
  if (int_len > kNumericMaxIntegerDigits || frac_len > kNumericMaxDscale) return 0;

  char* digits = out + 8;
  int count = 0;        // groups written
  int last = -1;        // index of the last non-zero group written
  int weight = -1;      // weight of the first group written
  bool leading = true;  // still skipping zero groups before the first non-zero one
  auto put = [&](int group, int group_weight) {
    if (leading) {
      if (group == 0) return;
      leading = false;
      weight = group_weight;
    }
    Store16(digits + 2 * count, uint16_t(group));
    if (group != 0) last = count;
    ++count;
  };
  // Integer groups are aligned on the point, so the first one may be short.
  const int int_groups = (int_len + 3) / 4;
  const char* q = int_begin;
  for (int g = 0; g < int_groups; ++g) {
    int width = g == 0 ? int_len - 4 * (int_groups - 1) : 4;
    int group = 0;
    for (int k = 0; k < width; ++k) group = group * 10 + (*q++ - '0');
    put(group, int_groups - 1 - g);
  }
  const int frac_groups = (frac_len + 3) / 4;
  q = frac_begin;
  for (int g = 0; g < frac_groups; ++g) {
    int group = 0;
    for (int k = 0; k < 4; ++k) group = group * 10 + (q < frac_end ? *q++ - '0' : 0);
    put(group, -1 - g);
  }
  const int ndigits = last + 1;  // trailing zero groups are dropped, as PostgreSQL does
  if (ndigits == 0) {
    weight = 0;
    negative = false;
  }
  Store16(out, uint16_t(ndigits));
  Store16(out + 2, uint16_t(int16_t(weight)));
  Store16(out + 4, negative ? kNumericNegative : kNumericPositive);
  Store16(out + 6, uint16_t(frac_len));
  return 8 + 2 * size_t(ndigits);
}

const char* const kBadLength = "the server sent a value of an unexpected binary length";

}  // namespace ferry::pg::wire
