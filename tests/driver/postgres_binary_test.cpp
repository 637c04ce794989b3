// PostgreSQL's COPY formats without a server (drivers/postgres/binary_copy.hpp): numeric's
// base-10000 form, tuple framing, the round trip of every binary form through a batch, the text
// format's escapes; and how the libpq data path derives its connection from the ODBC target.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "copier/secrets.hpp"
#include "copier/values.hpp"
#include "drivers/postgres/binary_copy.hpp"
#include "drivers/postgres/libpq_params.hpp"

using namespace ferry;
using namespace ferry::pg;

namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out += char(b);
  return out;
}

// The numeric payload for ndigits/weight/sign/dscale and digits, as PostgreSQL sends it.
std::string NumericBytes(int weight, int sign, int dscale, std::initializer_list<int> digits) {
  std::string out = Bytes({0, int(digits.size()), (weight >> 8) & 0xff, weight & 0xff,
                           (sign >> 8) & 0xff, sign & 0xff, dscale >> 8, dscale & 0xff});
  for (int d : digits) out += Bytes({d >> 8, d & 0xff});
  return out;
}

std::string Encoded(const std::string& text) {
  std::string out;
  REQUIRE(EncodeNumeric(text, out));
  return out;
}

std::string Decoded(const std::string& field) {
  std::string out;
  REQUIRE(DecodeNumeric(field, out) == NumericStatus::kOk);
  return out;
}

ColumnType Type(TypeKind kind, const std::string& native) {
  ColumnType t;
  t.kind = kind;
  t.native = native;
  return t;
}

// Encodes `batch` with `forms`, then frames and decodes the tuples into a fresh batch.
Batch RoundTrip(const Batch& batch, const std::vector<BinaryForm>& forms,
                const std::vector<Storage>& storages) {
  std::string wire;
  EncodeFailure failure;
  REQUIRE(EncodeBinaryRows(batch, forms, wire, &failure));
  Batch out(storages);
  TupleDecoder decoder(forms);
  std::string_view data = wire;
  while (!data.empty()) {
    int fields = 0;
    size_t n = FrameTuple(data, &fields);
    REQUIRE(n > 0);
    REQUIRE(fields == int(forms.size()));
    DecodeFailure bad;
    REQUIRE(decoder.Decode(data.data(), out, &bad));
    data.remove_prefix(n);
  }
  return out;
}

}  // namespace

TEST_CASE("decimal text is encoded as PostgreSQL's own base-10000 numeric bytes",
          "[postgres-binary]") {
  CHECK(Encoded("0") == NumericBytes(0, 0, 0, {}));
  CHECK(Encoded("0.000") == NumericBytes(0, 0, 3, {}));
  CHECK(Encoded("1.50") == NumericBytes(0, 0, 2, {1, 5000}));
  CHECK(Encoded("-0.0001") == NumericBytes(-1, 0x4000, 4, {1}));
  CHECK(Encoded("0.00000000000000000001") == NumericBytes(-5, 0, 20, {1}));
  CHECK(Encoded("10000000000000000000000000000000000000000") == NumericBytes(10, 0, 0, {1}));
  CHECK(Encoded("12345678.90") == NumericBytes(1, 0, 2, {1234, 5678, 9000}));
  CHECK(Encoded("-10000") == NumericBytes(1, 0x4000, 0, {1}));
  CHECK(Encoded("00123") == NumericBytes(0, 0, 0, {123}));
}

TEST_CASE("binary numerics decode to the text PostgreSQL prints, scale included",
          "[postgres-binary]") {
  CHECK(Decoded(NumericBytes(0, 0, 0, {})) == "0");
  CHECK(Decoded(NumericBytes(0, 0, 2, {})) == "0.00");
  CHECK(Decoded(NumericBytes(0, 0x4000, 2, {})) == "0.00");  // no negative zero
  CHECK(Decoded(NumericBytes(0, 0, 2, {1, 5000})) == "1.50");
  CHECK(Decoded(NumericBytes(-1, 0x4000, 4, {1})) == "-0.0001");
  CHECK(Decoded(NumericBytes(-5, 0, 20, {1})) == "0.00000000000000000001");
  CHECK(Decoded(NumericBytes(10, 0, 0, {1})) == "10000000000000000000000000000000000000000");
  CHECK(Decoded(NumericBytes(1, 0, 3, {1234, 5678, 9000})) == "12345678.900");
  CHECK(Decoded(NumericBytes(0, 0, 0, {7})) == "7");
}

