// The type matrix: one table, all_types, holding every supported type at its limits in each
// engine's own spelling (tests/integration/types_test.cpp, staging_test.cpp).
#include "tests/support/type_fixtures.hpp"

namespace ferry::test {

namespace {

const char* kPostgresFixture = R"sql(
CREATE TABLE all_types (
  id integer PRIMARY KEY, c_smallint smallint, c_int integer, c_bigint bigint,
  c_numeric numeric(38,10), c_money numeric(10,2), c_real real, c_double double precision,
  c_bool boolean, c_char char(5), c_varchar varchar(40), c_text text, c_bytes bytea,
  c_date date, c_time time(6), c_ts timestamp(6), c_tstz timestamptz(6), c_uuid uuid,
  c_json jsonb, c_json_text json);
INSERT INTO all_types VALUES
 (1, -32768, -2147483648, -9223372036854775808, -9999999999999999999999999999.9999999999,
  -99999999.99, -3.4028235e38, -1.7976931348623157e308, false, 'a', '', '', '\x00',
  '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '1970-01-01 00:00:01+00',
  '00000000-0000-0000-0000-000000000000', '[]', '[]'),
 (2, 32767, 2147483647, 9223372036854775807, 9999999999999999999999999999.9999999999,
  99999999.99, 3.4028235e38, 1.7976931348623157e308, true, 'abcde',
  'héllo wörld ñ 中文 עברית 😀🎉', 'Ünïcødé: Ελληνικά, русский, 日本語, العربية, 🦀👩‍👩‍👧',
  '\x00ff00010203fe', '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999',
  '2038-01-19 03:14:07.999999+00', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '{"a": [1, 2.5, "x", null], "b": {"c": true}, "ü": "😀"}', '{"k": "v", "n": 1}'),
 (3, 12345, 1234567890, 1234567890123456789, 0.0000000001, 0.01, 0.1, 0.1, true, 'ab',
  'x y', E'line1\nline2\ttab "quote" ''apos'' \\ backslash', '\x000102030405060708090a0b0c0d0e0f',
  '1969-12-31', '12:34:56.5', '1969-12-31 23:59:59.999999', '2024-02-29 17:30:00.000001+05:30',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '"just a string"', '"just a string"'),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL),
 (5, 0, 0, 0, 0, 0, 1.4e-45, 4.9e-324, false, '     ', ' ', ' ', '\x', '2000-02-29',
  '00:00:00.000001', '2000-02-29 12:00:00', '1999-12-31 23:59:59+00',
  '123e4567-e89b-12d3-a456-426614174000', '{}', '{}');
)sql";

const char* kMariaDbFixture = R"sql(
CREATE TABLE all_types (
  id int PRIMARY KEY, c_smallint smallint, c_int int, c_bigint bigint,
  c_numeric decimal(38,10), c_money decimal(10,2), c_real float, c_double double,
  c_bool boolean, c_char char(5), c_varchar varchar(40), c_text longtext, c_bytes longblob,
  c_date date, c_time time(6), c_ts datetime(6), c_tstz timestamp(6) NULL, c_uuid uuid,
  c_json json, c_json_text longtext, c_tinyint_u tinyint unsigned, c_int_u int unsigned,
  c_bigint_u bigint unsigned) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
