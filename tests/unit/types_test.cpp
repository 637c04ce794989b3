#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include "copier/types.hpp"

using namespace ferry;

namespace {

ColumnType Of(TypeKind kind) {
  ColumnType t;
  t.kind = kind;
  return t;
}

ColumnType Integer(int bits, bool is_unsigned = false) {
  ColumnType t = Of(TypeKind::kInteger);
  t.width_bits = bits;
  t.is_unsigned = is_unsigned;
  return t;
}

}  // namespace

TEST_CASE("each type kind is held in the storage that represents it exactly", "[types]") {
  CHECK(StorageOf(Of(TypeKind::kBoolean)) == Storage::kBool);
  CHECK(StorageOf(Integer(8)) == Storage::kInt64);
  CHECK(StorageOf(Integer(32, true)) == Storage::kInt64);
  CHECK(StorageOf(Integer(64)) == Storage::kInt64);
  CHECK(StorageOf(Integer(64, true)) == Storage::kUInt64);
  CHECK(StorageOf(Of(TypeKind::kDecimal)) == Storage::kDecimal);
  CHECK(StorageOf(Of(TypeKind::kReal)) == Storage::kFloat64);
  CHECK(StorageOf(Of(TypeKind::kDouble)) == Storage::kFloat64);
  for (TypeKind kind : {TypeKind::kChar, TypeKind::kVarchar, TypeKind::kText, TypeKind::kJson,
                        TypeKind::kUnsupported}) {
    CHECK(StorageOf(Of(kind)) == Storage::kText);
  }
  for (TypeKind kind : {TypeKind::kBinary, TypeKind::kVarbinary, TypeKind::kBlob}) {
    CHECK(StorageOf(Of(kind)) == Storage::kBytes);
  }
  CHECK(StorageOf(Of(TypeKind::kDate)) == Storage::kDate);
  CHECK(StorageOf(Of(TypeKind::kTime)) == Storage::kTime);
  CHECK(StorageOf(Of(TypeKind::kTimestamp)) == Storage::kTimestamp);
  CHECK(StorageOf(Of(TypeKind::kTimestampTz)) == Storage::kTimestamp);
  CHECK(StorageOf(Of(TypeKind::kUuid)) == Storage::kUuid);
}

TEST_CASE("only decimals, text, bytes and UUIDs are variable-length storages", "[types]") {
  CHECK(IsVariableLength(Storage::kDecimal));
  CHECK(IsVariableLength(Storage::kText));
  CHECK(IsVariableLength(Storage::kBytes));
  CHECK(IsVariableLength(Storage::kUuid));
  for (Storage s : {Storage::kBool, Storage::kInt64, Storage::kUInt64, Storage::kFloat64,
                    Storage::kDate, Storage::kTime, Storage::kTimestamp}) {
    CHECK_FALSE(IsVariableLength(s));
  }
}

TEST_CASE("integer limits follow the width and signedness", "[types][integer]") {
  CHECK(IntegerMin(Integer(8)) == -128);
  CHECK(IntegerMax(Integer(8)) == 127u);
  CHECK(IntegerMin(Integer(8, true)) == 0);
  CHECK(IntegerMax(Integer(8, true)) == 255u);
  CHECK(IntegerMin(Integer(16)) == -32768);
  CHECK(IntegerMax(Integer(16)) == 32767u);
  CHECK(IntegerMax(Integer(16, true)) == 65535u);
  CHECK(IntegerMin(Integer(24)) == -8388608);
  CHECK(IntegerMax(Integer(24)) == 8388607u);
  CHECK(IntegerMax(Integer(24, true)) == 16777215u);
  CHECK(IntegerMin(Integer(32)) == std::numeric_limits<int32_t>::min());
  CHECK(IntegerMax(Integer(32)) == uint64_t(std::numeric_limits<int32_t>::max()));
  CHECK(IntegerMax(Integer(32, true)) == std::numeric_limits<uint32_t>::max());
  CHECK(IntegerMin(Integer(64)) == std::numeric_limits<int64_t>::min());
  CHECK(IntegerMax(Integer(64)) == uint64_t(std::numeric_limits<int64_t>::max()));
  CHECK(IntegerMin(Integer(64, true)) == 0);
  CHECK(IntegerMax(Integer(64, true)) == std::numeric_limits<uint64_t>::max());
}

TEST_CASE("DescribeType gives a portable spelling for messages and plans", "[types]") {
  CHECK(DescribeType(Of(TypeKind::kBoolean)) == "boolean");
  CHECK(DescribeType(Integer(16)) == "int16");
  CHECK(DescribeType(Integer(64, true)) == "uint64");
  ColumnType decimal = Of(TypeKind::kDecimal);
  CHECK(DescribeType(decimal) == "decimal");
  decimal.precision = 38;
  decimal.scale = 10;
  CHECK(DescribeType(decimal) == "decimal(38,10)");
  CHECK(DescribeType(Of(TypeKind::kReal)) == "real");
  CHECK(DescribeType(Of(TypeKind::kDouble)) == "double");
  ColumnType varchar = Of(TypeKind::kVarchar);
  varchar.length = 20;
  CHECK(DescribeType(varchar) == "varchar(20)");
  ColumnType fixed = Of(TypeKind::kChar);
  fixed.length = 3;
  CHECK(DescribeType(fixed) == "char(3)");
  CHECK(DescribeType(Of(TypeKind::kText)) == "text");
  ColumnType binary = Of(TypeKind::kBinary);
  binary.length = 16;
  CHECK(DescribeType(binary) == "binary(16)");
  ColumnType varbinary = Of(TypeKind::kVarbinary);
  varbinary.length = 255;
  CHECK(DescribeType(varbinary) == "varbinary(255)");
  CHECK(DescribeType(Of(TypeKind::kBlob)) == "blob");
  CHECK(DescribeType(Of(TypeKind::kDate)) == "date");
  ColumnType time = Of(TypeKind::kTime);
  time.precision = 6;
  CHECK(DescribeType(time) == "time(6)");
  ColumnType ts = Of(TypeKind::kTimestamp);
  ts.precision = 3;
  CHECK(DescribeType(ts) == "timestamp(3)");
  ColumnType tstz = Of(TypeKind::kTimestampTz);
  tstz.precision = 6;
  CHECK(DescribeType(tstz) == "timestamptz(6)");
  CHECK(DescribeType(Of(TypeKind::kUuid)) == "uuid");
  ColumnType json = Of(TypeKind::kJson);
  CHECK(DescribeType(json) == "json");
  json.binary_json = true;
  CHECK(DescribeType(json) == "jsonb");
  ColumnType odd = Of(TypeKind::kUnsupported);
  odd.native = "tsvector";
  CHECK(DescribeType(odd) == "unsupported 'tsvector'");
}

TEST_CASE("column types compare equal only when every field matches", "[types]") {
  ColumnType a = Integer(32);
  ColumnType b = Integer(32);
  CHECK(a == b);
  b.native = "integer";
  CHECK_FALSE(a == b);
  CHECK_FALSE(Integer(32) == Integer(32, true));
}
