// The helpers that every layer shares instead of keeping its own copy: names in lower case,
// grouped counts, the word for a kind of value, and foreign keys grouped from catalog rows.
#include <catch2/catch.hpp>

#include <cstdint>

#include "copier/foreign_keys.hpp"
#include "copier/text.hpp"
#include "copier/types.hpp"

using namespace ferry;

TEST_CASE("Lower folds ASCII letters only, as engines fold unquoted names", "[text]") {
  CHECK(Lower("Orders_2024") == "orders_2024");
  CHECK(Lower("") == "");
  CHECK(Lower("ÉCOLE") == "École");  // UTF-8 bytes are left as they are: only É's ASCII peers fold
}

TEST_CASE("Grouped puts a comma between every three digits, negative numbers included", "[text]") {
  CHECK(Grouped(0) == "0");
  CHECK(Grouped(999) == "999");
  CHECK(Grouped(1000) == "1,000");
  CHECK(Grouped(1234567) == "1,234,567");
  CHECK(Grouped(-123) == "-123");
  CHECK(Grouped(-1234) == "-1,234");
  CHECK(Grouped(INT64_MIN) == "-9,223,372,036,854,775,808");
}

TEST_CASE("ParseByteSize reads sizes as the help prints them, in powers of 1024", "[text]") {
  CHECK(ParseByteSize("67108864") == 67108864u);
  CHECK(ParseByteSize("64 MiB") == 64u << 20);
  CHECK(ParseByteSize("64MiB") == 64u << 20);
  CHECK(ParseByteSize("64MB") == 64u << 20);
  CHECK(ParseByteSize("64m") == 64u << 20);
  CHECK(ParseByteSize("512kB") == 512u << 10);
  CHECK(ParseByteSize("2 GiB") == uint64_t(2) << 30);
  CHECK(ParseByteSize("1T") == uint64_t(1) << 40);
  CHECK(ParseByteSize("0") == 0u);
  CHECK_FALSE(ParseByteSize(""));
  CHECK_FALSE(ParseByteSize("MiB"));
  CHECK_FALSE(ParseByteSize("-1"));
  CHECK_FALSE(ParseByteSize("1.5GiB"));
  CHECK_FALSE(ParseByteSize("64 mebibytes"));
  CHECK_FALSE(ParseByteSize("64  MiB"));
  CHECK_FALSE(ParseByteSize("17179869184 GiB"));  // 2^64: one more than the largest size
  CHECK_FALSE(ParseByteSize("99999999999999999999"));
}

TEST_CASE("KindWord names every kind a value can fail to be", "[types]") {
  CHECK(std::string(KindWord(TypeKind::kBoolean)) == "boolean");
  CHECK(std::string(KindWord(TypeKind::kInteger)) == "integer");
  CHECK(std::string(KindWord(TypeKind::kDecimal)) == "decimal number");
  CHECK(std::string(KindWord(TypeKind::kReal)) == "floating-point number");
  CHECK(std::string(KindWord(TypeKind::kDouble)) == "floating-point number");
  CHECK(std::string(KindWord(TypeKind::kDate)) == "date");
  CHECK(std::string(KindWord(TypeKind::kTime)) == "time of day");
  CHECK(std::string(KindWord(TypeKind::kTimestamp)) == "timestamp");
  CHECK(std::string(KindWord(TypeKind::kTimestampTz)) == "timestamp");
  CHECK(std::string(KindWord(TypeKind::kUuid)) == "UUID");
  CHECK(std::string(KindWord(TypeKind::kText)) == "value");
}

TEST_CASE("catalog rows of one constraint become one foreign key, in column order",
          "[catalog][foreign-keys]") {
  Table orders;
  orders.name = {"shop", "order_lines"};
  for (const char* name : {"id", "order_id", "tenant", "product"}) {
    Column c;
    c.name = name;
    orders.columns.push_back(c);
  }
  const std::vector<ForeignKeyColumnRow> rows = {
      {"fk_order", "tenant", {"shop", "orders"}, "tenant", "CASCADE", "NO ACTION"},
      {"fk_order", "order_id", {"shop", "orders"}, "id", "CASCADE", "NO ACTION"},
      {"fk_product", "product", {"shop", "products"}, "id", "SET NULL", "RESTRICT"},
  };
  AddForeignKeys(orders, rows);
  REQUIRE(orders.foreign_keys.size() == 2);
  const ForeignKey& order = orders.foreign_keys[0];
  CHECK(order.name == "fk_order");
  CHECK(order.columns == std::vector<int>{2, 1});
  CHECK(order.referenced_columns == std::vector<std::string>{"tenant", "id"});
  CHECK(order.references.name == "orders");
  CHECK(order.on_delete == "CASCADE");
  const ForeignKey& product = orders.foreign_keys[1];
  CHECK(product.columns == std::vector<int>{3});
  CHECK(product.on_delete == "SET NULL");
  CHECK(product.on_update == "RESTRICT");
}

TEST_CASE("a foreign key on a column the table does not have is left out, the others kept",
          "[catalog][foreign-keys]") {
  Table t;
  t.name = {"", "child"};
  Column id;
  id.name = "parent_id";
  t.columns.push_back(id);
  AddForeignKeys(t, {{"fk_gone", "parent_id", {"", "parent"}, "id"},
                     {"fk_gone", "dropped", {"", "parent"}, "other"},
                     {"fk_ok", "parent_id", {"", "parent"}, "id"}});
  REQUIRE(t.foreign_keys.size() == 1);
  CHECK(t.foreign_keys[0].name == "fk_ok");
  CHECK(t.foreign_keys[0].on_delete == "NO ACTION");
}

TEST_CASE("UTF-8 text is counted in characters, as the engines' char_length does", "[text]") {
  CHECK(ferry::Utf8Characters("") == 0);
  CHECK(ferry::Utf8Characters("abc") == 3);
  CHECK(ferry::Utf8Characters("\xc3\xa9t\xc3\xa9") == 3);  // été
  CHECK(ferry::Utf8Characters("\xf0\x9f\x98\x80!") == 2);  // an emoji and !
  CHECK(ferry::Utf8Characters("\xff\xfe") == 2);           // not UTF-8: a byte each
}
