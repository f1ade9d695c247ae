#!/bin/sh
# What mediation systems write (issue 22): a UTF-8 byte order mark, CRLF line ends, quoted
# fields and a quoted header line are loaded like a plain feed; refused lines are counted by
# reason in the summary; a load of which more than [feed] max_refused_percent (10 by default)
# of the lines was refused exits 1 after loading the good ones, and so does one that loaded
# nothing (every line an unknown cell). The transcript must equal feed_formats.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_test itin_feed_formats
# the tests' config without its max_refused_percent = 100: the default applies
grep -v max_refused_percent "$ITINERAD_CONFIG" > "$work/itinerad.conf"
ITINERAD_CONFIG=$work/itinerad.conf
AT=2026-11-20T12:00:00+08:00

rows() {
	itin_sql "SELECT 'presence rows ' || count(*) FROM presence_recent"
}

{
	"$db" migrate > /dev/null 2>&1 || echo "migrate failed"
	echo "# cells with a byte order mark, CRLF and a quoted header"
	printf '\357\273\277"mcc","mnc","lac","ci","region_code"\r\n"460","00","4097","1001","110100"\r\n460,00,8193,2001,440100\r\n' \
		> "$work/cells.csv"
	itin_run load cells "$work/cells.csv"

	echo "# events the same way: all three loaded, nothing refused"
	printf '\357\273\277"time","imsi","msisdn","mcc","mnc","lac","ci"\r\n' > "$work/events.csv"
	printf '"2026-11-19T08:00:00+08:00","460001000000001","+8613800000001","460","00","4097","1001"\r\n' >> "$work/events.csv"
	printf '2026-11-19T13:00:00+08:00,460001000000001,8613800000001,460,00,"8193",2001\r\n' >> "$work/events.csv"
	printf '"2026-11-19T14:00:00+08:00",460001000000002,8613800000002,460,00,4097,1001\r\n' >> "$work/events.csv"
	itin_run load events "$work/events.csv" --at $AT
	rows

	echo "# 3 of 10 lines refused, for two reasons: the 7 good ones are loaded, the load exits 1"
	{
		echo "time,imsi,msisdn,mcc,mnc,lac,ci"
		for i in 1 2 3 4 5 6 7; do
			echo "2026-11-19T1$i:00:00+08:00,46000100000001$i,861380000001$i,460,00,4097,1001"
		done
		echo "2026-11-19T10:00:00+08:00,460001000000021,\"86138,00000021\",460,00,4097,1001"
		echo "2026-11-19T10:00:00+08:00,460001000000022,8613800000022,460,00,4097"
		echo "2026-11-19T10:00:00+08:00,460001000000023,8613800000023,460,00,4097"
	} > "$work/some-refused.csv"
	itin_run load events "$work/some-refused.csv" --at $AT
	rows
	echo "# the same with max_refused_percent = 30: exit 0"
	cp "$ITINERAD_CONFIG" "$work/lenient.conf"
	printf '\n[feed]\nmax_refused_percent = 30\n' >> "$work/lenient.conf"
	itin_run -c "$work/lenient.conf" load events "$work/some-refused.csv" --at $AT

	echo "# only unknown cells: nothing loaded, exit 1"
	printf 'time,imsi,msisdn,mcc,mnc,lac,ci\n2026-11-19T10:00:00+08:00,460001000000031,8613800000031,460,00,9999,9999\n' \
		> "$work/unknown.csv"
	itin_run load events "$work/unknown.csv" --at $AT
} > "$work/out" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript (review the diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/out" "$srcdir/tests/db/feed_formats.ok"
diff -u "$srcdir/tests/db/feed_formats.ok" "$work/out"
