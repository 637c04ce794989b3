#include "copier/types.hpp"

#include <fmt/format.h>

#include <limits>

namespace ferry {

Storage StorageOf(const ColumnType& type) {
  switch (type.kind) {
    case TypeKind::kBoolean:
      return Storage::kBool;
    case TypeKind::kInteger:
      return type.is_unsigned && type.width_bits >= 64 ? Storage::kUInt64 : Storage::kInt64;
    case TypeKind::kDecimal:
      return Storage::kDecimal;
    case TypeKind::kReal:
    case TypeKind::kDouble:
      return Storage::kFloat64;
    case TypeKind::kChar:
    case TypeKind::kVarchar:
    case TypeKind::kText:
    case TypeKind::kJson:
    case TypeKind::kUnsupported:
      return Storage::kText;
    case TypeKind::kAny:  // its engine's own encoding of the value and its class
    case TypeKind::kBinary:
    case TypeKind::kVarbinary:
    case TypeKind::kBlob:
      return Storage::kBytes;
    case TypeKind::kDate:
      return Storage::kDate;
    case TypeKind::kTime:
      return Storage::kTime;
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      return Storage::kTimestamp;
    case TypeKind::kUuid:
      return Storage::kUuid;
  }
  return Storage::kText;
}

bool IsVariableLength(Storage storage) {
  return storage == Storage::kDecimal || storage == Storage::kText || storage == Storage::kBytes ||
         storage == Storage::kUuid;
}

ColumnType TextForm(const std::string& native) {
  ColumnType out;
  out.kind = TypeKind::kText;
  out.native = native;
  return out;
}

std::string DescribeType(const ColumnType& t) {
  switch (t.kind) {
    case TypeKind::kBoolean:
      return "boolean";
    case TypeKind::kInteger:
      return fmt::format("{}int{}", t.is_unsigned ? "u" : "", t.width_bits);
    case TypeKind::kDecimal:
      return t.precision == 0 ? std::string("decimal")
                              : fmt::format("decimal({},{})", t.precision, t.scale);
    case TypeKind::kReal:
      return "real";
    case TypeKind::kDouble:
      return "double";
    case TypeKind::kChar:
      return fmt::format("char({})", t.length);
    case TypeKind::kVarchar:
      return fmt::format("varchar({})", t.length);
    case TypeKind::kText:
      return "text";
    case TypeKind::kBinary:
      return fmt::format("binary({})", t.length);
    case TypeKind::kVarbinary:
      return fmt::format("varbinary({})", t.length);
    case TypeKind::kBlob:
      return "blob";
    case TypeKind::kDate:
      return "date";
    case TypeKind::kTime:
      return fmt::format("time({})", t.precision);
    case TypeKind::kTimestamp:
      return fmt::format("timestamp({})", t.precision);
    case TypeKind::kTimestampTz:
      return fmt::format("timestamptz({})", t.precision);
    case TypeKind::kUuid:
      return "uuid";
    case TypeKind::kJson:
      return t.binary_json ? "jsonb" : "json";
    case TypeKind::kAny:
      return "any";
    case TypeKind::kUnsupported:
      return fmt::format("unsupported '{}'", t.native);
  }
  return "unknown";
}

const char* KindWord(TypeKind kind) {
  switch (kind) {
    case TypeKind::kBoolean:
      return "boolean";
    case TypeKind::kInteger:
      return "integer";
    case TypeKind::kDecimal:
      return "decimal number";
    case TypeKind::kReal:
    case TypeKind::kDouble:
      return "floating-point number";
    case TypeKind::kDate:
      return "date";
    case TypeKind::kTime:
      return "time of day";
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      return "timestamp";
    case TypeKind::kUuid:
      return "UUID";
    default:
      return "value";
  }
}

int64_t IntegerMin(const ColumnType& t) {
  if (t.is_unsigned) return 0;
  if (t.width_bits >= 64) return std::numeric_limits<int64_t>::min();
  return -(int64_t{1} << (t.width_bits - 1));
}

uint64_t IntegerMax(const ColumnType& t) {
  if (t.width_bits >= 64) {
    return t.is_unsigned ? std::numeric_limits<uint64_t>::max()
                         : uint64_t(std::numeric_limits<int64_t>::max());
  }
  return t.is_unsigned ? (uint64_t{1} << t.width_bits) - 1
                       : (uint64_t{1} << (t.width_bits - 1)) - 1;
}

}  // namespace ferry
