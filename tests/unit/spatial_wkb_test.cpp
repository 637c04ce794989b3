// MariaDB's spatial values (SRID, then WKB) as the EWKB other engines get, and the bytes verify
// compares for them (copier/spatial.hpp).
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "copier/row_hash.hpp"
#include "copier/spatial.hpp"

using namespace ferry;

namespace {

std::string Bytes(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(char(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string Hex(const std::string& bytes) {
  static const char* const kDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : bytes) {
    out.push_back(kDigits[ch >> 4]);
    out.push_back(kDigits[ch & 15]);
  }
  return out;
}

// As MariaDB 10.11 returns them (SELECT HEX(col)).
const char* const kPoint4326 = "E61000000101000000000000000000F03F0000000000000040";
const char* const kLine =
    "0000000001020000000200000000000000000000000000000000000000000000000000F03F000000000000F03F";
const char* const kEmptyCollection = "00000000010700000000000000";

}  // namespace

TEST_CASE("a MariaDB point with an SRID becomes the EWKB PostGIS writes for it", "[spatial]") {
  std::optional<std::string> ewkb = EwkbOfSridPrefixed(Bytes(kPoint4326));
  REQUIRE(ewkb);
  CHECK(Hex(*ewkb) == "0101000020E6100000000000000000F03F0000000000000040");
  CHECK(SridOfEwkb(*ewkb) == 4326u);
  CHECK(IsEwkb(*ewkb));
}

TEST_CASE("a MariaDB geometry without an SRID becomes plain WKB", "[spatial]") {
  std::optional<std::string> line = EwkbOfSridPrefixed(Bytes(kLine));
  REQUIRE(line);
  CHECK(Hex(*line) == std::string(kLine).substr(8));
  CHECK(SridOfEwkb(*line) == 0u);
  std::optional<std::string> empty = EwkbOfSridPrefixed(Bytes(kEmptyCollection));
  REQUIRE(empty);
  CHECK(Hex(*empty) == "010700000000000000");
}

TEST_CASE("bytes that are not a whole spatial value are refused", "[spatial]") {
  const std::string point = Bytes(kPoint4326);
  CHECK_FALSE(EwkbOfSridPrefixed(point.substr(0, point.size() - 1)));
  CHECK_FALSE(EwkbOfSridPrefixed(point + "x"));
  CHECK_FALSE(EwkbOfSridPrefixed("abc"));
  // A collection claiming more members than its bytes hold.
  CHECK_FALSE(EwkbOfSridPrefixed(Bytes("0000000001070000000A000000")));
  CHECK_FALSE(IsEwkb(point));  // MariaDB's form never reads as EWKB
}

TEST_CASE("verify compares a MariaDB spatial value and its EWKB as the same bytes", "[spatial]") {
  const std::string ewkb = *EwkbOfSridPrefixed(Bytes(kPoint4326));
  CHECK(CanonicalSpatial(Bytes(kPoint4326)) == ewkb);
  CHECK(CanonicalSpatial(ewkb) == ewkb);
  // A changed coordinate is a different value.
  std::string moved = Bytes(kPoint4326);
  moved.back() = char(0x41);
  CHECK(CanonicalSpatial(moved) != ewkb);

  ColumnType mariadb, bytea;
  mariadb.kind = bytea.kind = TypeKind::kBlob;
  mariadb.spatial = "point";
  mariadb.srid_prefixed = true;
  CHECK(CanonicalFormFor(mariadb, bytea) == CanonicalForm::kSpatial);
  CHECK(CanonicalFormFor(mariadb, mariadb) == CanonicalForm::kBytes);
}

TEST_CASE("a MariaDB spatial column converts into EWKB bytes, NULLs kept, and refuses other bytes",
          "[spatial][convert]") {
  ColumnType integer, point, bytea;
  integer.kind = TypeKind::kInteger;
  integer.width_bits = 32;
  point.kind = bytea.kind = TypeKind::kBlob;
  point.spatial = "point";
  point.srid_prefixed = true;
  Column id{"id", integer, false}, source{"p", point}, dest{"p", bytea};
  ValueLimits limits;
  RowConverter converter("shapes", {{&id, &id}, {&source, &dest}}, limits, {0}, limits);
  Batch in(converter.input_storages());
  in.column(0).AppendInt(1);
  in.column(1).AppendBytes(Bytes(kPoint4326));
  in.column(0).AppendInt(2);
  in.column(1).AppendNull();
  Batch out;
  converter.Convert(in, out);
  CHECK(Hex(std::string(out.column(1).Bytes(0))) ==
        "0101000020E6100000000000000000F03F0000000000000040");
  CHECK(out.column(1).IsNull(1));

  in.Clear();
  in.column(0).AppendInt(3);
  in.column(1).AppendBytes("not a point");
  try {
    converter.Convert(in, out);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.context().column == "p");
    CHECK(e.context().key == "(id)=(3)");
    CHECK(e.message().find("not a spatial value") != std::string::npos);
  }
}