TEST_CASE("numeric text round-trips through the binary form with its exact digits",
          "[postgres-binary]") {
  for (const char* text :
       {"0", "1", "-1", "0.1", "0.10", "9999", "10000", "99999999.99", "-99999999.99",
        "99999999999999999999999999999999999999", "-99999999999999999999999999999999999999",
        "0.0000000000000000000000000000000000001", "9.9999999999999999999999999999999999999",
        "123456789012345678901234567890.123456789012345678901234567890", "1000000.0000001",
        "0.00001000", "-9999.9999", "10000.0001", "5"}) {
    INFO(text);
    CHECK(Decoded(Encoded(text)) == text);
  }
}

TEST_CASE("numeric NaN and infinities are reported instead of decoded", "[postgres-binary]") {
  std::string out;
  CHECK(DecodeNumeric(NumericBytes(0, 0xC000, 0, {}), out) == NumericStatus::kNaN);
  CHECK(DecodeNumeric(NumericBytes(0, 0xD000, 0, {}), out) == NumericStatus::kInfinity);
  CHECK(DecodeNumeric(NumericBytes(0, 0xF000, 0, {}), out) == NumericStatus::kNegativeInfinity);
  CHECK(DecodeNumeric(NumericBytes(0, 0, 0, {10000}), out) == NumericStatus::kMalformed);
  CHECK(DecodeNumeric(Bytes({0, 1, 0, 0}), out) == NumericStatus::kMalformed);
  CHECK(out.empty());
}

TEST_CASE("text that is not plain decimal digits is refused by the numeric encoder",
          "[postgres-binary]") {
  for (const char* text : {"", "-", ".", "1e5", "NaN", "1.2.3", "+1", " 1", "1,5", "0x10"}) {
    INFO(text);
    std::string out;
    CHECK_FALSE(EncodeNumeric(text, out));
  }
  std::string out;
  CHECK_FALSE(EncodeNumeric("0." + std::string(16384, '1'), out));  // beyond numeric's dscale
  CHECK(EncodeNumeric("0." + std::string(16383, '1'), out));
}

