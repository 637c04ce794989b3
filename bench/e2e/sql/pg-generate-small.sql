-- The two small tables, :rows rows each: order_lines_cpk (50 tenants, four lines per order,
-- unique on the composite key) and audit_log_nopk (every tenth row repeats the one before).
INSERT INTO order_lines_cpk
SELECT 1 + (i - 1) % 50,
       100000 + ((i - 1) / 50) / 4,
       1 + ((i - 1) / 50) % 4,
       'SKU-' || lpad((r.a % 99991)::text, 6, '0'),
       1 + r.b % 25,
       round((r.c % 200000) / 100.0, 2),
       timestamp '2024-03-01 00:00:00' + i * interval '11 seconds'
FROM generate_series(1, :rows::bigint) AS i
CROSS JOIN LATERAL (SELECT (i * 1103515245 + 12345) % 2147483647 AS a,
                           (i * 1103515245 + 12345) % 2147483647 * 48271 % 2147483647 AS b,
                           (i * 16807 + 7) % 2147483629 AS c) r;

INSERT INTO audit_log_nopk
SELECT timestamptz '2024-03-01 00:00:00+00' + j * interval '3 seconds' + j * interval '7 microseconds',
       'app-' || lpad((j % 16)::text, 2, '0') || '.example.internal',
       (ARRAY['DEBUG', 'INFO', 'WARN', 'ERROR'])[1 + (j * 48271 % 2147483647) % 4],
       'request ' || md5(j::text) || CASE WHEN j % 7 = 0 THEN ' — ünïcødé ✓' ELSE '' END,
       CASE WHEN j % 5 = 0 THEN NULL ELSE (j * 16807 % 2147483629 % 100000) / 10.0 END
FROM (SELECT CASE WHEN i % 10 = 0 THEN i - 1 ELSE i END AS j
      FROM generate_series(1, :rows::bigint) AS i) d;
