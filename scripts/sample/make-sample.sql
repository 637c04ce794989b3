-- The quick start's sample source: about a million rows over five tables that use every type
-- ferry reads from SQLite, in the value formats it documents, with the awkward values a real
-- migration meets (NULLs, Unicode, limits, old dates). Run with: sqlite3 FILE < make-sample.sql
--
-- Rows are a pure function of their number: h1..h3 below are multiplicative hashes modulo the
-- prime 4294967291, each product kept under 2^63 so SQLite never falls back to floating point.
-- So every run writes the same data, and no random() or randomblob() appears anywhere.

PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -65536;

BEGIN;

-- Small pools the generators pick from by hash; TEMP tables are not part of the sample.
CREATE TEMP TABLE first_names (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
INSERT INTO first_names (k, v) VALUES
  (0, 'Ana'), (1, 'Zoë'), (2, 'Björn'), (3, 'François'), (4, 'Łukasz'), (5, 'Siobhán'),
  (6, 'José'), (7, 'Ångström'), (8, 'Øyvind'), (9, 'Dvořák'), (10, 'Jürgen'), (11, 'Renée'),
  (12, '美咲'), (13, '太郎'), (14, '민준'), (15, 'Дмитрий'), (16, 'محمد'), (17, 'נועה'),
  (18, 'Σοφία'), (19, 'Nguyễn'), (20, 'Ayşe'), (21, 'Þórdís'), (22, 'Mary'), (23, 'O''Brien');
CREATE TEMP TABLE last_names (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
INSERT INTO last_names (k, v) VALUES
  (0, 'Smith'), (1, 'Müller'), (2, 'García'), (3, 'Nørgaard'), (4, 'Çelik'), (5, 'Kowalczyk'),
  (6, '山田'), (7, '김'), (8, 'Иванов'), (9, 'الحسن'), (10, 'כהן'), (11, 'Παπαδόπουλος'),
  (12, 'Trần'), (13, 'Šťastný'), (14, 'D''Angelo'), (15, 'van der Berg'), (16, 'Ólafsdóttir'),
  (17, 'Lefèvre'), (18, '王'), (19, 'Okonkwo');
CREATE TEMP TABLE countries (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
INSERT INTO countries (k, v) VALUES
  (0, 'DE'), (1, 'FR'), (2, 'US'), (3, 'JP'), (4, 'KR'), (5, 'IL'), (6, 'EG'), (7, 'BR'),
  (8, 'NO'), (9, 'PL'), (10, 'VN'), (11, 'GR'), (12, 'IS'), (13, 'TR'), (14, 'IE'), (15, 'CN');
CREATE TEMP TABLE phrases (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
INSERT INTO phrases (k, v) VALUES
  (0, 'deliver to back door'), (1, 'livraison express, fragile'), (2, 'Geschenkverpackung bitte'),
  (3, '置き配希望'), (4, '문 앞에 놓아주세요'), (5, 'يرجى الاتصال قبل التسليم'),
  (6, 'להשאיר אצל השכן'), (7, 'call on arrival 📦🚚'), (8, 'entrega após às 18h'),
  (9, 'без звонка'), (10, 'ship with 🧊 ice packs'), (11, 'tab	and ''quotes'' "double"'),
  (12, 'line one' || char(10) || 'line two'), (13, 'backslash \ and 100% off'),
  (14, 'ℌ𝔢𝔩𝔩𝔬 𝕨𝕠𝕣𝕝𝕕'), (15, 'café crème brûlée');
CREATE TEMP TABLE levels (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
INSERT INTO levels (k, v) VALUES (0, 'DEBUG'), (1, 'INFO'), (2, 'INFO'), (3, 'INFO'),
  (4, 'WARN'), (5, 'ERROR'), (6, 'INFO'), (7, 'DEBUG');
CREATE TEMP TABLE offsets (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
INSERT INTO offsets (k, v) VALUES (0, '+00:00'), (1, '+01:00'), (2, '-05:00'), (3, '+05:30'),
  (4, '+09:00'), (5, '-08:00'), (6, '-03:30'), (7, '+13:45');

-- Customers: Unicode names, pre-1970 birth dates, JSON profiles. Single integer key.
CREATE TABLE customers (
  customer_id  INTEGER PRIMARY KEY,
  name         VARCHAR(100) NOT NULL,
  email        VARCHAR(254),
  country      CHAR(2),
  birth_date   DATE,
  is_active    BOOLEAN,
  credit_limit NUMERIC(12,2),
  rating       FLOAT4,
  created_at   TIMESTAMP(6) NOT NULL,
  external_id  UUID,
  profile      JSON_TEXT,
  notes        TEXT
);

INSERT INTO customers
SELECT
  i,
  (SELECT v FROM first_names WHERE k = h1 % 24) || ' ' || (SELECT v FROM last_names WHERE k = h2 % 20),
  CASE WHEN h3 % 31 = 0 THEN NULL
       WHEN h3 % 17 = 0 THEN printf('kunde%d@münchen.example', i)
       ELSE printf('customer%d@example.com', i) END,
  CASE WHEN h2 % 29 = 0 THEN NULL ELSE (SELECT v FROM countries WHERE k = h3 % 16) END,
  CASE WHEN h1 % 23 = 0 THEN NULL
       WHEN h1 % 9973 = 0 THEN '0001-01-01'
       ELSE date('1900-01-01', '+' || (h2 % 40000) || ' days') END,
  CASE WHEN h2 % 37 = 0 THEN NULL ELSE (h3 % 5 > 0) END,
  CASE WHEN h3 % 19 = 0 THEN NULL ELSE (h1 % 100000000) / 100.0 END,
  -- Multiples of 1/64 below 2^24 are exact 4-byte floats, as a real column would hold.
  CASE WHEN h1 % 41 = 0 THEN NULL ELSE (h2 % 321) / 64.0 END,
  printf('%s.%06d', datetime(946684800 + h3 % 788918400, 'unixepoch'), h1 % 1000000),
  CASE WHEN h2 % 43 = 0 THEN NULL
       ELSE printf('%08x-%04x-4%03x-%04x-%04x%08x', h1, h2 % 65536, h3 % 4096,
                   32768 + h1 % 16384, h3 % 65536, h2) END,
  CASE WHEN h1 % 47 = 0 THEN NULL
       ELSE json_object('tier', substr('BSGP', 1 + h2 % 4, 1), 'newsletter', json(iif(h3 % 2, 'true', 'false')),
                        'tags', json_array((SELECT v FROM countries WHERE k = h1 % 16), h3 % 100),
                        'nickname', (SELECT v FROM first_names WHERE k = h3 % 24)) END,
  CASE WHEN h3 % 13 = 0 THEN NULL
       WHEN h3 % 11 = 0 THEN ''
       ELSE (SELECT v FROM phrases WHERE k = h1 % 16) || ' — ' || (SELECT v FROM phrases WHERE k = h2 % 16) END
FROM (
  SELECT i, h1, (h1 * 1597334677 + 11) % 4294967291 AS h2,
         ((h1 * 1597334677 + 11) % 4294967291 * 1597334677 + 13) % 4294967291 AS h3
  FROM (SELECT value AS i, (value * 2654435761 + 97) % 4294967291 AS h1
        FROM generate_series(1, 120000))
);
CREATE UNIQUE INDEX customers_email ON customers (email);

-- Orders: the big table. Every nullable column has NULLs; totals are 38-digit exact decimals.
CREATE TABLE orders (
  order_id     INTEGER PRIMARY KEY,
  customer_id  BIGINT NOT NULL,
  order_date   DATE NOT NULL,
  status       CHAR(1) NOT NULL,
  priority     SMALLINT,
  quantity     INT,
  unit_price   NUMERIC(15,2),
  discount     FLOAT4,
  tax_rate     DOUBLE,
  total        DECIMAL_TEXT(38,10),
  is_gift      BOOLEAN,
  ship_time    TIME(6),
  placed_at    TIMESTAMPTZ(6),
  comment      VARCHAR(44),
  tracking_id  UUID
);

INSERT INTO orders
SELECT
  i,
  1 + h1 % 120000,
  date('1995-01-01', '+' || (h2 % 11000) || ' days'),
  substr('FOPRC', 1 + h3 % 5, 1),
  CASE WHEN h1 % 29 = 0 THEN NULL ELSE 1 + h2 % 5 END,
  CASE WHEN h2 % 31 = 0 THEN NULL ELSE 1 + h3 % 50 END,
  CASE WHEN h3 % 37 = 0 THEN NULL ELSE (h1 % 10000000) / 100.0 END,
  CASE WHEN h1 % 41 = 0 THEN NULL ELSE (h2 % 33) / 128.0 END,
  CASE WHEN h2 % 43 = 0 THEN NULL ELSE (h3 % 1000) / 3.0 END,
  CASE WHEN h3 % 47 = 0 THEN NULL
       WHEN h1 % 4 = 0 THEN printf('%s%d%018d.%010d', iif(h2 % 3 = 0, '-', ''),
                                   1000000000 + h1 % 9000000000, h2 * 1000 + h3 % 1000, h3)
       ELSE printf('%s%d.%010d', iif(h2 % 3 = 0, '-', ''), h1 % 100000, h2 % 10000000000) END,
  CASE WHEN h1 % 53 = 0 THEN NULL ELSE h2 % 7 = 0 END,
  CASE WHEN h2 % 59 = 0 THEN NULL
       ELSE printf('%02d:%02d:%02d.%06d', h1 % 24, h2 % 60, h3 % 60, h1 % 1000000) END,
  CASE WHEN h3 % 61 = 0 THEN NULL
       ELSE printf('%s.%06d%s', datetime(788918400 + h1 % 946080000, 'unixepoch'), h2 % 1000000,
                   (SELECT v FROM offsets WHERE k = h3 % 8)) END,
  CASE WHEN h1 % 67 = 0 THEN NULL
       WHEN h1 % 19 = 0 THEN ''
       ELSE (SELECT v FROM phrases WHERE k = h2 % 16) || printf(' #%d', i % 1000) END,
  CASE WHEN h2 % 71 = 0 THEN NULL
       ELSE printf('%08x-%04x-4%03x-%04x-%04x%08x', h2, h3 % 65536, h1 % 4096,
                   32768 + h3 % 16384, h1 % 65536, h3) END
FROM (
  SELECT i, h1, (h1 * 1597334677 + 11) % 4294967291 AS h2,
         ((h1 * 1597334677 + 11) % 4294967291 * 1597334677 + 13) % 4294967291 AS h3
  FROM (SELECT value AS i, (value * 2654435761 + 97) % 4294967291 AS h1
        FROM generate_series(1, 800000))
);
CREATE INDEX orders_customer ON orders (customer_id);

-- Stock levels: a composite primary key of a number and a text, stored WITHOUT ROWID.
CREATE TABLE stock_levels (
  warehouse_id SMALLINT NOT NULL,
  sku          VARCHAR(20) NOT NULL,
  bin          CHAR(6),
  on_hand      INT NOT NULL,
  reserved     INT,
  unit_cost    NUMERIC(10,4),
  weight_kg    DOUBLE,
  last_counted DATE,
  updated_at   TIMESTAMP(6),
  PRIMARY KEY (warehouse_id, sku)
) WITHOUT ROWID;

INSERT INTO stock_levels
SELECT
  w,
  CASE WHEN s % 97 = 0 THEN printf('ÜBER-%05d', s) WHEN s % 89 = 0 THEN printf('品番-%05d', s)
       ELSE printf('SKU-%06d', s) END,
  CASE WHEN h1 % 31 = 0 THEN NULL ELSE printf('%s%02d-%02d', substr('ABCDEF', 1 + h2 % 6, 1), h3 % 40, h1 % 12) END,
  h2 % 5000 - 100,
  CASE WHEN h3 % 23 = 0 THEN NULL ELSE h1 % 200 END,
  CASE WHEN h2 % 29 = 0 THEN NULL ELSE (h3 % 100000000) / 10000.0 END,
  CASE WHEN h1 % 37 = 0 THEN NULL ELSE (h2 % 1000000) / 7.0 END,
  CASE WHEN h3 % 41 = 0 THEN NULL
       WHEN h3 % 101 = 0 THEN '1969-12-31'
       ELSE date('1960-01-01', '+' || (h1 % 24000) || ' days') END,
  CASE WHEN h2 % 43 = 0 THEN NULL
       ELSE printf('%s.%06d', datetime(-315619200 + h3 % 2000000000, 'unixepoch'), h1 % 1000000) END
FROM (
  SELECT w, s, h1, (h1 * 1597334677 + 11) % 4294967291 AS h2,
         ((h1 * 1597334677 + 11) % 4294967291 * 1597334677 + 13) % 4294967291 AS h3
  FROM (SELECT w.value AS w, s.value AS s, ((w.value * 100000 + s.value) * 2654435761 + 97) % 4294967291 AS h1
        FROM generate_series(1, 30) AS w, generate_series(1, 2000) AS s)
);

-- Event log: no key at all, so ferry copies it with one reader. Blobs hold zero bytes.
CREATE TABLE event_log (
  logged_at   TIMESTAMP(6) NOT NULL,
  level       VARCHAR(8) NOT NULL,
  source      VARCHAR(40),
  message     TEXT,
  payload     BLOB,
  trace_id    UUID,
  duration_ms DOUBLE,
  attrs       JSON_TEXT
);

INSERT INTO event_log
SELECT
  printf('%s.%06d', datetime(1577836800 + i * 60 + h1 % 60, 'unixepoch'), h2 % 1000000),
  (SELECT v FROM levels WHERE k = h3 % 8),
  CASE WHEN h1 % 29 = 0 THEN NULL ELSE printf('svc-%s-%d', substr('abcdefgh', 1 + h2 % 8, 1), h3 % 12) END,
  CASE WHEN h2 % 31 = 0 THEN NULL
       WHEN h2 % 13 = 0 THEN ''
       ELSE (SELECT v FROM phrases WHERE k = h3 % 16) || printf(' (attempt %d)', h1 % 5) END,
  -- || turns blobs into text without checking the bytes, and CAST turns them back unchanged.
  CASE WHEN h3 % 37 = 0 THEN NULL
       WHEN h3 % 17 = 0 THEN x''
       ELSE CAST(x'00ff' || zeroblob(h1 % 7) || x'80fe0001' || printf('%d', i) || x'00' AS BLOB) END,
  CASE WHEN h1 % 41 = 0 THEN NULL
       ELSE printf('%08x-%04x-4%03x-%04x-%04x%08x', h3, h1 % 65536, h2 % 4096,
                   32768 + h2 % 16384, h3 % 65536, h1) END,
  CASE WHEN h2 % 43 = 0 THEN NULL ELSE (h3 % 100000) / 1000.0 + 0.0001 END,
  CASE WHEN h3 % 47 = 0 THEN NULL
       ELSE json_object('request', i, 'ok', json(iif(h1 % 5 > 0, 'true', 'false')),
                        'region', (SELECT v FROM countries WHERE k = h2 % 16)) END
FROM (
  SELECT i, h1, (h1 * 1597334677 + 11) % 4294967291 AS h2,
         ((h1 * 1597334677 + 11) % 4294967291 * 1597334677 + 13) % 4294967291 AS h3
  FROM (SELECT value AS i, (value * 2654435761 + 97) % 4294967291 AS h1
        FROM generate_series(1, 80000))
);

-- Edge cases: one row per awkward value, written out by hand, every type in one table.
CREATE TABLE type_edge_cases (
  id         INTEGER PRIMARY KEY,
  label      TEXT NOT NULL,
  flag       BOOLEAN,
  small_int  SMALLINT,
  int_val    INT,
  big_int    BIGINT,
  money      NUMERIC(15,2),
  wide_dec   DECIMAL_TEXT(38,10),
  whole_dec  DECIMAL_TEXT(38,0),
  real_val   FLOAT4,
  double_val DOUBLE,
  code       CHAR(5),
  short_text VARCHAR(20),
  long_text  TEXT,
  bytes      BLOB,
  day        DATE,
  clock      TIME(6),
  moment     TIMESTAMP(6),
  instant    TIMESTAMPTZ(6),
  uuid       UUID,
  doc        JSON_TEXT
);

INSERT INTO type_edge_cases VALUES
  (1, 'minimum values', 0, -32768, -2147483648, -9223372036854775808, -9999999999999.99,
   '-9999999999999999999999999999.9999999999', '-99999999999999999999999999999999999999',
   -3.4028234663852886e38, -1.7976931348623157e308, 'AAAAA', 'a', 'a', x'00',
   '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '0001-01-01 12:00:00+05:30',
   '00000000-0000-0000-0000-000000000000', '[]'),
  (2, 'maximum values', 1, 32767, 2147483647, 9223372036854775807, 9999999999999.99,
   '9999999999999999999999999999.9999999999', '99999999999999999999999999999999999999',
   3.4028234663852886e38, 1.7976931348623157e308, 'zzzzz', 'zzzzzzzzzzzzzzzzzzzz',
   'z', x'ffffffffffffffff', '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999',
   '9999-12-31 23:59:59.999999+00:00', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
   '{"max":9223372036854775807}'),
  (3, 'zero and empty', 0, 0, 0, 0, 0, '0', '0', 0.0, 0.0, '', '', '', x'', '1970-01-01',
   '00:00:00.000000', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00:00',
   '12345678-9abc-4def-8123-456789abcdef', '{}'),
  (4, 'all NULL', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL),
  (5, 'one step from zero', 1, -1, 1, -1, 0.01, '0.0000000001', '-1', 1.401298464324817e-45,
   4.9406564584124654e-324, ' ', ' ', ' ', zeroblob(16), '1969-12-31', '00:00:00.000001',
   '1969-12-31 23:59:59.999999', '1970-01-01 00:59:59.999999+01:00',
   '00000000-0000-0000-0000-000000000001', 'null'),
  (6, 'unicode', 1, 42, 42, 42, 12.34, '3.1415926535', '31415926535897932384626433832795028841',
   0.5, 0.1, 'ÀÉÎÕÜ', '東京都渋谷区神南一丁目', 'Zoë Ångström — 東京 — مرحبا بالعالم — שלום עולם — 😀👩‍🚀🇯🇵 — 𝄞 — e' || char(769),
   CAST('naïve ' || x'00' || ' 😀' AS BLOB), '2024-02-29', '12:34:56.789012',
   '2024-02-29 12:34:56.789012', '2024-02-29 23:30:00.5-05:00',
   'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{"emoji":"😀","rtl":"مرحبا","nested":{"a":[1,2.5,null,true]}}'),
  (7, 'historic dates', 0, 1582, 15821004, -62135596800, -1.5, '-0.5', '1582',
   -2.5, -0.000001, '1582', 'Gregorian switch', 'the day before the Gregorian reform',
   x'0001020304050607', '1582-10-04', '11:59:59.5', '1582-10-15 00:00:00.000001',
   '1900-01-01 00:00:00+00:00', 'c0ffee00-dead-beef-cafe-000000000000', '"a JSON string"'),
  (8, 'moon landing', 1, 1969, 19690720, -14182940, 25000.00, '-1969.0720201740', '-1969',
   1969.25, -14182940.5, 'APOLO', 'Apollo 11', 'The Eagle has landed.' || char(10) || 'Tranquility Base here.',
   CAST('tranquility' || x'00' AS BLOB), '1969-07-20', '20:17:40', '1969-07-20 20:17:40.000001',
   '1969-07-20 16:17:40.000001-04:00', '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
   '{"crew":["Armstrong","Aldrin","Collins"],"year":1969}'),
  (9, 'infinities', 1, 1, 1, 1, 1, '1', '1', 9e999, -9e999, 'inf', 'infinity', 'huge',
   x'7f', '2000-01-01', '00:00:01', '2000-01-01 00:00:00.1', '2000-01-01 00:00:00.1+00:00',
   'ffffffff-0000-4000-8000-000000000000', '{"inf":"not a JSON number"}');

COMMIT;

ANALYZE;