TEST_CASE("every binary form round-trips through a batch, NULLs included", "[postgres-binary]") {
  const std::vector<BinaryForm> forms = {
      BinaryForm::kBool,      BinaryForm::kInt2,    BinaryForm::kInt4,   BinaryForm::kOid,
      BinaryForm::kInt8,      BinaryForm::kNumeric, BinaryForm::kFloat4, BinaryForm::kFloat8,
      BinaryForm::kBytes,     BinaryForm::kJsonb,   BinaryForm::kDate,   BinaryForm::kTime,
      BinaryForm::kTimestamp, BinaryForm::kUuid,    BinaryForm::kBytes};
  const std::vector<Storage> storages = {
      Storage::kBool,    Storage::kInt64,   Storage::kInt64,     Storage::kInt64, Storage::kInt64,
      Storage::kDecimal, Storage::kFloat64, Storage::kFloat64,   Storage::kText,  Storage::kText,
      Storage::kDate,    Storage::kTime,    Storage::kTimestamp, Storage::kUuid,  Storage::kBytes};
  Batch batch(storages);
  auto row = [&](bool b, int64_t i2, int64_t i4, int64_t oid, int64_t i8, const char* numeric,
                 double f4, double f8, std::string_view text, std::string_view json,
                 const char* date, const char* time, const char* ts, const char* uuid,
                 std::string_view bytes) {
    batch.column(0).AppendInt(b);
    batch.column(1).AppendInt(i2);
    batch.column(2).AppendInt(i4);
    batch.column(3).AppendInt(oid);
    batch.column(4).AppendInt(i8);
    batch.column(5).AppendBytes(numeric);
    batch.column(6).AppendFloat(f4);
    batch.column(7).AppendFloat(f8);
    batch.column(8).AppendBytes(text);
    batch.column(9).AppendBytes(json);
    batch.column(10).AppendInt(*ParseDate(date));
    batch.column(11).AppendInt(*ParseTime(time));
    batch.column(12).AppendInt(*ParseTimestamp(ts));
    unsigned char u[16];
    REQUIRE(ParseUuid(uuid, u));
    batch.column(13).AppendBytes(std::string_view(reinterpret_cast<char*>(u), 16));
    batch.column(14).AppendBytes(bytes);
  };
  row(true, -32768, -2147483648LL, 4294967295LL, std::numeric_limits<int64_t>::min(),
      "-99999999999999999999999999999999999999.5", -3.4028234663852886e38, -0.0, "", "[]",
      "0001-01-01", "00:00:00", "0001-01-01 00:00:00", "00000000-0000-0000-0000-000000000000",
      std::string_view("\0\xff", 2));
  row(false, 32767, 2147483647, 0, std::numeric_limits<int64_t>::max(), "0.000",
      std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(),
      "Ünïcødé 😀\t\n\\", "{\"a\": 1}", "9999-12-31", "23:59:59.999999",
      "9999-12-31 23:59:59.999999", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "");
  row(true, 0, 0, 1, 0, "1.50", 1.401298464324817e-45, 4.9e-324, "x", "null", "1969-12-31",
      "12:34:56.5", "1969-12-31 23:59:59.999999", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "z");
  for (size_t c = 0; c < storages.size(); ++c) batch.column(c).AppendNull();

  Batch out = RoundTrip(batch, forms, storages);
  REQUIRE(out.num_rows() == 4);
  for (size_t c = 0; c < storages.size(); ++c) {
    for (size_t r = 0; r < 4; ++r) {
      INFO("column " << c << " row " << r);
      CHECK(out.column(c).IsNull(r) == batch.column(c).IsNull(r));
      CHECK(FormatValue(out.column(c), r) == FormatValue(batch.column(c), r));
    }
  }
  // -0.0 keeps its sign, NaN stays NaN.
  CHECK(std::signbit(out.column(6).Float(0)));
  CHECK(std::isnan(out.column(7).Float(1)));
}

TEST_CASE("dates and timestamps move between PostgreSQL's 2000 epoch and 1970",
          "[postgres-binary]") {
  Batch batch({Storage::kDate, Storage::kTimestamp});
  batch.column(0).AppendInt(*ParseDate("2000-01-01"));
  batch.column(1).AppendInt(*ParseTimestamp("2000-01-01 00:00:00.000001"));
  std::string wire;
  EncodeFailure failure;
  REQUIRE(EncodeBinaryRows(batch, {BinaryForm::kDate, BinaryForm::kTimestamp}, wire, &failure));
  CHECK(wire == Bytes({0, 2, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1}));
}

