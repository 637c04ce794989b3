#include <catch2/catch.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "copier/values.hpp"

using namespace ferry;

namespace {

// Microseconds since the epoch for a civil date and time, built from the calendar helpers.
int64_t Micros(CivilDate date, int h, int m, int s, int64_t frac = 0) {
  return int64_t(DaysFromCivil(date)) * kMicrosPerDay +
         ((int64_t(h) * 60 + m) * 60 + s) * kMicrosPerSecond + frac;
}

std::string Canonical(std::string_view text) {
  auto out = CanonicalDecimal(text);
  return out ? *out : std::string("<refused>");
}

double ParseDouble(const std::string& text) {
  double d = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), d);
  REQUIRE(r.ec == std::errc());
  REQUIRE(r.ptr == text.data() + text.size());
  return d;
}

// Significant digits in a number's text: "-0.00120e-5" has 3.
int SignificantDigits(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c == 'e' || c == 'E') break;
    if (c >= '0' && c <= '9') digits += c;
  }
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return 1;
  size_t last = digits.find_last_not_of('0');
  return int(last - first + 1);
}

}  // namespace

// --- calendar ------------------------------------------------------------------------------

TEST_CASE("days are counted from 1970-01-01 at well-known dates", "[values][calendar]") {
  CHECK(DaysFromCivil({1970, 1, 1}) == 0);
  CHECK(DaysFromCivil({1969, 12, 31}) == -1);
  CHECK(DaysFromCivil({2000, 1, 1}) == 10957);
  CHECK(DaysFromCivil({2000, 2, 29}) == 11016);
  CHECK(DaysFromCivil({1900, 2, 28}) == -25509);
  CHECK(DaysFromCivil({1900, 3, 1}) == -25508);  // 1900 is not a leap year
  CHECK(DaysFromCivil({1600, 2, 29}) == -135081);
  CHECK(DaysFromCivil({1, 1, 1}) == -719162);
  CHECK(DaysFromCivil({9999, 12, 31}) == 2932896);
}

TEST_CASE("every day from year 1 to 9999 round-trips through the civil calendar",
          "[values][calendar]") {
  const int32_t first = DaysFromCivil({1, 1, 1});
  const int32_t last = DaysFromCivil({9999, 12, 31});
  CivilDate previous = CivilFromDays(first - 1);
  CHECK(previous.year == 0);
  CHECK(previous.month == 12);
  CHECK(previous.day == 31);
  int mismatches = 0;
  for (int32_t days = first; days <= last; ++days) {
    CivilDate c = CivilFromDays(days);
    // Consecutive days step by exactly one calendar day.
    bool next_day =
        c.year == previous.year && c.month == previous.month && c.day == previous.day + 1;
    bool next_month = c.year == previous.year && c.month == previous.month + 1 && c.day == 1;
    bool next_year = c.year == previous.year + 1 && c.month == 1 && c.day == 1 &&
                     previous.month == 12 && previous.day == 31;
    if (!IsValidCivil(c) || DaysFromCivil(c) != days || !(next_day || next_month || next_year)) {
      ++mismatches;
    }
    previous = c;
  }
  CHECK(mismatches == 0);
  CHECK(previous.year == 9999);
  CHECK(previous.month == 12);
  CHECK(previous.day == 31);
}

TEST_CASE("leap days exist only in leap years", "[values][calendar]") {
  CHECK(IsValidCivil({2000, 2, 29}));
  CHECK(IsValidCivil({2024, 2, 29}));
  CHECK(IsValidCivil({1600, 2, 29}));
  CHECK_FALSE(IsValidCivil({1900, 2, 29}));
  CHECK_FALSE(IsValidCivil({2023, 2, 29}));
  CHECK_FALSE(IsValidCivil({2024, 2, 30}));
  CHECK_FALSE(IsValidCivil({2024, 4, 31}));
  CHECK(IsValidCivil({2024, 12, 31}));
  CHECK_FALSE(IsValidCivil({2024, 13, 1}));
  CHECK_FALSE(IsValidCivil({2024, 0, 1}));
  CHECK_FALSE(IsValidCivil({2024, 1, 0}));
  CHECK_FALSE(IsValidCivil({0, 1, 1}));
  CHECK_FALSE(IsValidCivil({10000, 1, 1}));
  CHECK(IsValidCivil({1, 1, 1}));
  CHECK(IsValidCivil({9999, 12, 31}));
}

