#!/bin/sh
# Event times out of range (issue 17): a load at 2026-11-20 12:00 (Asia/Shanghai, 14 days,
# [feed] max_future_skew 10m) refuses, line by line, times after the skew (up to INT64_MAX and
# the year 2100) and before the 15 days kept, loads the rest, and the replies' "updated" date is
# the newest real event; a load of which every line was refused fails; retention repairs a
# database that an unbounded loader poisoned with an event of 2100. The transcript must equal
# feed_times.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_test itin_feed_times
AT=2026-11-20T12:00:00+08:00

state() {
	itin_sql "SET TIME ZONE 'Asia/Shanghai'; SELECT 'newest event: ' || coalesce((SELECT to_char(newest_event, 'YYYY-MM-DD HH24:MI:SS') FROM feed_state WHERE feed = 'events'), 'none') || ', presence rows ' || (SELECT count(*) FROM presence_recent) || ' (' || (SELECT count(*) FROM presence_recent WHERE day > '2026-11-20') || ' after 2026-11-20)'"
}
ask() {
	itin_ask 8613800000001 --msisdn - --at $AT --lang en
}

{
	"$db" migrate > /dev/null 2>&1 || echo "migrate failed"
	"$db" load cells "$srcdir/tests/db/cells.csv" > /dev/null 2>&1 || echo "load cells failed"
	cat > "$work/events.csv" <<EOF
time,imsi,msisdn,mcc,mnc,lac,ci
2026-11-19T08:00:00+08:00,460001000000001,8613800000001,460,00,4097,1001
2026-11-19T13:00:00+08:00,460001000000001,8613800000001,460,00,4097,1001
9223372036854775807,460001000000001,8613800000001,460,00,4097,1001
4102444800,460001000000001,8613800000001,460,00,4097,1001
2100-01-01T00:00:00+08:00,460001000000001,8613800000001,460,00,4097,1001
2026-11-20T12:10:01+08:00,460001000000001,8613800000001,460,00,4097,1001
2026-11-20T12:05:00+08:00,460001000000001,8613800000001,460,00,8193,2001
2026-11-05T23:59:59+08:00,460001000000001,8613800000001,460,00,4097,1001
0,460001000000001,8613800000001,460,00,4097,1001
2026-11-06T00:00:00+08:00,460001000000001,8613800000001,460,00,4097,1001
EOF
	echo "# loaded at 12:00: four lines in range, six refused by line, one batch"
	itin_run load events "$work/events.csv" --at $AT
	state
	ask

	echo "# every line refused: the load fails and changes nothing"
	cat > "$work/refused.csv" <<EOF
time,imsi,msisdn,mcc,mnc,lac,ci
9223372036854775807,460001000000002,8613800000002,460,00,4097,1001
2100-01-01T00:00:00+08:00,460001000000002,8613800000002,460,00,4097,1001
1700000000,460001000000002,8613800000002,460,00,4097,1001
EOF
	itin_run load events "$work/refused.csv" --at $AT
	state

	echo "# a database an unbounded loader poisoned: an event of 2100-01-01 in presence and feed_state"
	itin_sql "INSERT INTO presence_recent SELECT subscriber, '2100-01-01', place, '2100-01-01 00:00+08', '2100-01-01 00:00+08', 1 FROM presence_recent ORDER BY day DESC LIMIT 1"
	itin_sql "UPDATE feed_state SET newest_event = '2100-01-01 00:00+08'"
	state
	ask
	echo "# retention repairs it: the row of 2100 goes, the newest event is the newest kept"
	itin_run retention --at $AT
	state
	ask

	echo "# max_future_skew = 1h: an event at 12:30 is in range"
	{ cat "$ITINERAD_CONFIG"; printf '[feed]\nmax_future_skew = 1h\n'; } > "$work/skew.conf"
	printf '2026-11-20T12:30:00+08:00,460001000000001,8613800000001,460,00,8193,2001\n' > "$work/late.csv"
	printf '2026-11-20T13:00:01+08:00,460001000000001,8613800000001,460,00,8193,2001\n' >> "$work/late.csv"
	ITINERAD_CONFIG="$work/skew.conf" itin_run load events "$work/late.csv" --at $AT
	state
} > "$work/out" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript (review the diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/out" "$srcdir/tests/db/feed_times.ok"
diff -u "$srcdir/tests/db/feed_times.ok" "$work/out"
