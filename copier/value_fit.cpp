#include "copier/value_fit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "copier/convert.hpp"
#include "copier/text.hpp"
#include "copier/value_text.hpp"
#include "copier/values.hpp"

namespace ferry {

namespace {

int64_t PowerOfTen(int n) {
  int64_t p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// An unsigned integer beyond the destination type's range.
std::string UnfitUnsigned(const ColumnVector& out, size_t row, const ColumnType& type,
                          const ValueLimits& /*limits*/) {
  if (out.UInt(row) > IntegerMax(type)) {
    return fmt::format("{} is out of range for {}", ShownUnsigned(out.UInt(row)), type.native);
  }
  return "";
}

// A signed integer beyond the destination type's range.
std::string UnfitSigned(const ColumnVector& out, size_t row, const ColumnType& type,
                        const ValueLimits& /*limits*/) {
  int64_t v = out.Int(row);
  if (v < IntegerMin(type) || (v > 0 && uint64_t(v) > IntegerMax(type))) {
    return fmt::format("{} is out of range for {}", ShownInteger(v), type.native);
  }
  return "";
}

// The digits of plain decimal text ([-]digits[.digits], the form readers give), counted in
// place: CanonicalDecimal builds strings for every value, a third of a decimal's cost on the
// copy path. False for any other spelling (exponent, '+'), which CanonicalDecimal measures.
bool PlainDecimalShape(std::string_view text, DecimalShape* shape) {
  size_t at = text.size() > 0 && text[0] == '-' ? 1 : 0;
  const size_t int_start = at;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
  const size_t int_end = at;
  size_t last_nonzero = 0, fraction = 0;
  if (at < text.size() && text[at] == '.') {
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at) {
      ++fraction;
      if (text[at] != '0') last_nonzero = fraction;
    }
  }
  if (at != text.size() || (int_end == int_start && fraction == 0)) return false;
  size_t first = int_start;
  while (first < int_end && text[first] == '0') ++first;
  shape->integer_digits = int(int_end - first);
  shape->fraction_digits = int(fraction);
  shape->significant_fraction = int(last_nonzero);
  shape->negative = int_start == 1 && (first < int_end || last_nonzero > 0);
  return true;
}

// More digits than the destination decimal holds, before or after the point.
std::string UnfitDecimal(const ColumnVector& out, size_t row, const ColumnType& type,
                         const ValueLimits& limits) {
  DecimalShape shape;
  std::string_view text = out.Bytes(row);
  if (!PlainDecimalShape(text, &shape)) CanonicalDecimal(text, &shape);
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

// NaN, infinities and -0 the destination cannot store; a double no 4-byte float holds.
std::string UnfitFloat(const ColumnVector& out, size_t row, const ColumnType& type,
                       const ValueLimits& limits) {
  double v = out.Float(row);
  if (std::isnan(v) && !limits.float_nan) return "NaN cannot be stored in the destination";
  if (std::isinf(v) && !limits.float_infinity) {
    return fmt::format("{} cannot be stored in the destination", FormatDouble(v));
  }
  if (v == 0 && std::signbit(v) && !limits.float_negative_zero) {
    return "-0 cannot be stored in the destination (it would become 0)";
  }
  if (type.kind == TypeKind::kReal && std::isfinite(v) && double(float(v)) != v) {
    return fmt::format("{} has no exact 4-byte float in {} (it would be rounded)", ShownDouble(v),
                       type.native);
  }
  return "";
}

// NUL, bytes or characters beyond the column, invalid UTF-8.
std::string UnfitText(const ColumnVector& out, size_t row, const ColumnType& type,
                      const ValueLimits& limits) {
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

// Bytes beyond the column.
std::string UnfitBytes(const ColumnVector& out, size_t row, const ColumnType& type,
                       const ValueLimits& /*limits*/) {
  int64_t size = int64_t(out.Bytes(row).size());
  if ((type.length >= 0 && size > type.length) || (type.max_bytes >= 0 && size > type.max_bytes)) {
    return fmt::format("{} bytes do not fit {}", size, type.native);
  }
  return "";
}

// A year outside the destination's.
std::string UnfitDate(const ColumnVector& out, size_t row, const ColumnType& /*type*/,
                      const ValueLimits& limits) {
  if (IsZeroDate(int32_t(out.Int(row)))) {
    if (limits.zero_dates) return "";
    return fmt::format("{} is a zero date, which the destination cannot store",
                       ShownTemporal(FormatDate(int32_t(out.Int(row))), "date"));
  }
  int year = CivilFromDays(int32_t(out.Int(row))).year;
  if (year < limits.min_year || year > limits.max_year) {
    return fmt::format("{} is outside the destination's years {}..{}",
                       ShownTemporal(FormatDate(int32_t(out.Int(row))), "date"), limits.min_year,
                       limits.max_year);
  }
  return "";
}

// Fractional digits beyond the column's precision, a year outside the destination's.
std::string UnfitTemporal(const ColumnVector& out, size_t row, const ColumnType& type,
                          const ValueLimits& limits) {
  int64_t v = out.Int(row);
  int digits = std::clamp(type.precision, 0, 6);
  if (digits < 6 && (type.kind == TypeKind::kTime ? v : TimeOfDay(v)) % PowerOfTen(6 - digits)) {
    return fmt::format("{} has more fractional digits than {} holds (it would be rounded)",
                       type.kind == TypeKind::kTime
                           ? ShownTemporal(FormatTime(v), "time")
                           : ShownTemporal(FormatTimestamp(v), "timestamp"),
                       type.native);
  }
  if (type.kind == TypeKind::kTime && (v < 0 || v > kMicrosPerDay) && !limits.times_beyond_day) {
    return fmt::format("{} is outside the destination's 00:00:00..24:00:00",
                       ShownTemporal(FormatTime(v), "time"));
  }
  if (type.kind != TypeKind::kTime && IsZeroDateTimestamp(v)) {
    if (limits.zero_dates) return "";
    return fmt::format("{} is on a zero date, which the destination cannot store",
                       ShownTemporal(FormatTimestamp(v), "timestamp"));
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

// Why a long value (copier/batch.hpp) does not fit, or "": its bytes are read in pieces, once,
// only for the checks that need them.
std::string UnfitLong(const LongValue& value, const ColumnType& type, const ValueLimits& limits) {
  const int64_t size = int64_t(value.size());
  const bool text = type.kind == TypeKind::kChar || type.kind == TypeKind::kVarchar ||
                    type.kind == TypeKind::kText || type.kind == TypeKind::kJson;
  if (!text) {
    if ((type.length >= 0 && size > type.length) ||
        (type.max_bytes >= 0 && size > type.max_bytes)) {
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

// Runs `Unfit` ("" when a value fits) over a whole column: chosen once per column, so the check
// itself is called directly, value after value.
template <std::string (*Unfit)(const ColumnVector&, size_t, const ColumnType&, const ValueLimits&)>
bool CheckValues(const ColumnVector& column, const ColumnType& type, const ValueLimits& limits,
                 size_t* row, std::string* reason) {
  const size_t rows = column.size();
  for (size_t r = 0; r < rows; ++r) {
    if (column.IsNull(r)) continue;
    const LongValue* long_value = column.has_long() ? column.Long(r) : nullptr;
    std::string why =
        long_value ? UnfitLong(*long_value, type, limits) : Unfit(column, r, type, limits);
    if (!why.empty()) {
      *row = r;
      *reason = std::move(why);
      return false;
    }
  }
  return true;
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

// FitRisks for integer, decimal and floating-point destination columns.
void NumberRisks(const ColumnType& from, const ColumnType& to, const ValueLimits& source,
                 const ValueLimits& dest, const std::string& into, std::vector<std::string>& out) {
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
    default:
      break;
  }
}

}  // namespace

ColumnCheck CheckFor(const ColumnType& type, Storage storage) {
  switch (type.kind) {
    case TypeKind::kInteger:
      return storage == Storage::kUInt64 ? CheckValues<UnfitUnsigned> : CheckValues<UnfitSigned>;
    case TypeKind::kDecimal:
      return CheckValues<UnfitDecimal>;
    case TypeKind::kReal:
    case TypeKind::kDouble:
      return CheckValues<UnfitFloat>;
    case TypeKind::kChar:
    case TypeKind::kVarchar:
    case TypeKind::kText:
    case TypeKind::kJson:
      return CheckValues<UnfitText>;
    case TypeKind::kBinary:
    case TypeKind::kVarbinary:
    case TypeKind::kBlob:
      return CheckValues<UnfitBytes>;
    case TypeKind::kDate:
      return CheckValues<UnfitDate>;
    case TypeKind::kTime:
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      return CheckValues<UnfitTemporal>;
    case TypeKind::kBoolean:
    case TypeKind::kUuid:
    case TypeKind::kAny:
    case TypeKind::kUnsupported:
      return nullptr;
  }
  return nullptr;
}

namespace {

// What a column of `declared` type can hold where the engine keeps any value of the column's
// storage in it (SQLite): any width, length and precision.
ColumnType StorageOnly(ColumnType declared) {
  switch (declared.kind) {
    case TypeKind::kInteger:
      if (declared.width_bits < 64) {  // held as int64: any signed 64-bit value
        declared.width_bits = 64;
        declared.is_unsigned = false;
      }
      break;
    case TypeKind::kChar:
    case TypeKind::kVarchar:
    case TypeKind::kBinary:
    case TypeKind::kVarbinary:
      declared.length = -1;
      break;
    case TypeKind::kDecimal:
      declared.precision = 0;
      declared.scale = 0;
      break;
    case TypeKind::kTime:
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      declared.precision = 6;
      break;
    default:
      break;
  }
  return declared;
}

}  // namespace

bool AlwaysFits(const ColumnType& declared, const ColumnType& to, const ValueLimits& dest,
                const std::optional<ValueLimits>& source) {
  if (StorageOf(declared) != StorageOf(to) || !source) return false;
  const ColumnType from = source->declared_types_hold ? declared : StorageOnly(declared);
  if (from.srid_prefixed != to.srid_prefixed) return false;  // spatial values change form
  auto text_safe = [&] {
    bool utf8 = !dest.requires_utf8 || source->requires_utf8;
    bool nul = dest.nul_in_text || !source->nul_in_text;
    return utf8 && nul && to.max_bytes < 0;
  };
  auto years_safe = [&] {
    return dest.min_year <= source->min_year && dest.max_year >= source->max_year &&
           (dest.zero_dates || !source->zero_dates);
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
      return from.kind == TypeKind::kTime && to.precision >= std::min(from.precision, 6) &&
             (dest.times_beyond_day || !source->times_beyond_day);
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      return (from.kind == TypeKind::kTimestamp || from.kind == TypeKind::kTimestampTz) &&
             to.precision >= std::min(from.precision, 6) && years_safe();
    case TypeKind::kUuid:
      return from.kind == TypeKind::kUuid;
    case TypeKind::kAny:
    case TypeKind::kUnsupported:
      return from.native == to.native;
  }
  return false;
}

std::vector<std::string> FitRisks(const ColumnType& from, const ColumnType& to,
                                  const ValueLimits& source, const ValueLimits& dest) {
  std::vector<std::string> out;
  const std::string into = DescribeType(to);
  switch (to.kind) {
    case TypeKind::kInteger:
    case TypeKind::kDecimal:
    case TypeKind::kReal:
    case TypeKind::kDouble:
      NumberRisks(from, to, source, dest, into, out);
      break;
    case TypeKind::kChar:
    case TypeKind::kVarchar:
    case TypeKind::kText:
    case TypeKind::kJson:
      if (to.kind != TypeKind::kText && to.kind != TypeKind::kJson && to.length >= 0) {
        // An enumeration holds only its labels: they fit where the longest does.
        int64_t longest = from.labels.empty() ? from.length : 0;
        for (const std::string& l : from.labels) longest = std::max(longest, Utf8Characters(l));
        const bool bounded =
            (!from.labels.empty() || (IsText(from.kind) && from.kind != TypeKind::kText)) &&
            longest > 0;
        if (!bounded || longest > to.length) {
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
      if (source.zero_dates && !dest.zero_dates && from.kind != TypeKind::kTime) {
        out.push_back("zero dates (0000-00-00, or a zero month or day)");
      }
      [[fallthrough]];
    case TypeKind::kTime:
      if (from.kind == TypeKind::kTime && source.times_beyond_day && !dest.times_beyond_day) {
        out.push_back("times negative or beyond 24:00:00");
      }
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
    case TypeKind::kAny:
    case TypeKind::kUnsupported:
      break;
  }
  return out;
}

}  // namespace ferry