TEST_CASE("microseconds before 1970 split into the previous day and a positive time of day",
          "[values][calendar]") {
  CHECK(DayOf(-1) == -1);
  CHECK(TimeOfDay(-1) == kMicrosPerDay - 1);
  CHECK(DayOf(-kMicrosPerDay) == -1);
  CHECK(TimeOfDay(-kMicrosPerDay) == 0);
  CHECK(DayOf(-kMicrosPerDay - 1) == -2);
  CHECK(DayOf(0) == 0);
  CHECK(TimeOfDay(0) == 0);
  CHECK(DayOf(kMicrosPerDay - 1) == 0);
  CHECK(DayOf(kMicrosPerDay) == 1);
}

// --- formatting ----------------------------------------------------------------------------

TEST_CASE("dates are printed as YYYY-MM-DD with leading zeros", "[values][format]") {
  CHECK(FormatDate(0) == "1970-01-01");
  CHECK(FormatDate(-1) == "1969-12-31");
  CHECK(FormatDate(DaysFromCivil({1, 1, 1})) == "0001-01-01");
  CHECK(FormatDate(DaysFromCivil({9999, 12, 31})) == "9999-12-31");
  CHECK(FormatDate(DaysFromCivil({2000, 2, 29})) == "2000-02-29");
  CHECK(FormatDate(DaysFromCivil({987, 6, 5})) == "0987-06-05");
}

TEST_CASE("times print a fraction only when it is non-zero, without trailing zeros",
          "[values][format]") {
  CHECK(FormatTime(0) == "00:00:00");
  CHECK(FormatTime(((13 * 60 + 5) * 60 + 9) * kMicrosPerSecond) == "13:05:09");
  CHECK(FormatTime(500000) == "00:00:00.5");
  CHECK(FormatTime(120000) == "00:00:00.12");
  CHECK(FormatTime(1) == "00:00:00.000001");
  CHECK(FormatTime(123456) == "00:00:00.123456");
  CHECK(FormatTime(100) == "00:00:00.0001");
  CHECK(FormatTime(kMicrosPerDay - 1) == "23:59:59.999999");
  CHECK(FormatTime(kMicrosPerDay) == "24:00:00");
}

TEST_CASE("timestamps print date, a space, and the trimmed time", "[values][format]") {
  CHECK(FormatTimestamp(0) == "1970-01-01 00:00:00");
  CHECK(FormatTimestamp(Micros({2024, 2, 29}, 23, 59, 59, 250000)) == "2024-02-29 23:59:59.25");
  CHECK(FormatTimestamp(Micros({1, 1, 1}, 0, 0, 0)) == "0001-01-01 00:00:00");
  CHECK(FormatTimestamp(Micros({9999, 12, 31}, 23, 59, 59, 999999)) ==
        "9999-12-31 23:59:59.999999");
}

TEST_CASE("timestamps before 1970 with microseconds print the right day and time",
          "[values][format]") {
  CHECK(FormatTimestamp(-1) == "1969-12-31 23:59:59.999999");
  CHECK(FormatTimestamp(-500000) == "1969-12-31 23:59:59.5");
  CHECK(FormatTimestamp(-kMicrosPerDay) == "1969-12-31 00:00:00");
  CHECK(FormatTimestamp(-2208943799500000) == "1900-01-01 12:30:00.5");
  CHECK(FormatTimestamp(Micros({1, 1, 1}, 0, 0, 0, 1)) == "0001-01-01 00:00:00.000001");
}

TEST_CASE("the in-place formatters write the same text as the string ones", "[values][format]") {
  char buf[64];
  int64_t ts = Micros({1957, 10, 4}, 19, 28, 34, 123400);
  CHECK(std::string(buf, FormatTimestampTo(ts, buf)) == FormatTimestamp(ts));
  CHECK(std::string(buf, FormatTimestampTo(ts, buf)) == "1957-10-04 19:28:34.1234");
  CHECK(std::string(buf, FormatDateTo(-3, buf)) == "1969-12-29");
  CHECK(std::string(buf, FormatTimeTo(61 * kMicrosPerSecond + 10, buf)) == "00:01:01.00001");
}

