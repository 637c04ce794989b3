-- The reference workload's tables in MariaDB 10.11 (database `src`), the shapes of
-- pg-schema.sql; timestamptz becomes DATETIME(6) holding UTC, as ferry maps it.
DROP TABLE IF EXISTS lineitem, wide_events, order_lines_cpk, audit_log_nopk;
CREATE TABLE lineitem (
  l_id            BIGINT        NOT NULL PRIMARY KEY,
  l_orderkey      BIGINT        NOT NULL,
  l_partkey       INT           NOT NULL,
  l_suppkey       INT           NOT NULL,
  l_linenumber    INT           NOT NULL,
  l_quantity      DECIMAL(15,2) NOT NULL,
  l_extendedprice DECIMAL(15,2) NOT NULL,
  l_discount      DECIMAL(15,2) NOT NULL,
  l_tax           DECIMAL(15,2) NOT NULL,
  l_returnflag    CHAR(1)       NOT NULL,
  l_linestatus    CHAR(1)       NOT NULL,
  l_shipdate      DATE          NOT NULL,
  l_commitdate    DATE          NOT NULL,
  l_receiptdate   DATE          NOT NULL,
  l_shipinstruct  CHAR(25)      NOT NULL,
  l_shipmode      CHAR(10)      NOT NULL,
  l_comment       VARCHAR(44)   NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
CREATE TABLE wide_events (
  id          BIGINT       NOT NULL PRIMARY KEY,
  event_uuid  UUID         NOT NULL,
  created_at  DATETIME(6)  NOT NULL,
  user_id     BIGINT,
  kind        VARCHAR(32)  NOT NULL,
  payload     TEXT         NOT NULL,
  attrs       JSON,
  score       DOUBLE,
  note        VARCHAR(200),
  flag        BOOLEAN
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
CREATE TABLE order_lines_cpk (
  tenant_id   INT           NOT NULL,
  order_id    BIGINT        NOT NULL,
  line_no     INT           NOT NULL,
  sku         VARCHAR(20)   NOT NULL,
  qty         INT           NOT NULL,
  price       DECIMAL(12,2) NOT NULL,
  updated_at  DATETIME      NOT NULL,
  PRIMARY KEY (tenant_id, order_id, line_no)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
CREATE TABLE audit_log_nopk (
  ts     DATETIME(6)  NOT NULL,
  host   VARCHAR(64)  NOT NULL,
  level  VARCHAR(8)   NOT NULL,
  msg    TEXT         NOT NULL,
  value  DOUBLE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
