#!/bin/sh
# A restored backup keeps the privacy promise (issue 22): a dump taken on 2026-11-20 and
# restored on 2026-12-01 holds presence older than the window + 1 days kept by retention;
# itinerad-db query answers only from the window, because itin_lookup reads no day before the
# window's first day - 1 (itin_lookup_first_day, db/db_lookup.c, which the daemon's requests
# use too: service/request.c), and the next retention removes the rest. The dump and restore are those of doc/manual/operator.md
# (pg_dump -Fc, pg_restore into a fresh database, itinerad-db migrate). Against a private
# database; the transcript must equal restore.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_test itin_restore
THEN=2026-11-20T12:00:00+08:00
NOW=2026-12-01T12:00:00+08:00
# The presence rows of subscriber $1 (id $2): day and place.
days_of() {
	itin_sql "SELECT '$1: ' || coalesce(string_agg(p.day || ' ' || coalesce(r.name_en, p.place::text), ', ' ORDER BY p.day), 'none') FROM (SELECT subscriber, day, place FROM presence_history UNION ALL SELECT subscriber, day, place FROM presence_recent) p LEFT JOIN region r ON r.code = p.place WHERE p.subscriber = $2"
}
# A's and B's events of day $1 (one line each, as "IMSI,MSISDN,LAC,CI"), loaded that evening.
load_day() {
	day=$1
	shift
	printf 'time,imsi,msisdn,mcc,mnc,lac,ci\n' > "$work/$day.csv"
	for e in "$@"; do
		echo "$e" | awk -F, -v d="$day" '{ for (h = 8; h <= 13; h += 5) printf "%sT%02d:00:00+08:00,%s,%s,460,00,%s,%s\n", d, h, $1, $2, $3, $4 }' >> "$work/$day.csv"
	done
	itin_run load events "$work/$day.csv" --at "${day}T20:00:00+08:00"
}
ask() {
	itin_ask 8613800000001 --msisdn - --at "$1" --lang en
	itin_ask 8613800000002 --msisdn - --at "$1" --lang en
}

{
	"$db" migrate > /dev/null 2>&1 || echo "migrate failed"
	"$db" load cells "$srcdir/tests/db/cells.csv" > /dev/null 2>&1 || echo "load cells failed"
	echo "# A in Guangzhou on 2026-11-10, Shanghai on 2026-11-17, Beijing on 2026-11-19;"
	echo "# B in Guangzhou on 2026-11-10 only"
	load_day 2026-11-10 460001000000001,8613800000001,8193,2001 460001000000002,8613800000002,8193,2001
	load_day 2026-11-17 460001000000001,8613800000001,12289,3001
	load_day 2026-11-19 460001000000001,8613800000001,4097,1001
	ask $THEN
	echo "# the backup of 2026-11-20"
	"$ITIN_PGBIN/pg_dump" -Fc -f "$work/itinerad.dump" "$PGDATABASE" || echo "pg_dump failed"
	echo "# restored on 2026-12-01 into a fresh database (the window is 2026-11-18 to 2026-12-01)"
	PGDATABASE=itin_restore_new
	ITINERAD_CONNINFO="host=$PGHOST user=postgres dbname=$PGDATABASE"
	"$ITIN_PGBIN/dropdb" --if-exists "$PGDATABASE" 2> /dev/null &&
		"$ITIN_PGBIN/createdb" "$PGDATABASE" ||
		echo "createdb failed"
	"$ITIN_PGBIN/pg_restore" -d "$PGDATABASE" "$work/itinerad.dump" || echo "pg_restore failed"
	itin_run migrate
	a_id=$(itin_sql "SELECT min(id) FROM subscriber")
	b_id=$(itin_sql "SELECT max(id) FROM subscriber")
	days_of A "$a_id"
	days_of B "$b_id"
	echo "# before any retention, only the window is served: A's Beijing; B's Guangzhou is not"
	ask $NOW
	echo "# retention then keeps 2026-11-17 on (window + 1 days)"
	itin_run retention --at $NOW
	days_of A "$a_id"
	days_of B "$b_id"
	ask $NOW
} > "$work/out" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript (review the diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/out" "$srcdir/tests/privacy/restore.ok"
diff -u "$srcdir/tests/privacy/restore.ok" "$work/out"
