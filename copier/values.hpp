// Canonical forms of values and the exact conversions between them: calendar arithmetic,
// ISO-8601 text, decimal text, UUIDs. Every dialect and converter uses these, so a value
// has one spelling inside ferry whatever database it came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

struct CivilDate {
  int year;  // 1..9999 in practice; the arithmetic is proleptic Gregorian
  int month;
  int day;
};

int32_t DaysFromCivil(CivilDate date);
CivilDate CivilFromDays(int32_t days);
bool IsValidCivil(CivilDate date);

// MariaDB's zero dates ('0000-00-00', '2024-00-00', '2024-05-00', '0000-01-01': a year, month
// or day of zero), which WordPress and other MySQL applications store and no other engine
// does. They travel as days far below any real date's (PostgreSQL's earliest is 4713 BC), one
// day number per zero date, so a MariaDB destination gets each back as it was written and
// every other destination refuses them by row (ValueLimits::zero_dates). A timestamp on a
// zero date is that day's microseconds plus its time of day, as any other timestamp.
constexpr int32_t kZeroDateDays = -90'000'000;  // 0000-00-00
bool IsZeroDate(int32_t days);
bool IsZeroDateTimestamp(int64_t micros);
// The day number of "YYYY-MM-DD" with a zero year, month or day (the month 0..12 and day 0..31
// as MariaDB allows them); nullopt for any other text, real dates included.
std::optional<int32_t> ParseZeroDate(std::string_view text);

// MariaDB's TIME spans -838:59:59.999999 to 838:59:59.999999 (a duration, not only a time of
// day); kTime storage holds those microseconds, and ValueLimits::times_beyond_day says which
// destinations store them.
constexpr int64_t kMaxTimeMicros = (838LL * 3600 + 59 * 60 + 59) * kMicrosPerSecond + 999'999;
// "[-]H{1,3}:MM:SS[.ffffff]" within that span; nullopt otherwise.
std::optional<int64_t> ParseDuration(std::string_view text);

// Splits microseconds since the epoch into days and microseconds into the day (floor).
inline int32_t DayOf(int64_t micros) {
  int64_t d = micros / kMicrosPerDay;
  if (micros % kMicrosPerDay < 0) --d;
  return int32_t(d);
}
inline int64_t TimeOfDay(int64_t micros) {
  int64_t r = micros % kMicrosPerDay;
  return r < 0 ? r + kMicrosPerDay : r;
}

// "YYYY-MM-DD", "HH:MM:SS[.ffffff]", "YYYY-MM-DD HH:MM:SS[.ffffff]". Fractions are printed
// only when non-zero, with trailing zeros removed, as the databases print them. Zero dates
// print as MariaDB prints them; times beyond a day and negative ones as "-838:59:59".
std::string FormatDate(int32_t days);
std::string FormatTime(int64_t micros_of_day);
std::string FormatTimestamp(int64_t micros);
// Writes into `out` (at least 32 bytes); returns the length. For hot paths.
size_t FormatDateTo(int32_t days, char* out);
size_t FormatTimeTo(int64_t micros_of_day, char* out);  // at most 17 bytes
size_t FormatTimestampTo(int64_t micros, char* out);

// Parse the forms above; timestamps also accept 'T' as separator and a trailing zone
// ("Z", "+HH", "+HH:MM", "+HHMM"), which is applied so the result is UTC. Fractions
// beyond microseconds are refused (they would be rounded). nullopt on malformed text.
std::optional<int32_t> ParseDate(std::string_view text);
std::optional<int64_t> ParseTime(std::string_view text);
std::optional<int64_t> ParseTimestamp(std::string_view text);

// Decimal text: [-]digits[.digits]. Canonical form has no '+', no leading zeros in the
// integer part (but "0"), no "-0". Trailing fractional zeros are kept: they carry scale.
struct DecimalShape {
  bool negative = false;
  int integer_digits = 0;        // significant digits before the point (0 for "0.5")
  int fraction_digits = 0;       // digits after the point
  int significant_fraction = 0;  // fraction digits up to the last non-zero one
};
// Parses and canonicalises; also accepts exponent notation ("1.5E+3") as drivers print it
// for some floats. nullopt when it is not a finite decimal number.
std::optional<std::string> CanonicalDecimal(std::string_view text, DecimalShape* shape = nullptr);

// UUIDs: 16 bytes <-> "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lower case). Parsing accepts
// either case, with or without hyphens and braces.
bool ParseUuid(std::string_view text, unsigned char out[16]);
std::string FormatUuid(const unsigned char bytes[16]);
size_t FormatUuidTo(const unsigned char bytes[16], char* out);  // writes 36 bytes

// Number of Unicode code points in UTF-8 text; nullopt when the bytes are not valid UTF-8.
std::optional<size_t> Utf8Length(std::string_view text);

// Utf8Length of text given in pieces (a long value read a piece at a time), which may split a
// character anywhere.
class Utf8Counter {
 public:
  void Add(std::string_view piece);
  std::optional<size_t> Finish();
  bool has_nul() const { return has_nul_; }

 private:
  std::string pending_;  // a character split by the end of the last piece
  size_t count_ = 0;
  bool valid_ = true;
  bool has_nul_ = false;
};

// Prints a double so that parsing it back gives the same double ("shortest round trip").
std::string FormatDouble(double value);

}  // namespace ferry
