#!/bin/sh
# The database side end to end, against a real PostgreSQL: migrations run twice, loads of the
# three feeds with malformed lines and unknown cells, the folded presence rows, the reply of
# itinerad-db query (the number on stdin), the lookup's plan, no plaintext identity in a pg_dump, retention by DROP
# and purge. The whole transcript must equal database.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_database
ITINERAD_CONFIG="$srcdir/tests/db/itinerad-test.conf"
export ITINERAD_CONFIG
data="$srcdir/tests/db"
ITIN_STRIP=$data
. "$top_srcdir/tests/lib/dbtool.sh"
out=$(mktemp)
trap 'rm -f "$out"; itin_pg_cleanup' EXIT
AT=2026-11-20T12:00:00+08:00
# the loads' clock: the end of the test day (events.csv has events until 13:00 of it)
LOAD_AT=2026-11-20T23:00:00+08:00
{
	itin_run migrate
	itin_run migrate
	itin_sql "SELECT 'schema_version: ' || string_agg(version || ' ' || name, ', ' ORDER BY version) FROM schema_version"
	itin_sql "SELECT 'regions ' || (SELECT count(*) FROM region) || ', countries ' || (SELECT count(*) FROM country) || ', operators ' || (SELECT count(*) FROM operator_cn)"
	itin_run load cells "$data/cells.csv"
	itin_run load events "$data/events.csv" --at $LOAD_AT
	itin_run load risk "$data/risk.csv"
	echo "# presence (key id, mask, day, place, first, last, events), recent table: the mask only sealed"
	itin_sql "SET TIME ZONE 'Asia/Shanghai'; SELECT s.key_id, CASE WHEN length(s.mask_sealed) BETWEEN 30 AND 64 THEN 'sealed' ELSE 'MASK?' END, p.day, p.place, to_char(p.first_seen, 'HH24:MI'), to_char(p.last_seen, 'HH24:MI'), p.events FROM presence_recent p JOIN subscriber s ON s.id = p.subscriber ORDER BY 3, 4, 5"
	itin_sql "SELECT 'subscribers ' || (SELECT count(*) FROM subscriber) || ', keys ' || (SELECT count(*) FROM subscriber_key) || ', newest event ' || (SELECT to_char(newest_event AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') FROM feed_state)"
	echo "# loading the same events again appends rows: the replies are the same, retention folds them"
	itin_run load events "$data/events.csv" --at $LOAD_AT
	itin_sql "SELECT 'rows ' || count(*) || ', events ' || sum(events) FROM presence_recent"

	itin_ask 8613800000001 --msisdn - --at $AT
	itin_ask 13800000001 --msisdn - --at $AT --lang en
	itin_ask 460011000000003 --imsi - --at $AT
	echo "# risk marker on (Beijing listed until 11-30; Guangzhou's entry ended 11-10), window ending yesterday"
	ITINERAD_CONFIG="$data/itinerad-risk.conf" itin_ask 8613800000001 --msisdn - --at $AT
	echo "# the same reply as SMS parts"
	itin_ask 460011000000003 --imsi - --at $AT --lang en --parts
	itin_ask 8613800000001 --msisdn - --at $AT --parts
	itin_ask 8613800000002 --msisdn - --at $AT
	itin_ask 8613800000099 --msisdn - --at $AT

	echo "# the lookup's plan (the statement in itin_lookup, through auto_explain): index scans only"
	psql -XAtq -c "LOAD 'auto_explain'" -c "SET auto_explain.log_min_duration = 0" \
		-c "SET auto_explain.log_nested_statements = on" -c "SET client_min_messages = log" \
		-c "SELECT count(*) FROM itin_lookup(ARRAY['00'], ARRAY[DATE '2026-11-07'], ARRAY[NULL::text])" 2>&1 |
		sed -n '/^Query Text: SELECT q\.i/,/^LOG:/p' |
		sed -n 's/^ *\(->  \)\{0,1\}\([A-Za-z][A-Za-z ]*\(Scan\|Loop\|Append\|Join\)\).*/\2/p'

	echo "# pg_dump holds no test MSISDN or IMSI, nor a mask of one"
	pg_dump --data-only > "$out.dump"
	for id in 8613800000001 13800000001 8613800000002 8613900000003 460001000000001 \
		460001000000002 460011000000003 '138\*\*\*\*0001' '139\*\*\*\*0003' '\*\*\*\*'; do
		grep -c "$id" "$out.dump" | sed "s/^/$id: /"
	done
	rm -f "$out.dump"

	echo "# retention on 2026-11-20 (after the loads) keeps 2026-11-06 on, by swapping and dropping tables"
	before=$(itin_sql "SELECT 'presence_history'::regclass::oid")
	itin_run retention --at $LOAD_AT
	after=$(itin_sql "SELECT 'presence_history'::regclass::oid")
	[ "$before" != "$after" ] && echo "presence_history replaced (a new table)"
	itin_sql "SELECT 'history ' || count(*) || ' rows, days ' || min(day) || ' to ' || max(day) || ', events ' || sum(events) FROM presence_history"
	itin_sql "SELECT 'recent ' || count(*) || ' rows' FROM presence_recent"
	itin_sql "SELECT 'rows before 2026-11-06: ' || count(*) FROM (SELECT day FROM presence_history UNION ALL SELECT day FROM presence_recent) p WHERE day < '2026-11-06'"
	itin_ask 8613800000001 --msisdn - --at $AT

	echo "# the sample of sim/: 500 subscribers over 14 days, loaded with exact counts"
	"$top_builddir/itinerad-sample" --seed 7 --subscribers 500 --end 1795147200 \
		--cells "$out.cells" --events "$out.events" 2>&1
	itin_run load cells "$out.cells" | sed "s|$out.cells|sample-cells.csv|"
	itin_run load events "$out.events" --at $LOAD_AT | sed "s|$out.events|sample-events.csv|"
	rm -f "$out.cells" "$out.events"
	itin_sql "SELECT 'subscribers ' || count(*) FROM subscriber"
	itin_sql "SELECT 'presence rows ' || count(*) || ', events ' || sum(events) || ', places ' || count(DISTINCT place) FROM presence_recent"
	itin_sql "SELECT 'abroad rows ' || count(*) FROM presence_recent WHERE place < 1000 OR place IN (810100, 820100, 710000)"

	itin_run purge
	itin_run purge --yes
	itin_sql "SELECT 'left: ' || (SELECT count(*) FROM presence_history) + (SELECT count(*) FROM presence_recent) + (SELECT count(*) FROM subscriber) + (SELECT count(*) FROM subscriber_key)"

	echo "# the sample again, in transactions of 100 folded rows, then in one: the same keys and presence"
	"$top_builddir/itinerad-sample" --seed 7 --subscribers 500 --end 1795147200 \
		--cells "$out.cells" --events "$out.events" 2>&1
	"$db" load cells "$out.cells" > /dev/null 2>&1
	digest="SELECT md5(string_agg(k || ' ' || day || ' ' || place || ' ' || f || ' ' || l || ' ' || e, ',' ORDER BY k, day, place)) FROM (SELECT encode(k.key, 'hex') AS k, p.day, p.place, min(p.first_seen) AS f, max(p.last_seen) AS l, sum(p.events) AS e FROM presence_recent p JOIN subscriber_key k ON k.subscriber = p.subscriber GROUP BY 1, 2, 3) x"
	itin_run --batch-rows 100 load events "$out.events" --at $LOAD_AT | sed "s|$out.events|sample-events.csv|"
	batched=$(itin_sql "$digest")
	itin_sql "SELECT 'keys ' || count(*) FROM subscriber_key"
	"$db" purge --yes > /dev/null 2>&1
	"$db" load events "$out.events" --at $LOAD_AT > /dev/null 2>&1
	[ "$batched" = "$(itin_sql "$digest")" ] && echo "same keys and presence as in one transaction"

	echo "# a batch that fails stops the load (the writer thread's failure, seen at the next"
	echo "# hand-over); the batches before it stay, whole"
	"$db" purge --yes > /dev/null 2>&1
	itin_sql "CREATE FUNCTION fail_at_250() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS \$\$ BEGIN IF (SELECT count(*) FROM presence_recent) >= 250 THEN RAISE EXCEPTION 'test: presence_recent is full'; END IF; RETURN NEW; END \$\$"
	itin_sql "CREATE TRIGGER fail_at_250 BEFORE INSERT ON presence_recent FOR EACH ROW EXECUTE FUNCTION fail_at_250()"
	itin_run --batch-rows 100 load events "$out.events" --at $LOAD_AT | sed "s|$out.events|sample-events.csv|"
	itin_sql "SELECT 'presence rows ' || count(*) FROM presence_recent"
	itin_sql "DROP TRIGGER fail_at_250 ON presence_recent"
	rm -f "$out.cells" "$out.events"
} > "$out" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript (review the diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$out" "$srcdir/tests/db/database.ok"
diff -u "$srcdir/tests/db/database.ok" "$out"
