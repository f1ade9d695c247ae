#!/bin/sh
# The request rules (itin_request_begin, migration 065) request by request, against
# PostgreSQL: every request counts in the subscriber's rate limit whatever its keyword, except
# the Y or N that answers a consent prompt still open; past the limit, one notice, then silence,
# and nothing changes (no language switch); the shutdown notice is limited too, without a
# notice; a new period starts afresh. Rate limit 3 an hour, consent on, duplicates within
# 30 s. Then a batch in one statement, as the daemon sends them (migration 056): two
# subscribers' requests interleaved are decided as if they came apart. The transcript must
# equal request_rules.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_test itin_request_rules
"$top_builddir/itinerad-db" migrate > "$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }

# r(SUBSCRIBER, INTENT, TEXT, SECONDS[, SHUTDOWN]): one request and what the rules decided.
# Intents: 0 query, 1 Y, 2 N, 3 help, 4 EN, 5 中文, 6 unknown.
psql -XAtq -v ON_ERROR_STOP=1 > "$work/out" 2>&1 <<'SQL' || { cat "$work/out"; exit 1; }
CREATE FUNCTION pg_temp.label(sub text, text text, s int, action smallint, lang smallint)
RETURNS text LANGUAGE sql AS $$
	SELECT format('%s %-6s +%ss -> %s%s', sub, text, s,
		(ARRAY['duplicate', 'itinerary', 'consent-prompt', 'consent-expired', 'cancelled',
		       'rate-limited', 'silent', 'help', 'lang-switched', 'shutdown'])[action + 1],
		CASE WHEN lang = 1 THEN ' (en)' ELSE '' END)
$$;
-- A batch of requests in one statement, as the daemon sends them: one line each, in order.
CREATE FUNCTION pg_temp.b(subs text[], intents int[], texts text[], s int[],
			  shutdown boolean DEFAULT false)
RETURNS SETOF text LANGUAGE sql AS $$
	SELECT pg_temp.label(subs[o], texts[o], s[o], d.action, d.lang)
	FROM itin_requests_begin(NULL,
		ARRAY(SELECT repeat(x, 32) FROM unnest(subs) AS x),
		array_fill(0::smallint, ARRAY[cardinality(subs)]), intents::smallint[],
		ARRAY(SELECT extract(epoch FROM timestamptz '2026-11-20 12:00:00+08')::bigint + x
		      FROM unnest(s) AS x),
		ARRAY(SELECT encode(convert_to(x, 'UTF8'), 'hex') FROM unnest(texts) AS x),
		array_fill('00'::text, ARRAY[cardinality(subs)]),
		array_fill(true, ARRAY[cardinality(subs)]), 0::smallint, interval '10 min', 3,
		interval '1 hour', interval '30 s', shutdown) WITH ORDINALITY AS d(id, action, lang, o)
	ORDER BY o
$$;
-- One request alone.
CREATE FUNCTION pg_temp.r(sub text, intent int, text text, s int, shutdown boolean DEFAULT false)
RETURNS text LANGUAGE sql AS $$
	SELECT pg_temp.b(ARRAY[sub], ARRAY[intent], ARRAY[text], ARRAY[s], shutdown)
$$;
SELECT '# N and n alternating: three answers, the notice, silence; a new hour starts afresh';
SELECT pg_temp.r('a1', 2, 'N', 0);
SELECT pg_temp.r('a1', 2, 'n', 1);
SELECT pg_temp.r('a1', 2, 'N', 2);
SELECT pg_temp.r('a1', 2, 'n', 3);
SELECT pg_temp.r('a1', 2, 'N', 4);
SELECT pg_temp.r('a1', 2, 'n', 3604);
SELECT '# the answer to an open prompt belongs to its query: three queries, three answers';
SELECT pg_temp.r('b2', 0, 'CXMYD', 0);
SELECT pg_temp.r('b2', 1, 'Y', 10);
SELECT pg_temp.r('b2', 0, 'cxmyd', 20);
SELECT pg_temp.r('b2', 2, 'N', 30);
SELECT pg_temp.r('b2', 0, 'CXMYD', 40);
SELECT pg_temp.r('b2', 0, 'TRIP', 50);
SELECT pg_temp.r('b2', 1, 'Y', 60);
SELECT '# ... a Y or N with no open prompt counts (here past the limit: silence)';
SELECT pg_temp.r('b2', 1, 'y', 70);
SELECT pg_temp.r('b2', 2, 'n', 80);
SELECT '# a late Y counts';
SELECT pg_temp.r('b3', 0, 'CXMYD', 0);
SELECT pg_temp.r('b3', 1, 'Y', 700);
SELECT pg_temp.r('b3', 0, 'CXMYD', 710);
SELECT pg_temp.r('b3', 0, 'TRIP', 720);
SELECT '# help, language and unknown text count; past the limit the language does not switch';
SELECT pg_temp.r('c4', 3, 'BZ', 0);
SELECT pg_temp.r('c4', 6, 'hello', 10);
SELECT pg_temp.r('c4', 6, 'hi', 20);
SELECT pg_temp.r('c4', 4, 'EN', 30);
SELECT pg_temp.r('c4', 0, 'TRIP', 40);
SELECT pg_temp.r('c5', 4, 'EN', 0);
SELECT pg_temp.r('c5', 5, '中文', 10);
SELECT pg_temp.r('c5', 4, 'EN', 20);
SELECT pg_temp.r('c5', 3, 'BZ', 30);
SELECT '# a redelivery is a duplicate and does not count';
SELECT pg_temp.r('d6', 3, 'BZ', 0);
SELECT pg_temp.r('d6', 3, 'BZ', 5);
SELECT pg_temp.r('d6', 3, 'HELP', 10);
SELECT pg_temp.r('d6', 3, 'bz', 20);
SELECT pg_temp.r('d6', 3, 'help', 30);
SELECT '# shutdown mode: the notice up to the limit, then silence (no rate-limit notice)';
SELECT pg_temp.r('e7', 0, 'CXMYD', 0, true);
SELECT pg_temp.r('e7', 1, 'Y', 10, true);
SELECT pg_temp.r('e7', 6, 'hello', 20, true);
SELECT pg_temp.r('e7', 0, 'TRIP', 30, true);
SELECT pg_temp.r('e7', 2, 'N', 40, true);
SELECT '# a batch: each subscriber''s requests decided one after the other, as if apart';
SELECT pg_temp.b(ARRAY['f8', 'f9', 'f8', 'f8', 'f9', 'f8', 'f8', 'f8'],
		 ARRAY[0, 3, 1, 0, 3, 2, 0, 4],
		 ARRAY['CXMYD', 'BZ', 'Y', 'CXMYD', 'BZ', 'N', 'TRIP', 'EN'],
		 ARRAY[0, 0, 1, 2, 3, 4, 5, 6]);
SELECT '# the audit: requests answered with silence or a duplicate; pending: the others';
SELECT 'audit ' || count(*) FROM audit;
SELECT 'pending ' || count(*) FROM request_pending;
SQL
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/out" "$srcdir/tests/db/request_rules.ok"
diff -u "$srcdir/tests/db/request_rules.ok" "$work/out"
