// Foreign keys whose column types the destination would refuse: MariaDB keys integers of one
// width and signedness and text short enough to index, so a SQLite INTEGER key referenced by a
// SMALLINT column must land as one type on both sides; what cannot be made one type is named.
#include <catch2/catch.hpp>

#include "copier/foreign_keys.hpp"

using namespace ferry;

namespace {

ColumnType Integer(int bits, bool is_unsigned = false) {
  ColumnType t;
  t.kind = TypeKind::kInteger;
  t.width_bits = bits;
  t.is_unsigned = is_unsigned;
  return t;
}

ColumnType Text(TypeKind kind, int64_t length = -1) {
  ColumnType t;
  t.kind = kind;
  t.length = length;
  return t;
}

Table MakeTable(const std::string& name, std::vector<std::pair<std::string, ColumnType>> columns) {
  Table t;
  t.name = {"main", name};
  for (auto& [column, type] : columns) t.columns.push_back(Column{column, type});
  return t;
}

void Reference(Table& table, int column, const std::string& to, const std::string& to_column) {
  ForeignKey fk;
  fk.name = table.name.name + "_fk";
  fk.columns = {column};
  fk.references = {"main", to};
  fk.referenced_columns = {to_column};
  table.foreign_keys.push_back(fk);
}

EngineTraits MariaDb() {
  EngineTraits t;
  t.foreign_key_types = KeyTypeMatch::kSame;
  t.longest_key_text = 768;
  return t;
}

}  // namespace

TEST_CASE("a key column narrower than the column it references is widened to its type for MariaDB",
          "[foreign_keys]") {
  Table language = MakeTable("language", {{"language_id", Integer(64)}});
  Table film = MakeTable("film", {{"film_id", Integer(64)}, {"language_id", Integer(16)}});
  Reference(film, 1, "language", "language_id");
  KeyColumnTypes types = UnifyForeignKeyTypes({language, film}, MariaDb());
  REQUIRE(types.size() == 1);
  const ColumnType& widened = types.at({film.name, "language_id"});
  CHECK(widened.width_bits == 64);
  CHECK_FALSE(widened.is_unsigned);
  // PostgreSQL compares an integer with a bigint: nothing to change there.
  CHECK(UnifyForeignKeyTypes({language, film}, EngineTraits{}).empty());
}

TEST_CASE("a chain of keys gets one integer type, signed and wide enough for unsigned members",
          "[foreign_keys]") {
  Table a = MakeTable("a", {{"id", Integer(32, true)}});
  Table b = MakeTable("b", {{"id", Integer(16)}, {"a_id", Integer(32, true)}});
  Table c = MakeTable("c", {{"b_id", Integer(8)}});
  Reference(b, 1, "a", "id");
  Reference(c, 0, "b", "id");
  KeyColumnTypes types = UnifyForeignKeyTypes({a, b, c}, MariaDb());
  // b.id and c.b_id join through one key, a.id and b.a_id through another: two groups.
  CHECK(types.at({c.name, "b_id"}).width_bits == 16);
  CHECK_FALSE(types.count({a.name, "id"}));
  CHECK_FALSE(types.count({b.name, "a_id"}));

  Table d = MakeTable("d", {{"a_id", Integer(16)}});
  Reference(d, 0, "a", "id");
  types = UnifyForeignKeyTypes({a, d}, MariaDb());
  CHECK(types.at({a.name, "id"}).width_bits == 64);  // int unsigned and smallint: bigint
  CHECK_FALSE(types.at({a.name, "id"}).is_unsigned);
  CHECK(types.at({d.name, "a_id"}).width_bits == 64);
}

TEST_CASE("text keys longer than MariaDB indexes are bounded to its longest key text",
          "[foreign_keys]") {
  Table country = MakeTable("country", {{"code", Text(TypeKind::kText)}});
  Table city = MakeTable("city", {{"country", Text(TypeKind::kVarchar, 10)}});
  Reference(city, 0, "country", "code");
  KeyColumnTypes types = UnifyForeignKeyTypes({country, city}, MariaDb());
  REQUIRE(types.size() == 1);
  CHECK(types.at({country.name, "code"}).kind == TypeKind::kVarchar);
  CHECK(types.at({country.name, "code"}).length == 768);
}

TEST_CASE("a key between types the destination cannot compare is named with both columns",
          "[foreign_keys]") {
  Column integer{"id", Integer(64)};
  Column text{"ref", Text(TypeKind::kText)};
  integer.type.native = "bigint";
  text.type.native = "text";
  const std::string problem = ForeignKeyTypeProblem({&text}, {&integer}, EngineTraits{});
  CHECK(problem.find("ref (text) cannot reference id (bigint)") != std::string::npos);
  EngineTraits sqlite;
  sqlite.foreign_key_types = KeyTypeMatch::kAny;
  CHECK(ForeignKeyTypeProblem({&text}, {&integer}, sqlite).empty());

  Column narrow{"language_id", Integer(16)};
  CHECK_FALSE(ForeignKeyTypeProblem({&narrow}, {&integer}, MariaDb()).empty());
  CHECK(ForeignKeyTypeProblem({&narrow}, {&integer}, EngineTraits{}).empty());
  Column wide{"language_id", Integer(64)};
  CHECK(ForeignKeyTypeProblem({&wide}, {&integer}, MariaDb()).empty());
}

TEST_CASE(
    "a foreign key naming a two-column key's columns in another order than the key follows the "
    "key's order, each column with the one it references (GitLab's keys between partitioned "
    "tables, which MariaDB refuses otherwise)",
    "[foreign-keys]") {
  Table pipelines =
      MakeTable("p_ci_pipelines", {{"id", Integer(64)}, {"partition_id", Integer(64)}});
  pipelines.primary_key = {0, 1};
  ForeignKey fk;
  fk.name = "fk_87f4cefcda";
  fk.columns = {7, 3};  // partition_id, commit_id of the referencing table
  fk.references = pipelines.name;
  fk.referenced_columns = {"partition_id", "id"};
  FollowReferencedKeyOrder(fk, pipelines);
  CHECK(fk.columns == std::vector<int>{3, 7});
  CHECK(fk.referenced_columns == std::vector<std::string>{"id", "partition_id"});
  // A key already in the order of a unique index stays as it is, and so does one that matches
  // no key of the table.
  Table other = MakeTable("t", {{"a", Integer(32)}, {"b", Integer(32)}, {"c", Integer(32)}});
  other.primary_key = {2};
  other.unique_indexes.push_back(Index{"t_b_a", {1, 0}, true, ""});
  ForeignKey unique = fk;
  unique.columns = {4, 5};
  unique.referenced_columns = {"b", "a"};
  FollowReferencedKeyOrder(unique, other);
  CHECK(unique.columns == std::vector<int>{4, 5});
  ForeignKey none = unique;
  none.referenced_columns = {"a", "c"};
  FollowReferencedKeyOrder(none, other);
  CHECK(none.referenced_columns == std::vector<std::string>{"a", "c"});
}
