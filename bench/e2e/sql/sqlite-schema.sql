-- The reference workload's tables in SQLite, the shapes of pg-schema.sql with declared types
-- whose affinity keeps the values as loaded (l_id is the rowid, as an integer key there is).
DROP TABLE IF EXISTS lineitem;
DROP TABLE IF EXISTS wide_events;
DROP TABLE IF EXISTS order_lines_cpk;
DROP TABLE IF EXISTS audit_log_nopk;
CREATE TABLE lineitem (
  l_id            INTEGER       NOT NULL PRIMARY KEY,
  l_orderkey      BIGINT        NOT NULL,
  l_partkey       INTEGER       NOT NULL,
  l_suppkey       INTEGER       NOT NULL,
  l_linenumber    INTEGER       NOT NULL,
  l_quantity      NUMERIC(15,2) NOT NULL,
  l_extendedprice NUMERIC(15,2) NOT NULL,
  l_discount      NUMERIC(15,2) NOT NULL,
  l_tax           NUMERIC(15,2) NOT NULL,
  l_returnflag    CHAR(1)       NOT NULL,
  l_linestatus    CHAR(1)       NOT NULL,
  l_shipdate      DATE          NOT NULL,
  l_commitdate    DATE          NOT NULL,
  l_receiptdate   DATE          NOT NULL,
  l_shipinstruct  CHAR(25)      NOT NULL,
  l_shipmode      CHAR(10)      NOT NULL,
  l_comment       VARCHAR(44)   NOT NULL
);
CREATE TABLE wide_events (
  id          INTEGER       NOT NULL PRIMARY KEY,
  event_uuid  UUID          NOT NULL,
  created_at  TIMESTAMP(6)  NOT NULL,
  user_id     BIGINT,
  kind        VARCHAR(32)   NOT NULL,
  payload     TEXT          NOT NULL,
  attrs       TEXT,
  score       DOUBLE,
  note        VARCHAR(200),
  flag        BOOLEAN
);
CREATE TABLE order_lines_cpk (
  tenant_id   INTEGER       NOT NULL,
  order_id    BIGINT        NOT NULL,
  line_no     INTEGER       NOT NULL,
  sku         VARCHAR(20)   NOT NULL,
  qty         INTEGER       NOT NULL,
  price       NUMERIC(12,2) NOT NULL,
  updated_at  TIMESTAMP     NOT NULL,
  PRIMARY KEY (tenant_id, order_id, line_no)
);
CREATE TABLE audit_log_nopk (
  ts     TIMESTAMP(6)  NOT NULL,
  host   VARCHAR(64)   NOT NULL,
  level  VARCHAR(8)    NOT NULL,
  msg    TEXT          NOT NULL,
  value  DOUBLE
);
