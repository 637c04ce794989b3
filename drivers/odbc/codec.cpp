#include "drivers/odbc/codec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "copier/secrets.hpp"
#include "copier/types.hpp"
#include "copier/values.hpp"
#include "drivers/long_values.hpp"

namespace ferry {

namespace {

// A value longer than its fetch buffer, fetched in pieces. In a text or bytes column (`raw`) a
// value over `long_threshold` goes to a spill file as it comes, so it is never whole in memory
// (the LongValue is returned); a shorter one, or one another storage must parse, is gathered into
// `whole` (nullptr is returned).
std::shared_ptr<SpillFile> FetchTruncated(odbc::BlockCursor& cursor, size_t column, size_t row,
                                          bool raw, size_t long_threshold, const ColumnType& type,
                                          std::string& whole) {
  whole.clear();
  std::shared_ptr<SpillFile> spill;
  const size_t total =
      cursor.ValuePieces(column, row, kLongValuePiece, [&](std::string_view piece) {
        if (spill) {
          spill->Append(piece);
          return;
        }
        whole.append(piece);
        if (raw && whole.size() > long_threshold) {
          spill = std::make_shared<SpillFile>();
          spill->Append(whole);
          std::string().swap(whole);
        }
      });
  const SQLLEN indicator = cursor.Indicator(column, row);
  if (indicator != SQL_NO_TOTAL && total != size_t(indicator)) {
    // Never pass on a value other than the one the row holds.
    throw Error(ErrorCode::kDriver,
                fmt::format("the driver reported {} bytes for a long value in column {} "
                            "but returned {} when asked for all of it",
                            indicator, type.native, total));
  }
  return spill;
}

SQLSMALLINT CType(WireForm form) {
  switch (form) {
    case WireForm::kInt64:
      return SQL_C_SBIGINT;
    case WireForm::kUInt64:
      return SQL_C_UBIGINT;
    case WireForm::kFloat32:
      return SQL_C_FLOAT;
    case WireForm::kFloat64:
      return SQL_C_DOUBLE;
    case WireForm::kBinary:
      return SQL_C_BINARY;
    case WireForm::kText:
      return SQL_C_CHAR;
  }
  return SQL_C_CHAR;
}

// Text buffer bytes (without the NUL) that hold every well-formed value of the type, or 0
// when the type has no useful bound.
size_t TextBound(const ColumnType& type) {
  switch (type.kind) {
    case TypeKind::kBoolean:
      return 16;
    case TypeKind::kInteger:
      return 24;
    case TypeKind::kDecimal:
      return type.precision > 0 ? size_t(std::max(type.precision + 8, 40)) : 0;
    case TypeKind::kReal:
    case TypeKind::kDouble:
      return 40;
    case TypeKind::kChar:
    case TypeKind::kVarchar:
      return type.length > 0 && size_t(type.length) * 4 <= kLongValueBuffer
                 ? size_t(type.length) * 4
                 : 0;
    case TypeKind::kDate:
      return 32;
    case TypeKind::kTime:
      return 32;
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      return 48;
    case TypeKind::kUuid:
      return 48;
    default:
      return 0;
  }
}

}  // namespace

odbc::BufferDescription ReadBuffer(WireForm form, const ColumnType& type) {
  switch (form) {
    case WireForm::kInt64:
    case WireForm::kUInt64:
    case WireForm::kFloat64:
      return {CType(form), 8};
    case WireForm::kFloat32:
      return {CType(form), 4};
    case WireForm::kBinary:
      if ((type.kind == TypeKind::kBinary || type.kind == TypeKind::kVarbinary) &&
          type.length > 0 && size_t(type.length) <= kLongValueBuffer) {
        return {SQL_C_BINARY, size_t(type.length)};
      }
      return {SQL_C_BINARY, kLongValueBuffer};
    case WireForm::kText: {
      size_t bound = TextBound(type);
      return {SQL_C_CHAR, (bound ? bound : kLongValueBuffer) + 1};
    }
  }
  return {SQL_C_CHAR, kLongValueBuffer + 1};
}

bool ReadBufferIsCapped(WireForm form, const ColumnType& type) {
  if (form == WireForm::kBinary) return ReadBuffer(form, type).element_size == kLongValueBuffer;
  return form == WireForm::kText && TextBound(type) == 0;
}

std::string AppendFetched(odbc::BlockCursor& cursor, size_t column, size_t rows, WireForm form,
                          const ColumnType& type, size_t long_threshold, ColumnVector& out,
                          size_t* bad_row) {
  const SQLLEN* ind = cursor.Indicators(column);
  std::string reason;
  auto fail = [&](size_t r, std::string why) {
    if (reason.empty()) {
      reason = std::move(why);
      *bad_row = r;
    }
    out.AppendNull();
  };
  switch (form) {
    case WireForm::kInt64: {
      const auto* v = reinterpret_cast<const int64_t*>(cursor.Element(column, 0));
      const bool boolean = out.storage() == Storage::kBool;
      for (size_t r = 0; r < rows; ++r) {
        if (ind[r] == SQL_NULL_DATA) {
          out.AppendNull();
        } else if (boolean && v[r] != 0 && v[r] != 1) {
          fail(r, fmt::format("{} in a boolean column ({}) is neither 0 nor 1", v[r], type.native));
        } else {
          out.AppendInt(v[r]);
        }
      }
      break;
    }
    case WireForm::kUInt64: {
      const auto* v = reinterpret_cast<const uint64_t*>(cursor.Element(column, 0));
      for (size_t r = 0; r < rows; ++r) {
        if (ind[r] == SQL_NULL_DATA) {
          out.AppendNull();
        } else {
          out.AppendUInt(v[r]);
        }
      }
      break;
    }
    case WireForm::kFloat32: {
      const auto* v = reinterpret_cast<const float*>(cursor.Element(column, 0));
      for (size_t r = 0; r < rows; ++r) {
        if (ind[r] == SQL_NULL_DATA) {
          out.AppendNull();
        } else {
          out.AppendFloat(double(v[r]));
        }
      }
      break;
    }
    case WireForm::kFloat64: {
      const auto* v = reinterpret_cast<const double*>(cursor.Element(column, 0));
      for (size_t r = 0; r < rows; ++r) {
        if (ind[r] == SQL_NULL_DATA) {
          out.AppendNull();
        } else {
          out.AppendFloat(v[r]);
        }
      }
      break;
    }
    case WireForm::kBinary:
    case WireForm::kText: {
      std::string whole;
      const bool capped = ReadBufferIsCapped(form, type);
      const bool raw = out.storage() == Storage::kText || out.storage() == Storage::kBytes;
      for (size_t r = 0; r < rows; ++r) {
        if (ind[r] == SQL_NULL_DATA) {
          out.AppendNull();
          continue;
        }
        std::string_view value;
        if (cursor.IsTruncated(column, r)) {
          if (!capped) {
            fail(r,
                 fmt::format("a value too long to be a {} ({})", KindWord(type.kind), type.native));
            continue;
          }
          if (auto spilled = FetchTruncated(cursor, column, r, raw, long_threshold, type, whole)) {
            out.AppendLong(std::move(spilled));
            continue;
          }
          value = whole;
        } else {
          value = std::string_view(cursor.Element(column, r), size_t(ind[r]));
        }
        if (raw) {
          out.AppendBytes(value);
        } else if (!ParseValue(value, out)) {
          fail(r, fmt::format("{} is not a valid {} ({})", ShownText(value), KindWord(type.kind),
                              type.native));
        }
      }
      break;
    }
  }
  return reason;
}

WireForm ReadForm(const OdbcQuirks& quirks, const ColumnType& type) {
  switch (type.kind) {
    case TypeKind::kBoolean:
    case TypeKind::kInteger:
      return type.is_unsigned && type.width_bits >= 64 ? WireForm::kUInt64 : WireForm::kInt64;
    case TypeKind::kReal:
      return quirks.reals_as_double ? WireForm::kFloat64 : WireForm::kFloat32;
    case TypeKind::kDouble:
      return WireForm::kFloat64;
    case TypeKind::kBinary:
    case TypeKind::kVarbinary:
    case TypeKind::kBlob:
      return WireForm::kBinary;
    default:
      return WireForm::kText;
  }
}

WriteParameter WriteForm(const OdbcQuirks& quirks, const ColumnType& type) {
  const bool bytes = type.kind == TypeKind::kBinary || type.kind == TypeKind::kVarbinary ||
                     type.kind == TypeKind::kBlob;
  const bool number = type.kind == TypeKind::kInteger || type.kind == TypeKind::kBoolean ||
                      type.kind == TypeKind::kReal || type.kind == TypeKind::kDouble;
  if (bytes && quirks.bytes_as_long_binary) return {WireForm::kBinary, SQL_LONGVARBINARY, 0};
  using TextWrites = OdbcQuirks::TextWrites;
  if ((quirks.text_writes == TextWrites::kAllButIntegersAndBytes &&
       type.kind != TypeKind::kInteger && !bytes) ||
      (quirks.text_writes == TextWrites::kAllButNumbersAndBytes && !number && !bytes)) {
    return {WireForm::kText, SQL_VARCHAR, 0};
  }
  switch (type.kind) {
    case TypeKind::kBoolean:
      return {WireForm::kInt64, SQL_SMALLINT, 0};
    case TypeKind::kInteger:
      return type.is_unsigned && type.width_bits >= 64
                 ? WriteParameter{WireForm::kUInt64, SQL_BIGINT, 0}
                 : WriteParameter{WireForm::kInt64, SQL_BIGINT, 0};
    case TypeKind::kReal:
    case TypeKind::kDouble:
      return {WireForm::kFloat64, SQL_DOUBLE, 0};
    case TypeKind::kBinary:
    case TypeKind::kVarbinary:
      return {WireForm::kBinary, SQL_VARBINARY, 0};
    case TypeKind::kBlob:
      return {WireForm::kBinary, SQL_LONGVARBINARY, 0};
    case TypeKind::kText:
    case TypeKind::kJson:
      return {WireForm::kText, SQL_LONGVARCHAR, 0};
    default:
      return {WireForm::kText, SQL_VARCHAR, 0};
  }
}

ParameterPlan PlanParameter(const Dialect& dialect, const ColumnType& type) {
  ParameterPlan plan;
  plan.parameter = WriteForm(dialect.quirks().odbc, type);
  plan.description.c_type = CType(plan.parameter.form);
  plan.description.sql_type = plan.parameter.sql_type;
  plan.description.decimal_digits = plan.parameter.decimal_digits;
  plan.utc_offset = dialect.quirks().odbc.utc_offset && type.kind == TypeKind::kTimestampTz;
  plan.true_text = dialect.quirks().odbc.true_text;
  plan.false_text = dialect.quirks().odbc.false_text;
  return plan;
}

size_t ParameterElementSize(const ParameterPlan& plan, const ColumnVector& in, size_t begin,
                            size_t end) {
  switch (plan.parameter.form) {
    case WireForm::kInt64:
    case WireForm::kUInt64:
    case WireForm::kFloat64:
      return 8;
    case WireForm::kFloat32:
      return 4;
    case WireForm::kBinary:
    case WireForm::kText:
      if (in.variable_length()) {
        size_t widest = 1;
        for (size_t r = begin; r < end; ++r) widest = std::max(widest, in.Bytes(r).size());
        return in.storage() == Storage::kUuid && plan.parameter.form == WireForm::kText ? 36
                                                                                        : widest;
      }
      return 40;
  }
  return 40;
}

void FillParameter(const ParameterPlan& plan, const ColumnVector& in, size_t begin, size_t end,
                   odbc::ParameterArrays& arrays, size_t param) {
  SQLLEN* ind = arrays.Indicators(param);
  for (size_t r = begin, i = 0; r < end; ++r, ++i) {
    if (in.IsNull(r)) {
      ind[i] = SQL_NULL_DATA;
      continue;
    }
    char* element = arrays.Element(param, i);
    switch (plan.parameter.form) {
      case WireForm::kInt64:
      case WireForm::kUInt64:
      case WireForm::kFloat64: {
        int64_t bits = in.Int(r);
        std::memcpy(element, &bits, 8);
        ind[i] = 8;
        break;
      }
      case WireForm::kFloat32: {
        float f = float(in.Float(r));
        std::memcpy(element, &f, 4);
        ind[i] = 4;
        break;
      }
      case WireForm::kBinary: {
        std::string_view v = in.Bytes(r);
        std::memcpy(element, v.data(), v.size());
        ind[i] = SQLLEN(v.size());
        break;
      }
      case WireForm::kText: {
        size_t n = 0;
        switch (in.storage()) {
          case Storage::kDecimal:
          case Storage::kText:
          case Storage::kBytes: {
            std::string_view v = in.Bytes(r);
            std::memcpy(element, v.data(), v.size());
            n = v.size();
            break;
          }
          case Storage::kBool: {
            const char* text = in.Int(r) != 0 ? plan.true_text : plan.false_text;
            n = std::strlen(text);
            std::memcpy(element, text, n);
            break;
          }
          case Storage::kDate:
            n = FormatDateTo(int32_t(in.Int(r)), element);
            break;
          case Storage::kTime:
            n = FormatTimeTo(in.Int(r), element);
            break;
          case Storage::kTimestamp:
            n = FormatTimestampTo(in.Int(r), element);
            if (plan.utc_offset) {
              std::memcpy(element + n, "+00", 3);
              n += 3;
            }
            break;
          case Storage::kUuid:
            n = FormatUuidTo(reinterpret_cast<const unsigned char*>(in.Bytes(r).data()), element);
            break;
          case Storage::kInt64:
          case Storage::kUInt64:
          case Storage::kFloat64: {
            std::string text = FormatValue(in, r);
            std::memcpy(element, text.data(), text.size());
            n = text.size();
            break;
          }
        }
        ind[i] = SQLLEN(n);
        break;
      }
    }
  }
}

}  // namespace ferry
