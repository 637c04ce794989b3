#include "copier/values.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

namespace ferry {

namespace {

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil64(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + int64_t(doe) - 719468;
}

bool IsLeap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int DaysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

void Put2(char* out, int v) {
  out[0] = char('0' + v / 10);
  out[1] = char('0' + v % 10);
}

void Put4(char* out, int v) {
  out[0] = char('0' + v / 1000 % 10);
  out[1] = char('0' + v / 100 % 10);
  out[2] = char('0' + v / 10 % 10);
  out[3] = char('0' + v % 10);
}

// Writes ".ffffff" without trailing zeros; nothing when the fraction is zero.
size_t PutFraction(char* out, int64_t micros) {
  if (micros == 0) return 0;
  char digits[6];
  for (int i = 5; i >= 0; --i) {
    digits[i] = char('0' + micros % 10);
    micros /= 10;
  }
  int n = 6;
  while (n > 0 && digits[n - 1] == '0') --n;
  out[0] = '.';
  std::memcpy(out + 1, digits, size_t(n));
  return size_t(n) + 1;
}

// Parses exactly `n` digits at `s`.
bool Digits(std::string_view s, size_t at, size_t n, int* value) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *value = v;
  return true;
}

// Parses "HH:MM:SS[.f{1,6}]" at s[at...]; advances `at`.
bool ParseClock(std::string_view s, size_t& at, int64_t* micros) {
  int h, m, sec;
  if (!Digits(s, at, 2, &h) || at + 2 >= s.size() || s[at + 2] != ':' ||
      !Digits(s, at + 3, 2, &m)) {
    return false;
  }
  at += 5;
  sec = 0;
  if (at < s.size() && s[at] == ':') {
    if (!Digits(s, at + 1, 2, &sec)) return false;
    at += 3;
  }
  if (h > 24 || m > 59 || sec > 60) return false;
  int64_t frac = 0;
  if (at < s.size() && s[at] == '.') {
    ++at;
    int n = 0;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      if (n == 6) {
        if (s[at] != '0') return false;  // finer than a microsecond: would be rounded
      } else {
        frac = frac * 10 + (s[at] - '0');
        ++n;
      }
      ++at;
    }
    if (n == 0) return false;
    for (; n < 6; ++n) frac *= 10;
  }
  if (h == 24 && (m != 0 || sec != 0 || frac != 0)) return false;
  *micros = ((int64_t(h) * 60 + m) * 60 + sec) * kMicrosPerSecond + frac;
  return true;
}

}  // namespace

int32_t DaysFromCivil(CivilDate date) {
  return int32_t(DaysFromCivil64(date.year, unsigned(date.month), unsigned(date.day)));
}

