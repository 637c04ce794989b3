#include "copier/convert.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "copier/error.hpp"
#include "copier/secrets.hpp"
#include "copier/values.hpp"

namespace ferry {

namespace {

// A refused value in a message: the value itself with --show-values, else its kind and size
// (copier/secrets.hpp: logs travel where the data may not).
size_t Digits(uint64_t v) {
  size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
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

std::string HexBytes(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// Canonical decimal text without trailing fractional zeros, for comparing values.
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

bool ParseInt64(std::string_view s, int64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool ParseUInt64(std::string_view s, uint64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Reads canonical text into `out`'s storage. False when the text is not a value of it.
bool ParseInto(std::string_view text, ColumnVector& out) {
  switch (out.storage()) {
    case Storage::kBool: {
      if (text == "1" || text == "t" || text == "true" || text == "TRUE" || text == "True") {
        out.AppendInt(1);
      } else if (text == "0" || text == "f" || text == "false" || text == "FALSE" ||
                 text == "False") {
        out.AppendInt(0);
      } else {
        return false;
      }
      return true;
    }
    case Storage::kInt64: {
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
    case Storage::kUInt64: {
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
    case Storage::kFloat64: {
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
    case Storage::kDecimal: {
      auto d = CanonicalDecimal(text);
      if (!d) return false;
      out.AppendBytes(*d);
      return true;
    }
    case Storage::kText:
    case Storage::kBytes:
      out.AppendBytes(text);
      return true;
    case Storage::kDate: {
      auto v = ParseDate(text);
      if (!v) {
        auto ts = ParseTimestamp(text);  // "2020-01-01 00:00:00" is a date at midnight
        if (!ts || TimeOfDay(*ts) != 0) return false;
        v = DayOf(*ts);
      }
      out.AppendInt(*v);
      return true;
    }
    case Storage::kTime: {
      auto v = ParseTime(text);
      if (!v) return false;
      out.AppendInt(*v);
      return true;
    }
    case Storage::kTimestamp: {
      auto v = ParseTimestamp(text);
      if (!v) return false;
      out.AppendInt(*v);
      return true;
    }
    case Storage::kUuid: {
      unsigned char bytes[16];
      if (!ParseUuid(text, bytes)) return false;
      out.AppendBytes(std::string_view(reinterpret_cast<char*>(bytes), 16));
      return true;
    }
  }
  return false;
}

// Converts one value between storages whose text forms do not line up.
bool ConvertDirect(const ColumnVector& in, size_t row, ColumnVector& out, std::string* reason) {
  Storage from = in.storage();
  Storage to = out.storage();
  if (from == Storage::kBool && (to == Storage::kInt64 || to == Storage::kUInt64)) {
    out.AppendInt(in.Int(row));
    return true;
  }
  if ((from == Storage::kInt64 || from == Storage::kUInt64) && to == Storage::kBool) {
    if (in.Int(row) != 0 && in.Int(row) != 1) {
      *reason = fmt::format("{} is not a boolean (0 or 1)",
                            ShowValues() ? FormatValue(in, row) : "an integer other than 0 and 1");
      return false;
    }
    out.AppendInt(in.Int(row));
    return true;
  }
  if (from == Storage::kUInt64 && to == Storage::kFloat64) {
    double d = double(in.UInt(row));
    if (d >= 18446744073709551616.0 || uint64_t(d) != in.UInt(row)) {
      *reason = fmt::format("{} has no exact double", ShownUnsigned(in.UInt(row)));
      return false;
    }
    out.AppendFloat(d);
    return true;
  }
  if (from == Storage::kInt64 && to == Storage::kFloat64) {
    double d = double(in.Int(row));
    if (d >= 9223372036854775808.0 || int64_t(d) != in.Int(row)) {
      *reason = fmt::format("{} has no exact double", ShownInteger(in.Int(row)));
      return false;
    }
    out.AppendFloat(d);
    return true;
  }
  if (from == Storage::kDecimal && to == Storage::kFloat64) {
    std::string_view text = in.Bytes(row);
    double d;
    auto r = std::from_chars(text.data(), text.data() + text.size(), d);
    if (r.ec != std::errc() || DecimalValue(FormatDouble(d)) != DecimalValue(text)) {
      *reason = fmt::format("{} has no exact double", ShownDecimal(text));
      return false;
    }
    out.AppendFloat(d);
    return true;
  }
  if (from == Storage::kFloat64 && to == Storage::kDecimal) {
    double d = in.Float(row);
    if (!std::isfinite(d)) {
      *reason = fmt::format("{} is not a decimal number", FormatDouble(d));
      return false;
    }
    out.AppendBytes(*CanonicalDecimal(FormatDouble(d)));
    return true;
  }
  if (from == Storage::kTimestamp && to == Storage::kDate) {
    if (TimeOfDay(in.Int(row)) != 0) {
      *reason = fmt::format("{} has a time of day that a date column would drop",
                            ShownTemporal(FormatTimestamp(in.Int(row)), "timestamp"));
      return false;
    }
    out.AppendInt(DayOf(in.Int(row)));
    return true;
  }
  if (from == Storage::kDate && to == Storage::kTimestamp) {
    out.AppendInt(in.Int(row) * kMicrosPerDay);
    return true;
  }
  if (from == Storage::kUuid && to == Storage::kBytes) {
    out.AppendBytes(in.Bytes(row));
    return true;
  }
  if (from == Storage::kBytes && to == Storage::kUuid) {
    if (in.Bytes(row).size() != 16) {
      *reason = fmt::format("{} bytes are not a UUID", in.Bytes(row).size());
      return false;
    }
    out.AppendBytes(in.Bytes(row));
    return true;
  }
  std::string text = FormatValue(in, row);
  if (ParseInto(text, out)) return true;
  *reason = fmt::format("{} is not a valid {}", ShownText(text), [&] {
    switch (to) {
      case Storage::kBool:
        return "boolean";
      case Storage::kInt64:
      case Storage::kUInt64:
        return "integer";
      case Storage::kFloat64:
        return "floating-point number";
      case Storage::kDecimal:
        return "decimal number";
      case Storage::kDate:
        return "date";
      case Storage::kTime:
        return "time";
      case Storage::kTimestamp:
        return "timestamp";
      case Storage::kUuid:
        return "UUID";
      default:
        return "value";
    }
  }());
  return false;
}

int64_t PowerOfTen(int n) {
  int64_t p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// A long value moves between text and bytes storage as it is (both are the value's bytes);
// any other conversion would need the whole value in memory.
bool CarryLong(const ColumnVector& in, size_t row, ColumnVector& out, std::string* reason) {
  auto bytes = [](Storage s) { return s == Storage::kText || s == Storage::kBytes; };
  if (bytes(in.storage()) && bytes(out.storage())) {
    out.AppendLong(in.SharedLong(row));
    return true;
  }
  *reason = fmt::format("a value of {} bytes is too long for ferry to convert to this column's type",
                        in.ValueSize(row));
  return false;
}

// Unfit for a long value (copier/batch.hpp): its bytes are read in pieces, once, only for the
// checks that need them.
std::string UnfitLong(const LongValue& value, const ColumnType& type, const ValueLimits& limits) {
  const int64_t size = int64_t(value.size());
  const bool text = type.kind == TypeKind::kChar || type.kind == TypeKind::kVarchar ||
                    type.kind == TypeKind::kText || type.kind == TypeKind::kJson;
  if (!text) {
    if ((type.length >= 0 && size > type.length) || (type.max_bytes >= 0 && size > type.max_bytes)) {
      return fmt::format("{} bytes do not fit {}", size, type.native);
    }
    return "";
  }
  if (type.max_bytes >= 0 && size > type.max_bytes) {
    return fmt::format("{} bytes do not fit {}", size, type.native);
  }
  if (limits.nul_in_text && !limits.requires_utf8 && type.length < 0) return "";
  Utf8Counter counter;
  std::vector<char> piece(std::min<size_t>(value.size(), 4u << 20));
  for (size_t at = 0; at < value.size(); at += piece.size()) {
    const size_t n = std::min(piece.size(), value.size() - at);
    value.Read(at, piece.data(), n);
    counter.Add(std::string_view(piece.data(), n));
  }
  if (!limits.nul_in_text && counter.has_nul()) {
    return "text holds a NUL character, which the destination cannot store";
  }
  std::optional<size_t> length = counter.Finish();
  if (!length && limits.requires_utf8) return "text is not valid UTF-8";
  // A value this long is beyond any char(n) whose trailing blanks could be dropped.
  if (type.length >= 0 && int64_t(length.value_or(value.size())) > type.length) {
    return fmt::format("{} characters do not fit {}", length.value_or(value.size()), type.native);
  }
  return "";
}

// Why the destination cannot hold out's value at `row`, or "" when it can.
std::string Unfit(const ColumnVector& out, size_t row, const ColumnType& type,
                  const ValueLimits& limits) {
  if (const LongValue* value = out.Long(row)) return UnfitLong(*value, type, limits);
  switch (type.kind) {
    case TypeKind::kInteger: {
      if (out.storage() == Storage::kUInt64) {
        if (out.UInt(row) > IntegerMax(type)) {
          return fmt::format("{} is out of range for {}", ShownUnsigned(out.UInt(row)),
                             type.native);
        }
        return "";
      }
      int64_t v = out.Int(row);
      if (v < IntegerMin(type) || (v > 0 && uint64_t(v) > IntegerMax(type))) {
        return fmt::format("{} is out of range for {}", ShownInteger(v), type.native);
      }
      return "";
    }
    case TypeKind::kDecimal: {
      DecimalShape shape;
      std::string_view text = out.Bytes(row);
      CanonicalDecimal(text, &shape);
      if (type.precision > 0) {
        if (shape.significant_fraction > type.scale) {
          return fmt::format(
              "{} has more than {} digits after the point of {} (it would be "
              "rounded)",
              ShownDecimal(text), type.scale, type.native);
        }
        if (shape.integer_digits > type.precision - type.scale) {
          return fmt::format("{} is out of range for {}", ShownDecimal(text), type.native);
        }
      } else if (shape.integer_digits + shape.fraction_digits > limits.max_decimal_precision) {
        return fmt::format("{} has more digits than the destination's {}", ShownDecimal(text),
                           limits.max_decimal_precision);
      }
      return "";
    }
    case TypeKind::kReal:
    case TypeKind::kDouble: {
      double v = out.Float(row);
      if (std::isnan(v) && !limits.float_nan) return "NaN cannot be stored in the destination";
      if (std::isinf(v) && !limits.float_infinity) {
        return fmt::format("{} cannot be stored in the destination", FormatDouble(v));
      }
      if (v == 0 && std::signbit(v) && !limits.float_negative_zero) {
        return "-0 cannot be stored in the destination (it would become 0)";
      }
      if (type.kind == TypeKind::kReal && std::isfinite(v) && double(float(v)) != v) {
        return fmt::format("{} has no exact 4-byte float in {} (it would be rounded)",
                           ShownDouble(v), type.native);
      }
      return "";
    }
    case TypeKind::kChar:
    case TypeKind::kVarchar:
    case TypeKind::kText:
    case TypeKind::kJson: {
      std::string_view text = out.Bytes(row);
      if (!limits.nul_in_text && text.find('\0') != std::string_view::npos) {
        return "text holds a NUL character, which the destination cannot store";
      }
      if (type.max_bytes >= 0 && int64_t(text.size()) > type.max_bytes) {
        return fmt::format("{} bytes do not fit {} (at most {} bytes)", text.size(), type.native,
                           type.max_bytes);
      }
      if (limits.requires_utf8 || type.length >= 0) {
        auto length = Utf8Length(text);
        if (!length) {
          if (limits.requires_utf8) return "text is not valid UTF-8";
          length = text.size();
        }
        if (type.length >= 0 && int64_t(*length) > type.length) {
          // char(n) may drop trailing blanks beyond n; anything else would be cut.
          std::string_view trimmed = text;
          while (!trimmed.empty() && trimmed.back() == ' ') trimmed.remove_suffix(1);
          if (type.kind != TypeKind::kChar ||
              int64_t(Utf8Length(trimmed).value_or(trimmed.size())) > type.length) {
            return fmt::format("{} characters do not fit {}", *length, type.native);
          }
        }
      }
      return "";
    }
    case TypeKind::kBinary:
    case TypeKind::kVarbinary:
    case TypeKind::kBlob: {
      int64_t size = int64_t(out.Bytes(row).size());
      if ((type.length >= 0 && size > type.length) ||
          (type.max_bytes >= 0 && size > type.max_bytes)) {
        return fmt::format("{} bytes do not fit {}", size, type.native);
      }
      return "";
    }
    case TypeKind::kDate: {
      int year = CivilFromDays(int32_t(out.Int(row))).year;
      if (year < limits.min_year || year > limits.max_year) {
        return fmt::format("{} is outside the destination's years {}..{}",
                           ShownTemporal(FormatDate(int32_t(out.Int(row))), "date"),
                           limits.min_year, limits.max_year);
      }
      return "";
    }
    case TypeKind::kTime:
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz: {
      int64_t v = out.Int(row);
      int digits = std::clamp(type.precision, 0, 6);
      if (digits < 6 &&
          (type.kind == TypeKind::kTime ? v : TimeOfDay(v)) % PowerOfTen(6 - digits)) {
        return fmt::format("{} has more fractional digits than {} holds (it would be rounded)",
                           type.kind == TypeKind::kTime
                               ? ShownTemporal(FormatTime(v), "time")
                               : ShownTemporal(FormatTimestamp(v), "timestamp"),
                           type.native);
      }
      if (type.kind != TypeKind::kTime) {
        int year = CivilFromDays(DayOf(v)).year;
        if (year < limits.min_year || year > limits.max_year) {
          return fmt::format("{} is outside the destination's years {}..{}",
                             ShownTemporal(FormatTimestamp(v), "timestamp"), limits.min_year,
                             limits.max_year);
        }
      }
      return "";
    }
    case TypeKind::kBoolean:
    case TypeKind::kUuid:
    case TypeKind::kUnsupported:
      return "";
  }
  return "";
}

// True when every value a `from` column can hold fits a `to` column unchanged, so no value
// needs looking at. Anything this does not prove is checked value by value.
bool AlwaysFits(const ColumnType& from, const ColumnType& to, const ValueLimits& dest,
                const std::optional<ValueLimits>& source) {
  if (StorageOf(from) != StorageOf(to) || !source) return false;
  auto text_safe = [&] {
    bool utf8 = !dest.requires_utf8 || source->requires_utf8;
    bool nul = dest.nul_in_text || !source->nul_in_text;
    return utf8 && nul && to.max_bytes < 0;
  };
  auto years_safe = [&] {
    return dest.min_year <= source->min_year && dest.max_year >= source->max_year;
  };
  switch (to.kind) {
    case TypeKind::kBoolean:
      return from.kind == TypeKind::kBoolean;
    case TypeKind::kInteger:
      if (from.kind != TypeKind::kInteger) return false;
      if (from.is_unsigned == to.is_unsigned) return to.width_bits >= from.width_bits;
      return !to.is_unsigned && to.width_bits > from.width_bits;  // unsigned into wider signed
    case TypeKind::kDecimal:
      if (from.kind != TypeKind::kDecimal) return false;
      if (to.precision == 0)
        return from.precision > 0 && from.precision <= dest.max_decimal_precision;
      return from.precision > 0 && to.scale >= from.scale &&
             to.precision - to.scale >= from.precision - from.scale;
    case TypeKind::kDouble:
    case TypeKind::kReal: {
      bool width = to.kind == TypeKind::kDouble || from.kind == TypeKind::kReal;
      bool specials = (dest.float_nan || !source->float_nan) &&
                      (dest.float_infinity || !source->float_infinity) &&
                      (dest.float_negative_zero || !source->float_negative_zero);
      return width && specials;
    }
    case TypeKind::kChar:
    case TypeKind::kVarchar:
      if (from.kind != TypeKind::kChar && from.kind != TypeKind::kVarchar) return false;
      return from.length > 0 && from.length <= to.length && text_safe();
    case TypeKind::kText:
    case TypeKind::kJson:
      return (from.kind == TypeKind::kChar || from.kind == TypeKind::kVarchar ||
              from.kind == TypeKind::kText || from.kind == to.kind) &&
             text_safe();
    case TypeKind::kBinary:
    case TypeKind::kVarbinary:
    case TypeKind::kBlob: {
      bool bounded = to.length < 0 ||
                     (from.length > 0 && from.length <= to.length && from.kind != TypeKind::kBlob);
      return bounded && to.max_bytes < 0;
    }
    case TypeKind::kDate:
      return from.kind == TypeKind::kDate && years_safe();
    case TypeKind::kTime:
      return from.kind == TypeKind::kTime && to.precision >= std::min(from.precision, 6);
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      return (from.kind == TypeKind::kTimestamp || from.kind == TypeKind::kTimestampTz) &&
             to.precision >= std::min(from.precision, 6) && years_safe();
    case TypeKind::kUuid:
      return from.kind == TypeKind::kUuid;
    case TypeKind::kUnsupported:
      return from.native == to.native;
  }
  return false;
}

// Decimal digits needed for every value of an integer type.
int IntegerDigits(const ColumnType& t) {
  if (t.width_bits <= 8) return 3;
  if (t.width_bits <= 16) return 5;
  if (t.width_bits <= 24) return t.is_unsigned ? 8 : 7;
  if (t.width_bits <= 32) return 10;
  return t.is_unsigned ? 20 : 19;
}

bool IsText(TypeKind k) {
  return k == TypeKind::kChar || k == TypeKind::kVarchar || k == TypeKind::kText;
}

bool IsBytes(TypeKind k) {
  return k == TypeKind::kBinary || k == TypeKind::kVarbinary || k == TypeKind::kBlob;
}

}  // namespace

std::vector<std::string> FitRisks(const ColumnType& from, const ColumnType& to,
                                  const ValueLimits& source, const ValueLimits& dest) {
  std::vector<std::string> out;
  const std::string into = DescribeType(to);
  switch (to.kind) {
    case TypeKind::kInteger:
      if (from.kind == TypeKind::kInteger) {
        if (IntegerMin(from) < IntegerMin(to) || IntegerMax(from) > IntegerMax(to)) {
          out.push_back(fmt::format("values outside {}..{} (the range of {})", IntegerMin(to),
                                    IntegerMax(to), into));
        }
      } else if (from.kind == TypeKind::kDecimal) {
        out.push_back(fmt::format("values with a fraction or outside the range of {}", into));
      } else if (from.kind != TypeKind::kBoolean) {
        out.push_back(fmt::format("values that are not integers in the range of {}", into));
      }
      break;
    case TypeKind::kDecimal: {
      if (to.precision == 0 && from.kind != TypeKind::kDecimal) break;
      if (to.precision == 0) {
        // Unconstrained into unconstrained: only an engine with fewer digits refuses any.
        if (from.precision == 0 ? dest.max_decimal_precision < source.max_decimal_precision
                                : from.precision > dest.max_decimal_precision) {
          out.push_back(fmt::format("values with more than {} digits", dest.max_decimal_precision));
        }
        break;
      }
      const int to_integral = to.precision - to.scale;
      if (from.kind == TypeKind::kInteger) {
        if (IntegerDigits(from) > to_integral) {
          out.push_back(
              fmt::format("values with more than {} digits (the range of {})", to_integral, into));
        }
      } else if (from.kind == TypeKind::kDecimal) {
        if (from.precision == 0) {
          out.push_back(fmt::format(
              "values with more than {} digits before or {} after the point (the source "
              "column is an unconstrained numeric; ferry never rounds)",
              to_integral, to.scale));
        } else {
          if (from.scale > to.scale) {
            out.push_back(fmt::format(
                "values with more than {} digits after the point (ferry never rounds)", to.scale));
          }
          if (from.precision - from.scale > to_integral) {
            out.push_back(
                fmt::format("values with more than {} digits before the point", to_integral));
          }
        }
      } else if (from.kind != TypeKind::kBoolean) {
        out.push_back(fmt::format("values that are not numbers within {}", into));
      }
      break;
    }
    case TypeKind::kReal:
    case TypeKind::kDouble:
      if (to.kind == TypeKind::kReal && from.kind == TypeKind::kDouble) {
        out.push_back("values a 4-byte float cannot hold exactly");
      } else if (from.kind == TypeKind::kDecimal || from.kind == TypeKind::kInteger) {
        out.push_back(fmt::format("values {} cannot hold exactly", into));
      }
      if (from.kind == TypeKind::kReal || from.kind == TypeKind::kDouble) {
        if (source.float_nan && !dest.float_nan) out.push_back("NaN");
        if (source.float_infinity && !dest.float_infinity) out.push_back("Infinity and -Infinity");
        if (source.float_negative_zero && !dest.float_negative_zero) out.push_back("-0");
      }
      break;
    case TypeKind::kChar:
    case TypeKind::kVarchar:
    case TypeKind::kText:
    case TypeKind::kJson:
      if (to.kind != TypeKind::kText && to.kind != TypeKind::kJson && to.length >= 0) {
        const bool bounded = IsText(from.kind) && from.kind != TypeKind::kText && from.length > 0;
        if (!bounded || from.length > to.length) {
          out.push_back(fmt::format("text longer than {} characters", to.length));
        }
      }
      if (to.max_bytes >= 0) out.push_back(fmt::format("text longer than {} bytes", to.max_bytes));
      if (to.kind == TypeKind::kJson && from.kind != TypeKind::kJson) {
        out.push_back("text that is not valid JSON");
      }
      if (IsText(from.kind) || from.kind == TypeKind::kJson) {
        if (dest.requires_utf8 && !source.requires_utf8) {
          out.push_back("text that is not valid UTF-8");
        }
        if (!dest.nul_in_text && source.nul_in_text) out.push_back("text containing NUL");
      }
      break;
    case TypeKind::kBinary:
    case TypeKind::kVarbinary:
    case TypeKind::kBlob:
      if (to.length >= 0 && to.kind != TypeKind::kBlob) {
        const bool bounded = IsBytes(from.kind) && from.kind != TypeKind::kBlob && from.length > 0;
        if (from.kind == TypeKind::kUuid ? to.length < 16 : !bounded || from.length > to.length) {
          out.push_back(fmt::format("values longer than {} bytes", to.length));
        }
      }
      if (to.max_bytes >= 0) {
        out.push_back(fmt::format("values longer than {} bytes", to.max_bytes));
      }
      break;
    case TypeKind::kDate:
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      if (dest.min_year > source.min_year || dest.max_year < source.max_year) {
        out.push_back(fmt::format("dates outside the years {}..{}", dest.min_year, dest.max_year));
      }
      [[fallthrough]];
    case TypeKind::kTime:
      if (to.kind != TypeKind::kDate && from.kind != TypeKind::kDate &&
          to.precision < std::min(from.precision, 6)) {
        out.push_back(fmt::format(
            "times with more than {} fractional second digits (ferry never rounds)", to.precision));
      }
      if (to.kind == TypeKind::kDate && from.kind != TypeKind::kDate) {
        out.push_back("values with a time of day");
      }
      break;
    case TypeKind::kUuid:
      if (from.kind != TypeKind::kUuid) out.push_back("values that are not UUIDs");
      break;
    case TypeKind::kBoolean:
      if (from.kind != TypeKind::kBoolean) out.push_back("values other than true and false");
      break;
    case TypeKind::kUnsupported:
      break;
  }
  return out;
}

bool ParseValue(std::string_view text, ColumnVector& out) {
  return ParseInto(text, out);
}

std::string FormatValue(const ColumnVector& c, size_t row) {
  if (c.IsNull(row)) return "NULL";
  switch (c.storage()) {
    case Storage::kBool:
      return c.Int(row) ? "true" : "false";
    case Storage::kInt64:
      return std::to_string(c.Int(row));
    case Storage::kUInt64:
      return std::to_string(c.UInt(row));
    case Storage::kFloat64:
      return FormatDouble(c.Float(row));
    case Storage::kDecimal:
    case Storage::kText:
      return std::string(c.Bytes(row));
    case Storage::kBytes:
      return HexBytes(c.Bytes(row));
    case Storage::kDate:
      return FormatDate(int32_t(c.Int(row)));
    case Storage::kTime:
      return FormatTime(c.Int(row));
    case Storage::kTimestamp:
      return FormatTimestamp(c.Int(row));
    case Storage::kUuid:
      return FormatUuid(reinterpret_cast<const unsigned char*>(c.Bytes(row).data()));
  }
  return "";
}

std::string RenderKey(const Batch& batch, const std::vector<int>& positions,
                      const std::vector<std::string>& names, size_t row) {
  if (positions.empty()) return fmt::format("(row {} of its batch; the table has no key)", row + 1);
  std::string columns, values;
  for (size_t i = 0; i < positions.size(); ++i) {
    if (i > 0) {
      columns += ", ";
      values += ", ";
    }
    columns += names[i];
    const ColumnVector& c = batch.column(size_t(positions[i]));
    std::string v = FormatValue(c, row);
    bool quote = !c.IsNull(row) && c.storage() != Storage::kInt64 &&
                 c.storage() != Storage::kUInt64 && c.storage() != Storage::kDecimal &&
                 c.storage() != Storage::kFloat64;
    if (quote) {
      std::string quoted = "'";
      for (char ch : v) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
      v = quoted + "'";
    }
    values += v;
  }
  return "(" + columns + ")=(" + values + ")";
}

RowConverter::RowConverter(std::string table, std::vector<ColumnPairing> pairs, ValueLimits limits,
                           std::vector<int> key_positions, std::optional<ValueLimits> source_limits)
    : table_(std::move(table)), pairs_(std::move(pairs)), key_positions_(std::move(key_positions)) {
  for (const ColumnPairing& pair : pairs_) {
    const ColumnType source = pair.source->type;
    const ColumnType dest = pair.destination->type;
    unchecked_.push_back(AlwaysFits(source, dest, limits, source_limits));
    const bool same_storage = StorageOf(source) == StorageOf(dest);
    functions_.push_back([source, dest, limits, same_storage](const ColumnVector& in,
                                                              ColumnVector& out, Failure* failure) {
      const size_t rows = in.size();
      if (same_storage) {
        out.CopyFrom(in);
      } else {
        out.Reserve(rows);
        std::string reason;
        for (size_t r = 0; r < rows; ++r) {
          if (in.IsNull(r)) {
            out.AppendNull();
          } else if (in.has_long() && in.Long(r)) {
            if (!CarryLong(in, r, out, &reason)) {
              *failure = {r, reason};
              return false;
            }
          } else if (!ConvertDirect(in, r, out, &reason)) {
            *failure = {r, reason};
            return false;
          }
        }
      }
      for (size_t r = 0; r < rows; ++r) {
        if (out.IsNull(r)) continue;
        std::string reason = Unfit(out, r, dest, limits);
        if (!reason.empty()) {
          *failure = {r, reason};
          return false;
        }
      }
      return true;
    });
  }
}

size_t RowConverter::unchecked_columns() const {
  return size_t(std::count(unchecked_.begin(), unchecked_.end(), true));
}

std::vector<Storage> RowConverter::input_storages() const {
  std::vector<Storage> out;
  for (const ColumnPairing& p : pairs_) out.push_back(StorageOf(p.source->type));
  return out;
}

std::vector<Storage> RowConverter::output_storages() const {
  std::vector<Storage> out;
  for (const ColumnPairing& p : pairs_) out.push_back(StorageOf(p.destination->type));
  return out;
}

void RowConverter::Convert(const Batch& in, Batch& out) const {
  ConvertColumns(in, out, nullptr);
}

void RowConverter::Convert(Batch& in, Batch& out) const {
  ConvertColumns(in, out, &in);
}

void RowConverter::ConvertColumns(const Batch& in, Batch& out, Batch* movable) const {
  out.Reset(output_storages());
  for (size_t i = 0; i < functions_.size(); ++i) {
    if (unchecked_[i]) {
      if (movable) {
        out.column(i).Swap(movable->column(i));
      } else {
        out.column(i).CopyFrom(in.column(i));
      }
      continue;
    }
    Failure failure{0, ""};
    if (!functions_[i](in.column(i), out.column(i), &failure)) {
      // Key columns already moved to `out` are read from there.
      Batch keys;
      std::vector<Storage> storages;
      for (int p : key_positions_) storages.push_back(in.column(size_t(p)).storage());
      keys.Reset(storages);
      std::vector<int> positions;
      std::vector<std::string> names;
      for (size_t k = 0; k < key_positions_.size(); ++k) {
        const size_t p = size_t(key_positions_[k]);
        const bool moved = movable && unchecked_[p] && p < i;
        keys.column(k).CopyFrom(moved ? out.column(p) : in.column(p));
        positions.push_back(int(k));
        names.push_back(pairs_[p].source->name);
      }
      ErrorContext context;
      context.table = table_;
      context.column = pairs_[i].source->name;
      context.key = RenderKey(keys, positions, names, failure.row);
      throw Error(ErrorCode::kData,
                  fmt::format("value does not fit the destination column {} ({}): {}",
                              pairs_[i].destination->name, pairs_[i].destination->type.native,
                              failure.reason),
                  std::move(context));
    }
  }
}

}  // namespace ferry