TEST_CASE("infinite dates and timestamps and other undecodable values are named by column",
          "[postgres-binary]") {
  const std::vector<BinaryForm> forms = {BinaryForm::kInt4, BinaryForm::kDate,
                                         BinaryForm::kTimestamp, BinaryForm::kNumeric};
  TupleDecoder decoder(forms);
  auto tuple = [](const std::string& date, const std::string& ts, const std::string& numeric) {
    std::string t = Bytes({0, 4, 0, 0, 0, 4, 0, 0, 0, 42});
    t += Bytes({0, 0, 0, 4}) + date + Bytes({0, 0, 0, 8}) + ts;
    t += Bytes({0, 0, 0, int(numeric.size())}) + numeric;
    return t;
  };
  const std::string date = Bytes({0, 0, 0, 1});
  const std::string ts = Bytes({0, 0, 0, 0, 0, 0, 0, 1});
  const std::string one = NumericBytes(0, 0, 0, {1});
  struct Case {
    std::string tuple;
    size_t column;
  };
  for (const Case& c :
       {Case{tuple(Bytes({0x7f, 0xff, 0xff, 0xff}), ts, one), 1},
        Case{tuple(Bytes({0x80, 0, 0, 0}), ts, one), 1},
        Case{tuple(date, Bytes({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), one), 2},
        Case{tuple(date, Bytes({0x80, 0, 0, 0, 0, 0, 0, 0}), one), 2},
        Case{tuple(date, ts, NumericBytes(0, 0xC000, 0, {})), 3}}) {
    Batch batch({Storage::kInt64, Storage::kDate, Storage::kTimestamp, Storage::kDecimal});
    int fields = 0;
    REQUIRE(FrameTuple(c.tuple, &fields) == c.tuple.size());
    DecodeFailure failure;
    CHECK_FALSE(decoder.Decode(c.tuple.data(), batch, &failure));
    CHECK(failure.column == c.column);
    // The row is still whole, with the key decoded and the bad value as NULL.
    CHECK(batch.num_rows() == 1);
    CHECK(batch.column(0).Int(0) == 42);
    CHECK(batch.column(c.column).IsNull(0));
  }
}

TEST_CASE("a tuple is framed only once every byte of it has arrived", "[postgres-binary]") {
  Batch batch({Storage::kInt64, Storage::kText});
  batch.column(0).AppendInt(7);
  batch.column(1).AppendBytes("hello");
  batch.column(0).AppendInt(8);
  batch.column(1).AppendNull();
  std::string wire;
  EncodeFailure failure;
  REQUIRE(EncodeBinaryRows(batch, {BinaryForm::kInt8, BinaryForm::kBytes}, wire, &failure));
  const size_t first = 2 + 4 + 8 + 4 + 5;
  int fields = 0;
  for (size_t n = 0; n < first; ++n)
    CHECK(FrameTuple(std::string_view(wire).substr(0, n), &fields) == 0);
  CHECK(FrameTuple(wire, &fields) == first);
  CHECK(fields == 2);
  CHECK(FrameTuple(std::string_view(wire).substr(first), &fields) == 2 + 4 + 8 + 4);
  CHECK(FrameTuple(kTrailer, &fields) == 2);
  CHECK(fields == -1);
  CHECK_THROWS_AS(FrameTuple(Bytes({0, 1, 0xff, 0xff, 0xff, 0xfe}), &fields), Error);
}

TEST_CASE("the binary COPY header is recognised and anything else refused", "[postgres-binary]") {
  CHECK(ParseHeader(kHeader) == 19);
  CHECK(ParseHeader(kHeader.substr(0, 18)) == 0);
  std::string with_extension = std::string(kHeader.substr(0, 15)) + Bytes({0, 0, 0, 3}) + "abc";
  CHECK(ParseHeader(with_extension) == 22);
  CHECK(ParseHeader(with_extension.substr(0, 21)) == 0);
  std::string oids = std::string(kHeader);
  oids[13] = 1;  // flag bit 16: tuples carry OIDs
  CHECK_THROWS_AS(ParseHeader(oids), Error);
  CHECK_THROWS_AS(ParseHeader(std::string(19, 'x')), Error);
}

TEST_CASE("a value that cannot be encoded is reported with its row and column",
          "[postgres-binary]") {
  Batch batch({Storage::kInt64, Storage::kDecimal});
  batch.column(0).AppendInt(1);
  batch.column(1).AppendBytes("1.5");
  batch.column(0).AppendInt(2);
  batch.column(1).AppendBytes("1e5");
  std::string wire = "kept";
  EncodeFailure failure;
  CHECK_FALSE(EncodeBinaryRows(batch, {BinaryForm::kInt8, BinaryForm::kNumeric}, wire, &failure));
  CHECK(failure.row == 1);
  CHECK(failure.column == 1);
  // Described by size (the value itself only with --show-values).
  CHECK(failure.reason.find("a value of 3 bytes") != std::string::npos);
  CHECK(failure.reason.find("1e5") == std::string::npos);
  // A storage the form cannot take is a bug, not a data error.
  CHECK_THROWS_AS(EncodeBinaryRows(batch, {BinaryForm::kInt8, BinaryForm::kDate}, wire, &failure),
                  Error);
}

TEST_CASE("text format escapes backslashes, tabs and line ends and writes NULL as backslash-N",
          "[postgres-binary]") {
  Batch batch({Storage::kInt64, Storage::kText, Storage::kBytes, Storage::kBool,
               Storage::kTimestamp, Storage::kTimestamp, Storage::kFloat64, Storage::kUuid});
  batch.column(0).AppendInt(-5);
  batch.column(1).AppendBytes("a\tb\nc\\d\re\\N");
  batch.column(2).AppendBytes(std::string_view("\0\xab", 2));
  batch.column(3).AppendInt(1);
  batch.column(4).AppendInt(*ParseTimestamp("2024-02-29 17:30:00.000001"));
  batch.column(5).AppendInt(*ParseTimestamp("1969-12-31 23:59:59"));
  batch.column(6).AppendFloat(-std::numeric_limits<double>::infinity());
  unsigned char u[16];
  REQUIRE(ParseUuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", u));
  batch.column(7).AppendBytes(std::string_view(reinterpret_cast<char*>(u), 16));
  for (size_t c = 0; c < 8; ++c) batch.column(c).AppendNull();
  std::string out;
  EncodeTextRows(batch, {false, false, false, false, false, true, false, false}, out);
  CHECK(out ==
        "-5\ta\\tb\\nc\\\\d\\re\\\\N\t\\\\x00ab\tt\t2024-02-29 17:30:00.000001\t"
        "1969-12-31 23:59:59+00\t-Infinity\ta0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\n"
        "\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n");
}

TEST_CASE("columns whose binary form ferry does not know go as text", "[postgres-binary]") {
  ColumnType jsonb = Type(TypeKind::kJson, "jsonb");
  jsonb.binary_json = true;
  ColumnType bigint = Type(TypeKind::kInteger, "bigint");
  bigint.width_bits = 64;
  ColumnType oid = Type(TypeKind::kInteger, "oid");
  oid.width_bits = 32;
  oid.is_unsigned = true;
  CHECK(BinaryFormOf(jsonb) == BinaryForm::kJsonb);
  CHECK(BinaryFormOf(Type(TypeKind::kJson, "json")) == BinaryForm::kBytes);
  CHECK(BinaryFormOf(bigint) == BinaryForm::kInt8);
  CHECK(BinaryFormOf(oid) == BinaryForm::kOid);
  CHECK(BinaryFormOf(Type(TypeKind::kVarchar, "character varying(20)")) == BinaryForm::kBytes);
  CHECK(BinaryFormOf(Type(TypeKind::kChar, "character(5)")) == BinaryForm::kBytes);
  CHECK(BinaryFormOf(Type(TypeKind::kText, "citext")) == BinaryForm::kBytes);
  CHECK(BinaryFormOf(Type(TypeKind::kTimestampTz, "timestamp(6) with time zone")) ==
        BinaryForm::kTimestamp);
  // An enum (its name is all the catalog gives), the one-byte "char", intervals, arrays.
  CHECK_FALSE(BinaryFormOf(Type(TypeKind::kText, "mood")));
  CHECK_FALSE(BinaryFormOf(Type(TypeKind::kChar, "\"char\"")));
  CHECK_FALSE(BinaryFormOf(Type(TypeKind::kUnsupported, "interval")));
  CHECK_FALSE(BinaryFormOf(Type(TypeKind::kUnsupported, "integer[]")));
}

TEST_CASE("libpq parameters come from psqlODBC's attributes in the connection string",
          "[postgres-binary][connection]") {
  auto no_dsn = [](const std::string&, const std::string&) -> std::string {
    FAIL("no DSN should be read");
    return "";
  };
  pq::ConnectParams params = pq::LibpqParams(
      "Driver={PostgreSQL Unicode};Server=db.example;Port=5433;Database={my;db};Uid=app;"
      "Pwd={p;w}}};UseDeclareFetch=1;BoolsAsChar=0;sslmode=require;sslrootcert=/etc/ca.pem;"
      "client_encoding=LATIN1;replication=database;",
      no_dsn);
  std::map<std::string, std::string> p(params.begin(), params.end());
  CHECK(p["host"] == "db.example");
  CHECK(p["port"] == "5433");
  CHECK(p["dbname"] == "my;db");
  CHECK(p["user"] == "app");
  CHECK(p["password"] == "p;w}");
  CHECK(p["sslmode"] == "require");
  CHECK(p["sslrootcert"] == "/etc/ca.pem");
  CHECK(p["client_encoding"] == "UTF8");
  CHECK(p["application_name"] == ferry::ThisSessionTag());
  CHECK(p.count("replication") == 0);
  CHECK(p.count("usedeclarefetch") == 0);
  CHECK(p.count("UseDeclareFetch") == 0);
}

TEST_CASE("a DSN's attributes from odbc.ini fill what the connection string leaves out",
          "[postgres-binary][connection]") {
  std::map<std::string, std::string> ini = {
      {"servername", "10.0.0.7"},     {"port", "6543"},
      {"database", "shop"},           {"username", "reader"},
      {"password", "Dsn-Secret-41x"}, {"pqopt", "keepalives=1 sslmode=verify-full"}};
  std::vector<std::string> asked;
  auto read = [&](const std::string& dsn, const std::string& key) {
    CHECK(dsn == "Shop DB");
    asked.push_back(key);
    auto it = ini.find(key);
    return it == ini.end() ? std::string() : it->second;
  };
  pq::ConnectParams params = pq::LibpqParams("DSN=Shop DB;UID=admin;", read);
  std::map<std::string, std::string> p(params.begin(), params.end());
  CHECK(p["host"] == "10.0.0.7");
  CHECK(p["port"] == "6543");
  CHECK(p["dbname"] == "shop");
  CHECK(p["user"] == "admin");  // the string wins over odbc.ini
  CHECK(p["password"] == "Dsn-Secret-41x");
  CHECK(p["keepalives"] == "1");
  CHECK(p["sslmode"] == "verify-full");
  // A password read from odbc.ini is a secret like any other.
  CHECK(Redact("login Dsn-Secret-41x failed") == "login *** failed");
}

TEST_CASE("a Pqopt that is not libpq conninfo is a usage error", "[postgres-binary][connection]") {
  auto none = [](const std::string&, const std::string&) { return std::string(); };
  CHECK_THROWS_AS(pq::LibpqParams("Server=x;Pqopt={keepalives='1};", none), Error);
}

TEST_CASE("the key fields of undecoded tuples can be decoded alone", "[postgres-binary]") {
  Batch batch({Storage::kText, Storage::kInt64, Storage::kDecimal, Storage::kInt64});
  const std::vector<BinaryForm> forms = {BinaryForm::kBytes, BinaryForm::kInt4,
                                         BinaryForm::kNumeric, BinaryForm::kInt8};
  for (int i = 0; i < 3; ++i) {
    batch.column(0).AppendBytes("row " + std::to_string(i));
    batch.column(1).AppendInt(10 + i);
    batch.column(2).AppendBytes(std::to_string(i) + ".5");
    if (i == 1) {
      batch.column(3).AppendNull();
    } else {
      batch.column(3).AppendInt(-i);
    }
  }
  std::string wire;
  EncodeFailure failure;
  REQUIRE(EncodeBinaryRows(batch, forms, wire, &failure));
  // A composite key named in another order than the columns: (c3, c1).
  Batch keys({Storage::kInt64, Storage::kInt64});
  CHECK(DecodeFields(wire, {3, 1}, {BinaryForm::kInt8, BinaryForm::kInt4}, keys) == 3);
  REQUIRE(keys.num_rows() == 3);
  CHECK(RenderKey(keys, {0, 1}, {"c3", "c1"}, 0) == "(c3, c1)=(0, 10)");
  CHECK(RenderKey(keys, {0, 1}, {"c3", "c1"}, 1) == "(c3, c1)=(NULL, 11)");
  CHECK(RenderKey(keys, {0, 1}, {"c3", "c1"}, 2) == "(c3, c1)=(-2, 12)");
}
