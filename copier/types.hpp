// The logical column types ferry understands, independent of any database. Dialects parse
// their native type names into a ColumnType and render a ColumnType back into DDL; every
// cross-engine mapping goes through this one model, so N dialects need N mappings, not N².
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ferry {

enum class TypeKind {
  kBoolean,
  kInteger,    // width_bits 8/16/24/32/64, is_unsigned
  kDecimal,    // precision/scale; precision 0 means unconstrained (PostgreSQL numeric)
  kReal,       // 4-byte float
  kDouble,     // 8-byte float
  kChar,       // fixed length, blank padded; length in characters
  kVarchar,    // length in characters
  kText,       // unbounded character data
  kBinary,     // fixed length bytes
  kVarbinary,  // length in bytes
  kBlob,       // unbounded bytes
  kDate,
  kTime,         // precision = fractional second digits
  kTimestamp,    // without time zone
  kTimestampTz,  // an instant; ferry moves it as UTC
  kUuid,
  kJson,
  // A value of any type, kept with its own type (SQLite's storage class): the columns of an
  // engine that does not enforce declared types, copied into the same engine (PlanTableCopy).
  // Its bytes are the engine's own encoding of value and class, which only its driver reads.
  kAny,
  kUnsupported,  // native holds the source type; across engines only as its text (text_form)
};

struct ColumnType {
  TypeKind kind = TypeKind::kUnsupported;
  int width_bits = 0;  // kInteger
  bool is_unsigned = false;
  int precision = 0;         // kDecimal digits; kTime/kTimestamp* fractional digits
  int scale = 0;             // kDecimal
  int64_t length = -1;       // kChar/kVarchar (characters), kBinary/kVarbinary (bytes); -1 = none
  int64_t max_bytes = -1;    // byte capacity where the engine limits bytes (MariaDB TEXT: 65535)
  bool binary_json = false;  // PostgreSQL jsonb as opposed to json
  // A type defined in the database itself (an enum, a composite, arrays of them): its wire
  // form may name the type by an identifier only that database knows.
  bool database_specific = false;
  // A kUnsupported type whose values the source's reader gives in their exact text form (every
  // PostgreSQL type: arrays, tsvector, geometric types, intervals...): an engine without the
  // type gets that text in a text column, exactly, instead of refusing the table.
  bool text_form = false;
  std::string native;  // the type as the source database spells it, e.g. "character varying(20)"
  // An enumeration's labels, in their order (PostgreSQL enums, MariaDB ENUM): another engine
  // gets an ENUM of the same labels (MariaDB) or its text type with a CHECK that allows only
  // them (PostgreSQL, SQLite). Empty for other types.
  std::vector<std::string> labels;
  // A spatial column (kBlob): its geometry type as the source names it ("point", "geometry"...),
  // "" for other columns; the SRID its values are declared in (0: any); and whether its values are
  // MariaDB's form (the SRID, 4 bytes little-endian, then WKB) rather than EWKB, the form
  // every other engine gets (copier/spatial.hpp).
  std::string spatial;
  uint32_t srid = 0;
  bool srid_prefixed = false;
  // A spatial column's type where its values land as EWKB bytes, with no spatial type there.
  void ForgetSpatial() {
    spatial.clear();
    srid = 0;
    srid_prefixed = false;
  }

  bool operator==(const ColumnType&) const = default;
};

// How values of a type are held in a batch. Chosen once per column.
enum class Storage {
  kBool,  // int64 0/1
  kInt64,
  kUInt64,   // unsigned 64-bit integers
  kFloat64,  // doubles, and reals widened exactly
  kDecimal,  // canonical decimal text: -?digits[.digits]
  kText,     // UTF-8 bytes
  kBytes,
  kDate,       // days since 1970-01-01 (proleptic Gregorian)
  kTime,       // microseconds since midnight
  kTimestamp,  // microseconds since 1970-01-01 00:00:00, naive or UTC
  kUuid,       // 16 bytes
};

Storage StorageOf(const ColumnType& type);
bool IsVariableLength(Storage storage);

// The unbounded text column, spelled `native` at the destination, that holds a text_form type's
// values as the source prints them.
ColumnType TextForm(const std::string& native);

// "integer", "varchar(20)", "decimal(38,10)": a portable spelling for messages and plans.
std::string DescribeType(const ColumnType& type);

// What a value of the kind is called in a message about a value that is not one ("'x' is not a
// valid time of day"): "integer", "decimal number", "timestamp"; "value" for kinds whose values
// any text or bytes are.
const char* KindWord(TypeKind kind);

// Largest and smallest value an integer type holds.
int64_t IntegerMin(const ColumnType& type);
uint64_t IntegerMax(const ColumnType& type);

}  // namespace ferry
