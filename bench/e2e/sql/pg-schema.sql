-- The reference workload's tables in PostgreSQL, without keys: rows go in first, keys after
-- (pg-keys.sql), as a bulk load should. mariadb-schema.sql and sqlite-schema.sql mirror it.
DROP TABLE IF EXISTS lineitem, wide_events, order_lines_cpk, audit_log_nopk;

-- TPC-H's lineitem with a surrogate bigint key: narrow rows, fixed-point money, dates.
CREATE TABLE lineitem (
  l_id            bigint        NOT NULL,
  l_orderkey      bigint        NOT NULL,
  l_partkey       integer       NOT NULL,
  l_suppkey       integer       NOT NULL,
  l_linenumber    integer       NOT NULL,
  l_quantity      numeric(15,2) NOT NULL,
  l_extendedprice numeric(15,2) NOT NULL,
  l_discount      numeric(15,2) NOT NULL,
  l_tax           numeric(15,2) NOT NULL,
  l_returnflag    char(1)       NOT NULL,
  l_linestatus    char(1)       NOT NULL,
  l_shipdate      date          NOT NULL,
  l_commitdate    date          NOT NULL,
  l_receiptdate   date          NOT NULL,
  l_shipinstruct  char(25)      NOT NULL,
  l_shipmode      char(10)      NOT NULL,
  l_comment       varchar(44)   NOT NULL
);

-- Wide rows with the types that cost most to convert: long multi-script text (much of it
-- TOASTed), jsonb, uuid, timestamptz, emoji; about a fifth of each nullable column is NULL.
CREATE TABLE wide_events (
  id          bigint           NOT NULL,
  event_uuid  uuid             NOT NULL,
  created_at  timestamptz      NOT NULL,
  user_id     bigint,
  kind        varchar(32)      NOT NULL,
  payload     text             NOT NULL,
  attrs       jsonb,
  score       double precision,
  note        varchar(200),
  flag        boolean
);

-- A composite primary key (tenant_id, order_id, line_no): split on row-value bounds.
CREATE TABLE order_lines_cpk (
  tenant_id   integer       NOT NULL,
  order_id    bigint        NOT NULL,
  line_no     integer       NOT NULL,
  sku         varchar(20)   NOT NULL,
  qty         integer       NOT NULL,
  price       numeric(12,2) NOT NULL,
  updated_at  timestamp     NOT NULL
);

-- No key at all, and exact duplicate rows: the copy must keep every duplicate.
CREATE TABLE audit_log_nopk (
  ts     timestamptz      NOT NULL,
  host   varchar(64)      NOT NULL,
  level  varchar(8)       NOT NULL,
  msg    text             NOT NULL,
  value  double precision
);
