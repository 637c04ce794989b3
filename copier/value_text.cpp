#include "copier/value_text.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "copier/convert.hpp"
#include "copier/secrets.hpp"
#include "copier/values.hpp"

namespace ferry {

namespace {

size_t Digits(uint64_t v) {
  size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

std::string HexBytes(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool ParseUInt64(std::string_view s, uint64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// One reader of canonical text per storage (ParserFor).

bool ReadBool(std::string_view text, ColumnVector& out) {
  if (text == "1" || text == "t" || text == "true" || text == "TRUE" || text == "True") {
    out.AppendInt(1);
  } else if (text == "0" || text == "f" || text == "false" || text == "FALSE" || text == "False") {
    out.AppendInt(0);
  } else {
    return false;
  }
  return true;
}

bool ReadInt64(std::string_view text, ColumnVector& out) {
  int64_t v;
  if (ParseInt64(text, &v)) {
    out.AppendInt(v);
    return true;
  }
  DecimalShape shape;
  auto d = CanonicalDecimal(text, &shape);
  if (!d || shape.significant_fraction > 0) return false;
  std::string integral = DecimalValue(*d);
  if (!ParseInt64(integral, &v)) return false;
  out.AppendInt(v);
  return true;
}

bool ReadUInt64(std::string_view text, ColumnVector& out) {
  uint64_t v;
  if (!ParseUInt64(text, &v)) {
    DecimalShape shape;
    auto d = CanonicalDecimal(text, &shape);
    if (!d || shape.significant_fraction > 0 || !ParseUInt64(DecimalValue(*d), &v)) {
      return false;
    }
  }
  out.AppendUInt(v);
  return true;
}

bool ReadFloat64(std::string_view text, ColumnVector& out) {
  if (text == "NaN") {
    out.AppendFloat(std::numeric_limits<double>::quiet_NaN());
    return true;
  }
  if (text == "Infinity" || text == "inf" || text == "Inf") {
    out.AppendFloat(std::numeric_limits<double>::infinity());
    return true;
  }
  if (text == "-Infinity" || text == "-inf" || text == "-Inf") {
    out.AppendFloat(-std::numeric_limits<double>::infinity());
    return true;
  }
  double v;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return false;
  out.AppendFloat(v);
  return true;
}

bool ReadDecimal(std::string_view text, ColumnVector& out) {
  auto d = CanonicalDecimal(text);
  if (!d) return false;
  out.AppendBytes(*d);
  return true;
}

bool ReadBytes(std::string_view text, ColumnVector& out) {
  out.AppendBytes(text);
  return true;
}

bool ReadDate(std::string_view text, ColumnVector& out) {
  auto v = ParseDate(text);
  if (!v) {
    auto ts = ParseTimestamp(text);  // "2020-01-01 00:00:00" is a date at midnight
    if (!ts || TimeOfDay(*ts) != 0) return false;
    v = DayOf(*ts);
  }
  out.AppendInt(*v);
  return true;
}

bool ReadTime(std::string_view text, ColumnVector& out) {
  auto v = ParseTime(text);
  if (!v) return false;
  out.AppendInt(*v);
  return true;
}

bool ReadTimestamp(std::string_view text, ColumnVector& out) {
  auto v = ParseTimestamp(text);
  if (!v) return false;
  out.AppendInt(*v);
  return true;
}

bool ReadUuid(std::string_view text, ColumnVector& out) {
  unsigned char bytes[16];
  if (!ParseUuid(text, bytes)) return false;
  out.AppendBytes(std::string_view(reinterpret_cast<char*>(bytes), 16));
  return true;
}

// One printer per storage (FormatterFor).

std::string PrintBool(const ColumnVector& c, size_t row) {
  return c.Int(row) ? "true" : "false";
}
std::string PrintInt64(const ColumnVector& c, size_t row) {
  return std::to_string(c.Int(row));
}
std::string PrintUInt64(const ColumnVector& c, size_t row) {
  return std::to_string(c.UInt(row));
}
std::string PrintFloat64(const ColumnVector& c, size_t row) {
  return FormatDouble(c.Float(row));
}
std::string PrintText(const ColumnVector& c, size_t row) {
  return std::string(c.Bytes(row));
}
std::string PrintBytes(const ColumnVector& c, size_t row) {
  return HexBytes(c.Bytes(row));
}
std::string PrintDate(const ColumnVector& c, size_t row) {
  return FormatDate(int32_t(c.Int(row)));
}
std::string PrintTime(const ColumnVector& c, size_t row) {
  return FormatTime(c.Int(row));
}
std::string PrintTimestamp(const ColumnVector& c, size_t row) {
  return FormatTimestamp(c.Int(row));
}
std::string PrintUuid(const ColumnVector& c, size_t row) {
  return FormatUuid(reinterpret_cast<const unsigned char*>(c.Bytes(row).data()));
}

}  // namespace

TextParser ParserFor(Storage storage) {
  switch (storage) {
    case Storage::kBool:
      return ReadBool;
    case Storage::kInt64:
      return ReadInt64;
    case Storage::kUInt64:
      return ReadUInt64;
    case Storage::kFloat64:
      return ReadFloat64;
    case Storage::kDecimal:
      return ReadDecimal;
    case Storage::kText:
    case Storage::kBytes:
      return ReadBytes;
    case Storage::kDate:
      return ReadDate;
    case Storage::kTime:
      return ReadTime;
    case Storage::kTimestamp:
      return ReadTimestamp;
    case Storage::kUuid:
      return ReadUuid;
  }
  return [](std::string_view, ColumnVector&) { return false; };
}

TextFormatter FormatterFor(Storage storage) {
  switch (storage) {
    case Storage::kBool:
      return PrintBool;
    case Storage::kInt64:
      return PrintInt64;
    case Storage::kUInt64:
      return PrintUInt64;
    case Storage::kFloat64:
      return PrintFloat64;
    case Storage::kDecimal:
    case Storage::kText:
      return PrintText;
    case Storage::kBytes:
      return PrintBytes;
    case Storage::kDate:
      return PrintDate;
    case Storage::kTime:
      return PrintTime;
    case Storage::kTimestamp:
      return PrintTimestamp;
    case Storage::kUuid:
      return PrintUuid;
  }
  return [](const ColumnVector&, size_t) { return std::string(); };
}

std::string DecimalValue(std::string_view text) {
  auto canonical = CanonicalDecimal(text);
  if (!canonical) return std::string(text);
  std::string s = *canonical;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

std::string ShownInteger(int64_t v) {
  if (ShowValues()) return std::to_string(v);
  const uint64_t magnitude = v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v);
  return fmt::format("a{} integer of {} digits", v < 0 ? " negative" : "n", Digits(magnitude));
}

std::string ShownUnsigned(uint64_t v) {
  return ShowValues() ? std::to_string(v) : fmt::format("an integer of {} digits", Digits(v));
}

std::string ShownDecimal(std::string_view text) {
  if (ShowValues()) return std::string(text);
  DecimalShape shape;
  if (!CanonicalDecimal(text, &shape)) return "a decimal number";
  return fmt::format("a{} numeric with {} integer digit{} and {} after the point",
                     shape.negative ? " negative" : "", shape.integer_digits,
                     shape.integer_digits == 1 ? "" : "s", shape.significant_fraction);
}

std::string ShownDouble(double v) {
  if (ShowValues() || !std::isfinite(v)) return FormatDouble(v);
  return "a floating-point value";
}

std::string ShownTemporal(const std::string& formatted, const char* kind) {
  return ShowValues() ? formatted : fmt::format("a {}", kind);
}

bool ParseValue(std::string_view text, ColumnVector& out) {
  return ParserFor(out.storage())(text, out);
}

std::string FormatValue(const ColumnVector& c, size_t row) {
  if (c.IsNull(row)) return "NULL";
  return FormatterFor(c.storage())(c, row);
}

}  // namespace ferry