INSERT INTO all_types VALUES
 (1, -32768, -2147483648, -9223372036854775808, -9999999999999999999999999999.9999999999,
  -99999999.99, -3.40282e38, -1.7976931348623157e308, false, 'a', '', '', X'00',
  '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '1970-01-01 00:00:01',
  '00000000-0000-0000-0000-000000000000', '[]', '[]', 0, 0, 0),
 (2, 32767, 2147483647, 9223372036854775807, 9999999999999999999999999999.9999999999,
  99999999.99, 3.40282e38, 1.7976931348623157e308, true, 'abcde',
  'héllo wörld ñ 中文 עברית 😀🎉', 'Ünïcødé: Ελληνικά, русский, 日本語, العربية, 🦀👩‍👩‍👧',
  X'00ff00010203fe', '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999',
  '2038-01-19 03:14:07.999999', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '{"a": [1, 2.5, "x", null], "b": {"c": true}, "ü": "😀"}', '{"k": "v", "n": 1}',
  255, 4294967295, 18446744073709551615),
 (3, 12345, 1234567890, 1234567890123456789, 0.0000000001, 0.01, 0.1, 0.1, true, 'ab',
  'x y', 'line1\nline2\ttab "quote" ''apos'' \\ backslash', X'000102030405060708090a0b0c0d0e0f',
  '1969-12-31', '12:34:56.5', '1969-12-31 23:59:59.999999', '2024-02-29 12:00:00.000001',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '"just a string"', '"just a string"', 7, 7, 7),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (5, 0, 0, 0, 0, 0, 1.5, 4.9e-324, false, '', ' ', ' ', X'', '2000-02-29',
  '00:00:00.000001', '2000-02-29 12:00:00', '1999-12-31 23:59:59',
  '123e4567-e89b-12d3-a456-426614174000', '{}', '{}', 1, 1, 1);
)sql";

const char* kSqliteFixture = R"sql(
CREATE TABLE all_types (
  id INTEGER PRIMARY KEY, c_smallint SMALLINT, c_int INT, c_bigint BIGINT,
  c_numeric DECIMAL_TEXT(38,10), c_money NUMERIC(10,2), c_real FLOAT4, c_double DOUBLE,
  c_bool BOOLEAN, c_char CHAR(5), c_varchar VARCHAR(40), c_text TEXT, c_bytes BLOB,
  c_date DATE, c_time TIME(6), c_ts TIMESTAMP(6), c_tstz TIMESTAMPTZ(6), c_uuid UUID,
  c_json JSON_TEXT, c_json_text TEXT);
INSERT INTO all_types VALUES
 (1, -32768, -2147483648, -9223372036854775808, '-9999999999999999999999999999.9999999999',
  -99999999.99, -3.4028234663852886e38, -1.7976931348623157e308, 0, 'a', '', '', X'00',
  '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '1970-01-01 00:00:01+00:00',
  '00000000-0000-0000-0000-000000000000', '[]', '[]'),
 (2, 32767, 2147483647, 9223372036854775807, '9999999999999999999999999999.9999999999',
  99999999.99, 3.4028234663852886e38, 1.7976931348623157e308, 1, 'abcde',
  'héllo wörld ñ 中文 עברית 😀🎉', 'Ünïcødé: Ελληνικά, русский, 日本語, العربية, 🦀👩‍👩‍👧',
  X'00ff00010203fe', '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999',
  '2038-01-19 03:14:07.999999Z', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '{"a": [1, 2.5, "x", null], "b": {"c": true}, "ü": "😀"}', '{"k": "v", "n": 1}'),
 (3, 12345, 1234567890, 1234567890123456789, '0.0000000001', 0.01, 0.10000000149011612, 0.1,
  1, 'ab', 'x y', 'line1' || char(10) || 'line2' || char(9) || 'tab "quote" ''apos'' \ backslash',
  X'000102030405060708090a0b0c0d0e0f', '1969-12-31', '12:34:56.5',
  '1969-12-31 23:59:59.999999', '2024-02-29T17:30:00.000001+05:30',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '"just a string"', '"just a string"'),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL),
 (5, 0, 0, 0, '0', 0, 1.401298464324817e-45, 4.9e-324, 0, '     ', ' ', ' ', X'', '2000-02-29',
  '00:00:00.000001', '2000-02-29 12:00:00', '1999-12-31 23:59:59+00',
  '123e4567-e89b-12d3-a456-426614174000', '{}', '{}');
)sql";

}  // namespace

void LoadTypeFixture(TestDatabase& db) {
  switch (db.db()) {
    case Db::kPostgres:
      db.Exec(kPostgresFixture);
      break;
    case Db::kMariaDB:
      db.Exec(kMariaDbFixture);
      break;
    case Db::kSQLite:
      db.Exec(kSqliteFixture);
      break;
  }
}

}  // namespace ferry::test