// --- parsing dates and times ---------------------------------------------------------------

TEST_CASE("ParseDate reads YYYY-MM-DD and refuses dates that do not exist", "[values][parse]") {
  CHECK(ParseDate("1970-01-01") == 0);
  CHECK(ParseDate("1969-12-31") == -1);
  CHECK(ParseDate("0001-01-01") == DaysFromCivil({1, 1, 1}));
  CHECK(ParseDate("9999-12-31") == DaysFromCivil({9999, 12, 31}));
  CHECK(ParseDate("2000-02-29") == DaysFromCivil({2000, 2, 29}));
  CHECK(ParseDate("1900-02-28") == DaysFromCivil({1900, 2, 28}));

  CHECK_FALSE(ParseDate("1900-02-29"));
  CHECK_FALSE(ParseDate("2023-02-30"));
  CHECK_FALSE(ParseDate("2023-04-31"));
  CHECK_FALSE(ParseDate("2023-13-01"));
  CHECK_FALSE(ParseDate("2023-00-10"));
  CHECK_FALSE(ParseDate("2023-01-00"));
  CHECK_FALSE(ParseDate("0000-01-01"));
  CHECK_FALSE(ParseDate("2023-1-01"));
  CHECK_FALSE(ParseDate("23-01-01"));
  CHECK_FALSE(ParseDate("2023/01/01"));
  CHECK_FALSE(ParseDate("2023-01-01 "));
  CHECK_FALSE(ParseDate(" 2023-01-01"));
  CHECK_FALSE(ParseDate("2023-01-0a"));
  CHECK_FALSE(ParseDate(""));
  CHECK_FALSE(ParseDate("-001-01-01"));
}

TEST_CASE("every formatted date parses back to the same day", "[values][parse]") {
  for (int32_t days = DaysFromCivil({1, 1, 1}); days <= DaysFromCivil({9999, 12, 31}); days += 97) {
    auto parsed = ParseDate(FormatDate(days));
    REQUIRE(parsed);
    REQUIRE(*parsed == days);
  }
}

TEST_CASE("ParseTime reads fractions of up to six digits", "[values][parse]") {
  CHECK(ParseTime("00:00:00") == 0);
  CHECK(ParseTime("23:59:59") == (86400 - 1) * kMicrosPerSecond);
  CHECK(ParseTime("12:34:56.5") == (45296 * kMicrosPerSecond + 500000));
  CHECK(ParseTime("12:34:56.000001") == (45296 * kMicrosPerSecond + 1));
  CHECK(ParseTime("12:34:56.123456") == (45296 * kMicrosPerSecond + 123456));
  CHECK(ParseTime("24:00:00") == kMicrosPerDay);
}

TEST_CASE("ParseTime refuses malformed and out-of-range clocks", "[values][parse]") {
  CHECK_FALSE(ParseTime(""));
  CHECK_FALSE(ParseTime("25:00:00"));
  CHECK_FALSE(ParseTime("24:00:01"));
  CHECK_FALSE(ParseTime("24:00:00.000001"));
  CHECK_FALSE(ParseTime("12:60:00"));
  CHECK_FALSE(ParseTime("12:00:61"));
  CHECK_FALSE(ParseTime("1:00:00"));
  CHECK_FALSE(ParseTime("12:00:00."));
  CHECK_FALSE(ParseTime("12:00:00.5x"));
  CHECK_FALSE(ParseTime("12:00:00 "));
  CHECK_FALSE(ParseTime("12-00-00"));
  CHECK_FALSE(ParseTime("-01:00:00"));
}