CivilDate CivilFromDays(int32_t days) {
  int64_t z = int64_t(days) + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = unsigned(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = int64_t(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{int(y + (m <= 2)), int(m), int(d)};
}

bool IsValidCivil(CivilDate date) {
  return date.year >= 1 && date.year <= 9999 && date.month >= 1 && date.month <= 12 &&
         date.day >= 1 && date.day <= DaysInMonth(date.year, date.month);
}

namespace {

// A zero date's parts, packed in MariaDB's order of year, month and day.
constexpr int32_t kZeroDateSpan = (9999 * 13 + 12) * 32 + 31 + 1;

CivilDate ZeroDateParts(int32_t days) {
  const int32_t packed = days - kZeroDateDays;
  return CivilDate{packed / 32 / 13, packed / 32 % 13, packed % 32};
}

}  // namespace

bool IsZeroDate(int32_t days) {
  return days >= kZeroDateDays && days < kZeroDateDays + kZeroDateSpan;
}

bool IsZeroDateTimestamp(int64_t micros) {
  return micros < 0 && IsZeroDate(DayOf(micros));
}

std::optional<int32_t> ParseZeroDate(std::string_view s) {
  int y, m, d;
  if (s.size() != 10 || !Digits(s, 0, 4, &y) || s[4] != '-' || !Digits(s, 5, 2, &m) ||
      s[7] != '-' || !Digits(s, 8, 2, &d)) {
    return std::nullopt;
  }
  if ((y != 0 && m != 0 && d != 0) || m > 12 || d > 31) return std::nullopt;
  return kZeroDateDays + (y * 13 + m) * 32 + d;
}

std::optional<int64_t> ParseDuration(std::string_view s) {
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 3) return std::nullopt;
  int hours = 0;
  if (!Digits(s, 0, colon, &hours)) return std::nullopt;
  // The clock parser takes two-digit hours: hand it "00" and add the hours back.
  std::string clock = "00" + std::string(s.substr(colon));
  size_t at = 0;
  int64_t micros;
  if (!ParseClock(clock, at, &micros) || at != clock.size() || micros >= 3600 * kMicrosPerSecond) {
    return std::nullopt;
  }
  micros += int64_t(hours) * 3600 * kMicrosPerSecond;
  if (micros > kMaxTimeMicros) return std::nullopt;
  return negative ? -micros : micros;
}

size_t FormatDateTo(int32_t days, char* out) {
  CivilDate c = IsZeroDate(days) ? ZeroDateParts(days) : CivilFromDays(days);
  Put4(out, c.year);
  out[4] = '-';
  Put2(out + 5, c.month);
  out[7] = '-';
  Put2(out + 8, c.day);
  return 10;
}

size_t FormatTimeTo(int64_t micros, char* out) {
  size_t n = 0;
  if (micros < 0) {
    out[n++] = '-';
    micros = -micros;
  }
  int64_t secs = micros / kMicrosPerSecond;
  const int hours = int(secs / 3600);
  if (hours >= 100) out[n++] = char('0' + hours / 100 % 10);
  Put2(out + n, hours % 100);
  out[n + 2] = ':';
  Put2(out + n + 3, int(secs / 60 % 60));
  out[n + 5] = ':';
  Put2(out + n + 6, int(secs % 60));
  return n + 8 + PutFraction(out + n + 8, micros % kMicrosPerSecond);
}

size_t FormatTimestampTo(int64_t micros, char* out) {
  size_t n = FormatDateTo(DayOf(micros), out);
  out[n++] = ' ';
  return n + FormatTimeTo(TimeOfDay(micros), out + n);
}

std::string FormatDate(int32_t days) {
  char buf[32];
  return std::string(buf, FormatDateTo(days, buf));
}

std::string FormatTime(int64_t micros) {
  char buf[32];
  return std::string(buf, FormatTimeTo(micros, buf));
}

std::string FormatTimestamp(int64_t micros) {
  char buf[40];
  return std::string(buf, FormatTimestampTo(micros, buf));
}

std::optional<int32_t> ParseDate(std::string_view s) {
  int y, m, d;
  if (s.size() != 10 || !Digits(s, 0, 4, &y) || s[4] != '-' || !Digits(s, 5, 2, &m) ||
      s[7] != '-' || !Digits(s, 8, 2, &d)) {
    return std::nullopt;
  }
  CivilDate c{y, m, d};
  if (!IsValidCivil(c)) return std::nullopt;
  return DaysFromCivil(c);
}

std::optional<int64_t> ParseTime(std::string_view s) {
  size_t at = 0;
  int64_t micros;
  if (!ParseClock(s, at, &micros) || at != s.size()) return std::nullopt;
  return micros;
}

std::optional<int64_t> ParseTimestamp(std::string_view s) {
  if (s.size() < 10) return std::nullopt;
  auto days = ParseDate(s.substr(0, 10));
  if (!days) return std::nullopt;
  int64_t result = int64_t(*days) * kMicrosPerDay;
  size_t at = 10;
  if (at == s.size()) return result;
  if (s[at] != ' ' && s[at] != 'T') return std::nullopt;
  ++at;
  int64_t clock;
  if (!ParseClock(s, at, &clock)) return std::nullopt;
  result += clock;
  if (at + 1 < s.size() && s[at] == ' ') ++at;  // a space may separate a zone, not end the text
  if (at == s.size()) return result;
  if (s[at] == 'Z' && at + 1 == s.size()) return result;
  if (s[at] != '+' && s[at] != '-') return std::nullopt;
  int sign = s[at] == '-' ? -1 : 1;
  int zh = 0, zm = 0;
  if (!Digits(s, at + 1, 2, &zh)) return std::nullopt;
  at += 3;
  if (at < s.size()) {
    if (s[at] == ':') ++at;  // "+HH:" without the minutes is malformed, not "+HH"
    if (!Digits(s, at, 2, &zm)) return std::nullopt;
    at += 2;
  }
  if (at != s.size() || zh > 15 || zm > 59) return std::nullopt;
  return result - sign * (int64_t(zh) * 3600 + zm * 60) * kMicrosPerSecond;
}

std::optional<std::string> CanonicalDecimal(std::string_view s, DecimalShape* shape) {
  size_t at = 0;
  bool negative = false;
  if (at < s.size() && (s[at] == '-' || s[at] == '+')) {
    negative = s[at] == '-';
    ++at;
  }
  std::string int_part, frac_part;
  while (at < s.size() && s[at] >= '0' && s[at] <= '9') int_part += s[at++];
  if (at < s.size() && s[at] == '.') {
    ++at;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') frac_part += s[at++];
  }
  if (int_part.empty() && frac_part.empty()) return std::nullopt;
  if (at < s.size() && (s[at] == 'e' || s[at] == 'E')) {
    ++at;
    int exp_sign = 1;
    if (at < s.size() && (s[at] == '-' || s[at] == '+')) exp_sign = s[at++] == '-' ? -1 : 1;
    int exponent = 0;
    size_t start = at;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9' && exponent < 100000) {
      exponent = exponent * 10 + (s[at++] - '0');
    }
    if (at == start) return std::nullopt;
    exponent *= exp_sign;
    // Move the point: digits = int_part + frac_part, point after int_part.size() + exponent.
    std::string digits = int_part + frac_part;
    int64_t point = int64_t(int_part.size()) + exponent;
    if (point < 0) {
      digits.insert(0, size_t(-point), '0');
      point = 0;
    } else if (point > int64_t(digits.size())) {
      digits.append(size_t(point - int64_t(digits.size())), '0');
    }
    int_part = digits.substr(0, size_t(point));
    frac_part = digits.substr(size_t(point));
    // Exponent notation carries no scale: drop trailing fractional zeros.
    while (!frac_part.empty() && frac_part.back() == '0') frac_part.pop_back();
  }
  if (at != s.size()) return std::nullopt;
  size_t first = int_part.find_first_not_of('0');
  int_part = first == std::string::npos ? "" : int_part.substr(first);
  bool zero = int_part.empty() && frac_part.find_first_not_of('0') == std::string::npos;
  if (zero) negative = false;
  std::string out;
  out.reserve(int_part.size() + frac_part.size() + 3);
  if (negative) out += '-';
  out += int_part.empty() ? "0" : int_part;
  if (!frac_part.empty()) {
    out += '.';
    out += frac_part;
  }
  if (shape) {
    shape->negative = negative;
    shape->integer_digits = int(int_part.size());
    shape->fraction_digits = int(frac_part.size());
    size_t last = frac_part.find_last_not_of('0');
    shape->significant_fraction = last == std::string::npos ? 0 : int(last + 1);
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool ParseUuid(std::string_view s, unsigned char out[16]) {
  if (s.size() >= 2 && s.front() == '{' && s.back() == '}') s = s.substr(1, s.size() - 2);
  const bool hyphenated = s.size() == 36;
  if (!hyphenated && s.size() != 32) return false;
  int nibbles = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (hyphenated && (i == 8 || i == 13 || i == 18 || i == 23)) {
      if (s[i] != '-') return false;
      continue;
    }
    int v = HexValue(s[i]);
    if (v < 0) return false;
    if (nibbles % 2 == 0) {
      out[nibbles / 2] = static_cast<unsigned char>(v << 4);
    } else {
      out[nibbles / 2] = static_cast<unsigned char>(out[nibbles / 2] | v);
    }
    ++nibbles;
  }
  return nibbles == 32;
}

size_t FormatUuidTo(const unsigned char b[16], char* out) {
  static const char kHex[] = "0123456789abcdef";
  size_t at = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[at++] = '-';
    out[at++] = kHex[b[i] >> 4];
    out[at++] = kHex[b[i] & 15];
  }
  return at;
}

