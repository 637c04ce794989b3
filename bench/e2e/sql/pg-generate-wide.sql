-- wide_events rows :lo..:hi, pure functions of the row number like lineitem. The payload is a
-- 200..2000-character slice of one mixed-script text (Latin with accents, Greek, Cyrillic, CJK,
-- Arabic, Devanagari, emoji) behind a unique md5 prefix; nullable columns are NULL in ~20 %.
INSERT INTO wide_events
SELECT i,
       -- shaped as an RFC 4122 version-4 UUID: MariaDB's UUID type is given the same text
       (substr(m.h, 1, 8) || '-' || substr(m.h, 9, 4) || '-4' || substr(m.h, 14, 3) || '-'
          || substr('89ab', 1 + (r.a % 4)::int, 1) || substr(m.h, 18, 3) || '-'
          || substr(m.h, 21, 12))::uuid,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '17 seconds'
         + (r.b % 1000000) * interval '1 microsecond',
       CASE WHEN r.a % 5 = 0 THEN NULL ELSE 1 + r.b % 10000000 END,
       (ARRAY['click', 'view', 'purchase', 'signup', 'logout', 'search', 'error', 'heartbeat'])
         [1 + r.c % 8],
       left(m.h || substr(t.body, 1 + (r.c % 2000)::int, 2000), 200 + (r.d % 1801)::int),
       CASE WHEN r.b % 5 = 1 THEN NULL ELSE
         jsonb_build_object('seq', r.c % 10000, 'ok', r.d % 2 = 0,
                            'tags', jsonb_build_array('t' || r.a % 13, 't' || r.b % 17),
                            'where', jsonb_build_object('lat', round((r.a % 18000) / 100.0 - 90, 2),
                                                        'lon', round((r.b % 36000) / 100.0 - 180, 2)),
                            'label', CASE WHEN r.c % 4 = 0 THEN 'crème brûlée 🍮' ELSE 'plain' END)
       END,
       CASE WHEN r.c % 5 = 2 THEN NULL ELSE (r.d % 2000003) / 1000.0 - 1000 END::double precision,
       CASE WHEN r.d % 5 = 3 THEN NULL
            ELSE (ARRAY['déjà vu in Genève', '北京の会議メモ', 'Καλημέρα κόσμε', 'launch 🚀 done ✅',
                        'just ascii', 'До свидания', 'مرحبا بالعالم'])[1 + r.a % 7] || ' #' || i
       END,
       CASE WHEN (r.a / 5) % 5 = 4 THEN NULL ELSE r.b % 2 = 0 END
FROM generate_series(:lo::bigint, :hi::bigint) AS i
CROSS JOIN LATERAL (SELECT (i * 1103515245 + 12345) % 2147483647 AS s) s0
CROSS JOIN LATERAL (SELECT s0.s AS a,
                           (s0.s * 48271) % 2147483647 AS b,
                           (s0.s * 48271 % 2147483647 * 48271) % 2147483647 AS c,
                           (s0.s * 16807 + 7) % 2147483629 AS d) r
CROSS JOIN LATERAL (SELECT md5('event ' || i) AS h) m
CROSS JOIN (SELECT string_agg(p.phrases[1 + k % 11] || ' ' || md5(k::text), ' ') AS body
            FROM generate_series(1, 130) AS k,
                 (SELECT ARRAY['Grüße aus Zürich, façade naïve', 'Ελληνικό αλφάβητο και κείμενο',
                               'Съешь же ещё этих мягких французских булок',
                               '日本語のテキストと漢字', '中文字符的测试句子', 'نص عربي للاختبار',
                               'हिन्दी में एक वाक्य', '한국어 문장 예시', 'party 🎉 rocket 🚀 ok',
                               'plain ascii words in a row', 'ñandú pingüino acción'] AS phrases) p
           ) t;