TEST_CASE("a seventh fractional digit is refused unless it and all after it are zeros",
          "[values][parse]") {
  CHECK_FALSE(ParseTime("12:00:00.1234567"));
  CHECK_FALSE(ParseTime("12:00:00.0000001"));
  CHECK_FALSE(ParseTime("12:00:00.123456000001"));
  CHECK(ParseTime("12:00:00.1234560") == 43200 * kMicrosPerSecond + 123456);
  CHECK(ParseTime("12:00:00.123456000") == 43200 * kMicrosPerSecond + 123456);
  CHECK_FALSE(ParseTimestamp("2020-01-01 00:00:00.0000005"));
  CHECK(ParseTimestamp("2020-01-01 00:00:00.000000000") == Micros({2020, 1, 1}, 0, 0, 0));
}

TEST_CASE("every formatted time parses back to the same microsecond", "[values][parse]") {
  for (int64_t micros : {int64_t{0}, int64_t{1}, int64_t{10}, int64_t{999999}, kMicrosPerSecond,
                         kMicrosPerDay - 1, int64_t{45296123400}}) {
    CAPTURE(micros);
    CHECK(ParseTime(FormatTime(micros)) == micros);
  }
}

TEST_CASE("ParseTimestamp reads a date alone as midnight", "[values][parse]") {
  CHECK(ParseTimestamp("2021-06-15") == Micros({2021, 6, 15}, 0, 0, 0));
  CHECK(ParseTimestamp("1969-12-31") == -kMicrosPerDay);
}

TEST_CASE("ParseTimestamp accepts a space or 'T' between date and time", "[values][parse]") {
  int64_t expected = Micros({2021, 6, 15}, 8, 30, 0, 250000);
  CHECK(ParseTimestamp("2021-06-15 08:30:00.25") == expected);
  CHECK(ParseTimestamp("2021-06-15T08:30:00.25") == expected);
  CHECK_FALSE(ParseTimestamp("2021-06-15t08:30:00"));
  CHECK_FALSE(ParseTimestamp("2021-06-15_08:30:00"));
  CHECK_FALSE(ParseTimestamp("2021-06-1508:30:00"));
}

TEST_CASE("parses a timestamp with a zone into UTC", "[values][parse][zone]") {
  int64_t utc = Micros({2021, 6, 15}, 8, 30, 0);
  CHECK(ParseTimestamp("2021-06-15 08:30:00Z") == utc);
  CHECK(ParseTimestamp("2021-06-15T08:30:00Z") == utc);
  CHECK(ParseTimestamp("2021-06-15 08:30:00+00") == utc);
  CHECK(ParseTimestamp("2021-06-15 08:30:00-00:00") == utc);
  CHECK(ParseTimestamp("2021-06-15 10:30:00+02") == utc);
  CHECK(ParseTimestamp("2021-06-15 10:30:00+02:00") == utc);
  CHECK(ParseTimestamp("2021-06-15 10:30:00+0200") == utc);
  CHECK(ParseTimestamp("2021-06-15 03:30:00-05") == utc);
  CHECK(ParseTimestamp("2021-06-15 03:30:00-05:00") == utc);
  CHECK(ParseTimestamp("2021-06-15 03:30:00-0500") == utc);
  // PostgreSQL prints timestamptz with a space-less zone, some drivers with a space.
  CHECK(ParseTimestamp("2021-06-15 10:30:00 +02:00") == utc);
}

TEST_CASE("parses a timestamp with a +05:30 offset into UTC", "[values][parse][zone]") {
  CHECK(ParseTimestamp("2021-06-15 14:00:00+05:30") == Micros({2021, 6, 15}, 8, 30, 0));
  CHECK(ParseTimestamp("2021-06-15T14:00:00.123456+0530") ==
        Micros({2021, 6, 15}, 8, 30, 0, 123456));
  CHECK(ParseTimestamp("2021-06-15 03:00:00-05:30") == Micros({2021, 6, 15}, 8, 30, 0));
}

TEST_CASE("a zone offset can move a timestamp across midnight, a month and a year",
          "[values][parse][zone]") {
  CHECK(ParseTimestamp("2021-01-01 01:00:00+02:00") == Micros({2020, 12, 31}, 23, 0, 0));
  CHECK(ParseTimestamp("2020-02-28 23:00:00-02:00") == Micros({2020, 2, 29}, 1, 0, 0));
  CHECK(ParseTimestamp("1970-01-01 00:00:00.5+01") == -3600 * kMicrosPerSecond + 500000);
  CHECK(ParseTimestamp("2021-06-15 23:30:00-14:00") == Micros({2021, 6, 16}, 13, 30, 0));
}