std::string FormatUuid(const unsigned char b[16]) {
  char buf[36];
  return std::string(buf, FormatUuidTo(b, buf));
}

std::optional<size_t> Utf8Length(std::string_view s) {
  size_t count = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    size_t n;
    if (c < 0x80) {
      n = 1;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      n = 4;
    } else {
      return std::nullopt;
    }
    if (size_t(end - p) < n) return std::nullopt;
    for (size_t i = 1; i < n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return std::nullopt;
    }
    // The lead byte alone admits overlong forms, UTF-16 surrogates and code points past
    // U+10FFFF; the servers refuse all three, so the second byte's range decides.
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90) ||
        (c == 0xF4 && p[1] > 0x8F)) {
      return std::nullopt;
    }
    p += n;
    ++count;
  }
  return count;
}

void Utf8Counter::Add(std::string_view piece) {
  if (!valid_) return;
  if (piece.find('\0') != std::string_view::npos) has_nul_ = true;
  std::string text = std::move(pending_);
  text.append(piece);
  // Keep back a trailing lead byte and its continuation bytes: the piece may end inside them.
  size_t cut = text.size();
  while (cut > 0 && text.size() - cut < 3 &&
         (static_cast<unsigned char>(text[cut - 1]) & 0xC0) == 0x80) {
    --cut;
  }
  if (cut > 0 && static_cast<unsigned char>(text[cut - 1]) >= 0xC0) --cut;
  pending_.assign(text, cut, std::string::npos);
  std::optional<size_t> n = Utf8Length(std::string_view(text).substr(0, cut));
  if (!n) {
    valid_ = false;
    return;
  }
  count_ += *n;
}

std::optional<size_t> Utf8Counter::Finish() {
  if (!valid_) return std::nullopt;
  std::optional<size_t> n = Utf8Length(pending_);
  if (!n) return std::nullopt;
  return count_ + *n;
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace ferry
