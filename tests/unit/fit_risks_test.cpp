// FitRisks: what ferry check warns about before a copy. Wider or equal destination types carry no
// risk; narrower ones name the values the converter would refuse.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "copier/convert.hpp"

using namespace ferry;

namespace {

ColumnType Make(TypeKind kind, int bits = 0, int precision = 0, int scale = 0,
                int64_t length = -1) {
  ColumnType t;
  t.kind = kind;
  t.width_bits = bits;
  t.precision = precision;
  t.scale = scale;
  t.length = length;
  t.native = "t";
  return t;
}

bool Mentions(const std::vector<std::string>& risks, const std::string& part) {
  for (const std::string& r : risks) {
    if (r.find(part) != std::string::npos) return true;
  }
  return false;
}

ValueLimits MariaDbLimits() {
  ValueLimits l;
  l.float_nan = l.float_infinity = l.float_negative_zero = false;
  l.max_decimal_precision = 65;
  return l;
}

}  // namespace

TEST_CASE("types at least as wide as the source carry no risk", "[fit]") {
  const ValueLimits any;
  CHECK(FitRisks(Make(TypeKind::kInteger, 32), Make(TypeKind::kInteger, 64), any, any).empty());
  CHECK(
      FitRisks(Make(TypeKind::kInteger, 64), Make(TypeKind::kDecimal, 0, 20, 0), any, any).empty());
  CHECK(FitRisks(Make(TypeKind::kDecimal, 0, 10, 2), Make(TypeKind::kDecimal, 0, 12, 4), any, any)
            .empty());
  CHECK(FitRisks(Make(TypeKind::kVarchar, 0, 0, 0, 20), Make(TypeKind::kVarchar, 0, 0, 0, 40), any,
                 any)
            .empty());
  CHECK(FitRisks(Make(TypeKind::kDouble), Make(TypeKind::kDouble), any, any).empty());
  CHECK(FitRisks(Make(TypeKind::kDecimal), Make(TypeKind::kDecimal), any, any).empty());
}

TEST_CASE("narrower destinations name the values that would be refused", "[fit]") {
  const ValueLimits any;
  CHECK(Mentions(FitRisks(Make(TypeKind::kInteger, 64), Make(TypeKind::kInteger, 32), any, any),
                 "outside -2147483648..2147483647"));
  CHECK(Mentions(
      FitRisks(Make(TypeKind::kDecimal, 0, 10, 4), Make(TypeKind::kDecimal, 0, 10, 2), any, any),
      "more than 2 digits after the point"));
  CHECK(Mentions(
      FitRisks(Make(TypeKind::kDecimal), Make(TypeKind::kDecimal, 0, 65, 30), any, MariaDbLimits()),
      "unconstrained numeric"));
  CHECK(Mentions(FitRisks(Make(TypeKind::kText), Make(TypeKind::kVarchar, 0, 0, 0, 10), any, any),
                 "longer than 10 characters"));
  CHECK(Mentions(FitRisks(Make(TypeKind::kDouble), Make(TypeKind::kReal), any, any), "4-byte"));
  CHECK(Mentions(
      FitRisks(Make(TypeKind::kTimestamp, 0, 6), Make(TypeKind::kTimestamp, 0, 3), any, any),
      "more than 3 fractional second digits"));
}

TEST_CASE("values an engine cannot store are risks only when the source can hold them", "[fit]") {
  const ValueLimits postgres;
  std::vector<std::string> risks =
      FitRisks(Make(TypeKind::kDouble), Make(TypeKind::kDouble), postgres, MariaDbLimits());
  CHECK(Mentions(risks, "NaN"));
  CHECK(Mentions(risks, "Infinity"));
  CHECK(Mentions(risks, "-0"));
  CHECK(FitRisks(Make(TypeKind::kDouble), Make(TypeKind::kDouble), MariaDbLimits(), postgres)
            .empty());
  ValueLimits sqlite;
  sqlite.requires_utf8 = false;
  ValueLimits pg;
  pg.nul_in_text = false;
  CHECK(Mentions(FitRisks(Make(TypeKind::kText), Make(TypeKind::kText), sqlite, pg), "UTF-8"));
}

TEST_CASE("an enumeration holds only its labels, so a text column as long as the longest fits it",
          "[fit]") {
  ColumnType labels = Make(TypeKind::kText);
  labels.labels = {"sad", "ok", "très heureux"};
  const ValueLimits any;
  CHECK_FALSE(
      Mentions(FitRisks(labels, Make(TypeKind::kVarchar, 0, 0, 0, 12), any, any), "text longer"));
  CHECK(Mentions(FitRisks(labels, Make(TypeKind::kVarchar, 0, 0, 0, 11), any, any),
                 "text longer than 11 characters"));
}