TEST_CASE("ParseTimestamp refuses malformed text and zones", "[values][parse][zone]") {
  CHECK_FALSE(ParseTimestamp(""));
  CHECK_FALSE(ParseTimestamp("2021-06-1"));
  CHECK_FALSE(ParseTimestamp("2021-02-30 00:00:00"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 "));
  CHECK_FALSE(ParseTimestamp("2021-06-15T"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 25:00:00"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 08:30:00X"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 08:30:00ZZ"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 08:30:00Z+01"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 08:30:00+"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 08:30:00+5"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 08:30:00+05:3"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 08:30:00+05:30:00"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 08:30:00+05:60"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 08:30:00+16"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 08:30:00+ab"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 08:30:00  +01"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 08:30:00 "));
}

TEST_CASE("a zone with a colon but no minutes is refused", "[values][parse][zone]") {
  CHECK_FALSE(ParseTimestamp("2021-06-15 08:30:00+05:"));
  CHECK_FALSE(ParseTimestamp("2021-06-15 08:30:00-05:"));
}

TEST_CASE("every formatted timestamp parses back to the same microsecond", "[values][parse]") {
  const int64_t first = Micros({1, 1, 1}, 0, 0, 0);
  const int64_t last = Micros({9999, 12, 31}, 23, 59, 59, 999999);
  // A step that is not a multiple of a second, a minute or a day visits many clock values.
  const int64_t step = 7'777'777'777'777;
  for (int64_t micros = first; micros <= last; micros += step) {
    auto parsed = ParseTimestamp(FormatTimestamp(micros));
    REQUIRE(parsed);
    REQUIRE(*parsed == micros);
  }
  for (int64_t micros : {int64_t{-1}, int64_t{-999999}, int64_t{-1000001}, last}) {
    CHECK(ParseTimestamp(FormatTimestamp(micros)) == micros);
  }
}

// --- decimals ------------------------------------------------------------------------------

TEST_CASE("CanonicalDecimal removes '+', leading zeros and negative zero", "[values][decimal]") {
  CHECK(Canonical("0") == "0");
  CHECK(Canonical("42") == "42");
  CHECK(Canonical("-42") == "-42");
  CHECK(Canonical("+42") == "42");
  CHECK(Canonical("007") == "7");
  CHECK(Canonical("-007.50") == "-7.50");
  CHECK(Canonical("000") == "0");
  CHECK(Canonical("-0") == "0");
  CHECK(Canonical("+0") == "0");
  CHECK(Canonical("-0.00") == "0.00");
  CHECK(Canonical("-000.000") == "0.000");
  CHECK(Canonical("0.000001") == "0.000001");
  CHECK(Canonical("-0.000001") == "-0.000001");
}

TEST_CASE("CanonicalDecimal keeps trailing fractional zeros because they carry scale",
          "[values][decimal]") {
  CHECK(Canonical("1.50") == "1.50");
  CHECK(Canonical("1.000") == "1.000");
  CHECK(Canonical("0.0") == "0.0");
}

TEST_CASE("CanonicalDecimal completes a bare point on either side", "[values][decimal]") {
  CHECK(Canonical(".5") == "0.5");
  CHECK(Canonical("-.5") == "-0.5");
  CHECK(Canonical("+.25") == "0.25");
  CHECK(Canonical("5.") == "5");
  CHECK(Canonical("-5.") == "-5");
}

TEST_CASE("CanonicalDecimal expands exponent notation exactly", "[values][decimal]") {
  CHECK(Canonical("1.5E+3") == "1500");
  CHECK(Canonical("1.5e3") == "1500");
  CHECK(Canonical("1e-7") == "0.0000001");
  CHECK(Canonical("-1.5e-3") == "-0.0015");
  CHECK(Canonical("1.23456789012346e+19") == "12345678901234600000");
  CHECK(Canonical("12e-1") == "1.2");
  CHECK(Canonical("1E0") == "1");
  CHECK(Canonical("1.50e1") == "15");
  CHECK(Canonical("0e0") == "0");
  CHECK(Canonical("-0e5") == "0");
  CHECK(Canonical("-0.0e-3") == "0");
  CHECK(Canonical("123.456e-10") == "0.0000000123456");
  CHECK(Canonical("9.999999999999999e22") == "99999999999999990000000");
}

TEST_CASE("CanonicalDecimal refuses text that is not a finite decimal", "[values][decimal]") {
  for (const char* bad :
       {"",    "-",        "+",         ".",   "-.",        "+-1", "--1",   "1-",  "1.2.3",   " 1",
        "1 ",  "1,5",      "0x10",      "1e",  "1e+",       "1e-", "e5",    ".e5", "1.5E+3x", "NaN",
        "nan", "Infinity", "-Infinity", "inf", "1e1000000", "abc", "1_000", "１"}) {
    CAPTURE(bad);
    CHECK_FALSE(CanonicalDecimal(bad));
  }
}

TEST_CASE("DecimalShape counts integer, fraction and significant fraction digits",
          "[values][decimal]") {
  DecimalShape shape;
  REQUIRE(CanonicalDecimal("-00123.4500", &shape) == std::string("-123.4500"));
  CHECK(shape.negative);
  CHECK(shape.integer_digits == 3);
  CHECK(shape.fraction_digits == 4);
  CHECK(shape.significant_fraction == 2);

  REQUIRE(CanonicalDecimal("0.5", &shape) == std::string("0.5"));
  CHECK_FALSE(shape.negative);
  CHECK(shape.integer_digits == 0);
  CHECK(shape.fraction_digits == 1);
  CHECK(shape.significant_fraction == 1);

  REQUIRE(CanonicalDecimal("-0.00", &shape) == std::string("0.00"));
  CHECK_FALSE(shape.negative);
  CHECK(shape.integer_digits == 0);
  CHECK(shape.fraction_digits == 2);
  CHECK(shape.significant_fraction == 0);

  REQUIRE(CanonicalDecimal("100", &shape) == std::string("100"));
  CHECK(shape.integer_digits == 3);
  CHECK(shape.fraction_digits == 0);
  CHECK(shape.significant_fraction == 0);

  REQUIRE(CanonicalDecimal("1e-7", &shape) == std::string("0.0000001"));
  CHECK(shape.integer_digits == 0);
  CHECK(shape.fraction_digits == 7);
  CHECK(shape.significant_fraction == 7);

  REQUIRE(CanonicalDecimal("1.5E+3", &shape) == std::string("1500"));
  CHECK(shape.integer_digits == 4);
  CHECK(shape.fraction_digits == 0);
}

TEST_CASE("a canonical decimal is its own canonical form", "[values][decimal]") {
  for (const char* text : {"0", "-1", "1.50", "0.001", "-0.001", "123456789012345678901234567890.5",
                           "0.00", "1500", "-7.50"}) {
    CAPTURE(text);
    auto once = CanonicalDecimal(text);
    REQUIRE(once);
    CHECK(CanonicalDecimal(*once) == once);
  }
}

// --- UUIDs ---------------------------------------------------------------------------------

TEST_CASE("UUIDs parse in either case, with or without hyphens and braces", "[values][uuid]") {
  const unsigned char expected[16] = {0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3,
                                      0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00};
  for (const char* text :
       {"123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000",
        "123e4567e89b12d3a456426614174000", "{123e4567-e89b-12d3-a456-426614174000}",
        "{123E4567E89B12D3A456426614174000}", "123e4567-E89B-12d3-A456-426614174000"}) {
    CAPTURE(text);
    unsigned char bytes[16] = {};
    REQUIRE(ParseUuid(text, bytes));
    CHECK(std::memcmp(bytes, expected, 16) == 0);
    CHECK(FormatUuid(bytes) == "123e4567-e89b-12d3-a456-426614174000");
  }
}

TEST_CASE("UUIDs with misplaced hyphens, wrong length or stray characters are refused",
          "[values][uuid]") {
  for (const char* text : {
           "",
           "123e4567-e89b-12d3-a456-42661417400",     // one digit short
           "123e4567-e89b-12d3-a456-4266141740000",   // one digit long
           "123e4567e-89b-12d3-a456-426614174000",    // hyphen one place late
           "123e456-7e89b-12d3-a456-426614174000",    // hyphen one place early
           "123e4567-e89b-12d3-a456-42661417400g",    // not hex
           "123e4567-e89b-12d3-a456-4266-4174000",    // hyphen in place of a digit
           "{123e4567-e89b-12d3-a456-426614174000",   // unbalanced brace
           "123e4567-e89b-12d3-a456-426614174000}",   // unbalanced brace
           "(123e4567-e89b-12d3-a456-426614174000)",  // not braces
           " 123e4567e89b12d3a456426614174000",
           "123e4567e89b12d3a45642661417400",
           "123e4567-e89b12d3a456426614174000",  // partly hyphenated
           "{}",
       }) {
    CAPTURE(text);
    unsigned char bytes[16];
    CHECK_FALSE(ParseUuid(text, bytes));
  }
}

TEST_CASE("FormatUuid prints sixteen bytes as lower-case 8-4-4-4-12", "[values][uuid]") {
  unsigned char zero[16] = {};
  CHECK(FormatUuid(zero) == "00000000-0000-0000-0000-000000000000");
  unsigned char ones[16];
  std::memset(ones, 0xff, sizeof ones);
  CHECK(FormatUuid(ones) == "ffffffff-ffff-ffff-ffff-ffffffffffff");
  char buf[36];
  CHECK(FormatUuidTo(ones, buf) == 36);
  CHECK(std::string(buf, 36) == FormatUuid(ones));
}

// --- UTF-8 ---------------------------------------------------------------------------------

TEST_CASE("Utf8Length counts code points, not bytes", "[values][utf8]") {
  CHECK(Utf8Length("") == 0u);
  CHECK(Utf8Length("hello") == 5u);
  CHECK(Utf8Length(std::string_view("a\0b", 3)) == 3u);
  CHECK(Utf8Length("h\xC3\xA9llo") == 5u);      // é: 2 bytes
  CHECK(Utf8Length("\xE2\x82\xAC") == 1u);      // €: 3 bytes
  CHECK(Utf8Length("\xF0\x9F\x98\x80") == 1u);  // 😀: 4 bytes
  CHECK(Utf8Length("a\xF0\x9F\x98\x80z") == 3u);
  CHECK(Utf8Length("\xC2\x80") == 1u);          // U+0080, smallest 2-byte
  CHECK(Utf8Length("\xDF\xBF") == 1u);          // U+07FF
  CHECK(Utf8Length("\xE0\xA0\x80") == 1u);      // U+0800, smallest 3-byte
  CHECK(Utf8Length("\xED\x9F\xBF") == 1u);      // U+D7FF, just below the surrogates
  CHECK(Utf8Length("\xEE\x80\x80") == 1u);      // U+E000, just above them
  CHECK(Utf8Length("\xEF\xBF\xBF") == 1u);      // U+FFFF
  CHECK(Utf8Length("\xF0\x90\x80\x80") == 1u);  // U+10000, smallest 4-byte
  CHECK(Utf8Length("\xF4\x8F\xBF\xBF") == 1u);  // U+10FFFF, the last code point
}

TEST_CASE("Utf8Length refuses truncated and stray bytes", "[values][utf8]") {
  CHECK_FALSE(Utf8Length("\x80"));  // continuation byte alone
  CHECK_FALSE(Utf8Length("abc\xBF"));
  CHECK_FALSE(Utf8Length("\xC3"));          // truncated 2-byte
  CHECK_FALSE(Utf8Length("\xE2\x82"));      // truncated 3-byte
  CHECK_FALSE(Utf8Length("\xF0\x9F\x98"));  // truncated 4-byte
  CHECK_FALSE(
      Utf8Length("\xC3"
                 "a"));  // lead byte then ASCII
  CHECK_FALSE(
      Utf8Length("\xE2\x82"
                 "a"));
  CHECK_FALSE(Utf8Length("\xFF"));
  CHECK_FALSE(Utf8Length("\xFE"));
  CHECK_FALSE(Utf8Length("\xF8\x88\x80\x80\x80"));  // old 5-byte form
  CHECK_FALSE(Utf8Length("\xF5\x80\x80\x80"));      // lead byte beyond U+10FFFF
  CHECK_FALSE(Utf8Length("caf\xE9"));               // Latin-1 é
}

TEST_CASE("Utf8Length refuses overlong encodings", "[values][utf8]") {
  CHECK_FALSE(Utf8Length("\xC0\x80"));          // NUL as 2 bytes (Java's "modified UTF-8")
  CHECK_FALSE(Utf8Length("\xC1\xBF"));          // U+007F as 2 bytes
  CHECK_FALSE(Utf8Length("\xE0\x80\x80"));      // NUL as 3 bytes
  CHECK_FALSE(Utf8Length("\xE0\x9F\xBF"));      // U+07FF as 3 bytes
  CHECK_FALSE(Utf8Length("\xF0\x80\x80\x80"));  // NUL as 4 bytes
  CHECK_FALSE(Utf8Length("\xF0\x8F\xBF\xBF"));  // U+FFFF as 4 bytes
}

TEST_CASE("Utf8Length refuses surrogates and code points beyond U+10FFFF", "[values][utf8]") {
  CHECK_FALSE(Utf8Length("\xED\xA0\x80"));              // U+D800
  CHECK_FALSE(Utf8Length("\xED\xBF\xBF"));              // U+DFFF
  CHECK_FALSE(Utf8Length("\xED\xA0\xBD\xED\xB8\x80"));  // CESU-8 pair for U+1F600
  CHECK_FALSE(Utf8Length("\xF4\x90\x80\x80"));          // U+110000
}

// --- doubles -------------------------------------------------------------------------------

TEST_CASE("FormatDouble prints the shortest text that reads back as the same double",
          "[values][double]") {
  CHECK(FormatDouble(0.0) == "0");
  CHECK(FormatDouble(1.0) == "1");
  CHECK(FormatDouble(0.1) == "0.1");
  CHECK(FormatDouble(-2.5) == "-2.5");
  CHECK(FormatDouble(0.1 + 0.2) == "0.30000000000000004");
  CHECK(FormatDouble(double(float(0.1f))) == "0.10000000149011612");
  for (double v : {0.1, 1.0 / 3.0, 123456.789, 1e-300, 1e300, 5e-324, 2.2250738585072014e-308,
                   std::numeric_limits<double>::max(), -std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::denorm_min(), 9007199254740993.0, 1e21, 1e22, -1e-7,
                   3.4028234663852886e38}) {
    CAPTURE(v);
    std::string text = FormatDouble(v);
    CHECK(ParseDouble(text) == v);
    // Shortest: the nearest double-string with one significant digit fewer reads back as a
    // different double.
    int digits = SignificantDigits(text);
    if (digits > 1) {
      char shorter[400];
      int n = std::snprintf(shorter, sizeof shorter, "%.*g", digits - 1, v);
      double back = 0;
      auto r = std::from_chars(shorter, shorter + n, back);
      // Out of range (DBL_MAX rounded up) also counts as not reading back.
      CHECK((r.ec != std::errc() || back != v));
    }
  }
}

TEST_CASE("FormatDouble keeps negative zero and names NaN and the infinities", "[values][double]") {
  CHECK(FormatDouble(-0.0) == "-0");
  CHECK(std::signbit(ParseDouble(FormatDouble(-0.0))));
  CHECK(FormatDouble(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(FormatDouble(-std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(FormatDouble(std::numeric_limits<double>::infinity()) == "Infinity");
  CHECK(FormatDouble(-std::numeric_limits<double>::infinity()) == "-Infinity");
}

TEST_CASE("FormatDouble output of a finite double is a decimal CanonicalDecimal accepts",
          "[values][double][decimal]") {
  CHECK(Canonical(FormatDouble(1e21)) == "1000000000000000000000");
  CHECK(Canonical(FormatDouble(1e-7)) == "0.0000001");
  CHECK(Canonical(FormatDouble(-0.0)) == "0");
  CHECK(Canonical(FormatDouble(1234.5)) == "1234.5");
}
