-- Issue 18 (sync): server CPU of an UPDATE of 2,000 rows (of a 600,000-row temporary copy of
-- lineitem) with a key-only change-log trigger, with one that logs the whole row, and with none.
--   psql -h 127.0.0.1 -p 5433 -U bench -d bench -f bench/e2e/sql/sync-row-images-trigger.sql 2>&1 | grep elapsed
-- Statements 2, 5, 8, 11, 13 of the output are the UPDATEs: key, image, key, image, none.
\set QUIET on
CREATE TEMP TABLE t AS SELECT * FROM lineitem WHERE l_id <= 600000;
ALTER TABLE t ADD PRIMARY KEY (l_id);
CREATE TEMP TABLE klog (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, op char(1) NOT NULL, l_id bigint);
CREATE TEMP TABLE ilog (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, op char(1) NOT NULL, r t);
CREATE FUNCTION pg_temp.kfn() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN
  IF TG_OP = 'DELETE' THEN INSERT INTO klog (op, l_id) VALUES ('D', OLD.l_id);
  ELSIF TG_OP = 'INSERT' THEN INSERT INTO klog (op, l_id) VALUES ('I', NEW.l_id);
  ELSE INSERT INTO klog (op, l_id) VALUES ('U', NEW.l_id); END IF; RETURN NULL; END$$;
CREATE FUNCTION pg_temp.ifn() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN
  IF TG_OP = 'DELETE' THEN INSERT INTO ilog (op, r) VALUES ('D', OLD);
  ELSIF TG_OP = 'INSERT' THEN INSERT INTO ilog (op, r) VALUES ('I', NEW);
  ELSE INSERT INTO ilog (op, r) VALUES ('U', NEW); END IF; RETURN NULL; END$$;
SET log_statement_stats = on;
SET client_min_messages = log;
CREATE TRIGGER k AFTER INSERT OR UPDATE OR DELETE ON t FOR EACH ROW EXECUTE FUNCTION pg_temp.kfn();
UPDATE t SET l_quantity = l_quantity + 1 WHERE l_id % 300 = 1;
DROP TRIGGER k ON t;
CREATE TRIGGER i AFTER INSERT OR UPDATE OR DELETE ON t FOR EACH ROW EXECUTE FUNCTION pg_temp.ifn();
UPDATE t SET l_quantity = l_quantity + 1 WHERE l_id % 300 = 2;
DROP TRIGGER i ON t;
CREATE TRIGGER k AFTER INSERT OR UPDATE OR DELETE ON t FOR EACH ROW EXECUTE FUNCTION pg_temp.kfn();
UPDATE t SET l_quantity = l_quantity + 1 WHERE l_id % 300 = 3;
DROP TRIGGER k ON t;
CREATE TRIGGER i AFTER INSERT OR UPDATE OR DELETE ON t FOR EACH ROW EXECUTE FUNCTION pg_temp.ifn();
UPDATE t SET l_quantity = l_quantity + 1 WHERE l_id % 300 = 4;
DROP TRIGGER i ON t;
UPDATE t SET l_quantity = l_quantity + 1 WHERE l_id % 300 = 5;
