-- Issue 18 (sync): server CPU of reading 20,000 lineitem rows by key, as ferry sync reads them,
-- against reading as many whole rows in sequence order from a log table that holds them (a
-- change log with row images). Read-only for bench: temporary tables. Run against the source:
--   psql -h 127.0.0.1 -p 5433 -U bench -d bench -f bench/e2e/sql/sync-row-images-read.sql 2>&1 | grep elapsed
\set QUIET on
CREATE TEMP TABLE keys AS SELECT l_id FROM lineitem WHERE l_id % 300 = 7;
CREATE TEMP TABLE img AS SELECT row_number() OVER () AS seq, 'U'::char AS op, l.* FROM lineitem l WHERE l_id % 300 = 8;
CREATE INDEX ON img (seq);
ANALYZE img;
SELECT array_agg(l_id)::text AS arr FROM keys \gset
SET log_statement_stats = on;
SET client_min_messages = log;
\o /dev/null
COPY (SELECT * FROM lineitem WHERE l_id = ANY(ARRAY(SELECT unnest(:'arr'::bigint[])))) TO STDOUT (FORMAT binary);
COPY (SELECT * FROM img WHERE seq > 0 ORDER BY seq LIMIT 20000) TO STDOUT (FORMAT binary);
COPY (SELECT * FROM lineitem WHERE l_id = ANY(ARRAY(SELECT unnest(:'arr'::bigint[])))) TO STDOUT (FORMAT binary);
COPY (SELECT * FROM img WHERE seq > 0 ORDER BY seq LIMIT 20000) TO STDOUT (FORMAT binary);
COPY (SELECT * FROM lineitem WHERE l_id = ANY(ARRAY(SELECT unnest(:'arr'::bigint[])))) TO STDOUT (FORMAT binary);
COPY (SELECT * FROM img WHERE seq > 0 ORDER BY seq LIMIT 20000) TO STDOUT (FORMAT binary);
