#!/bin/sh
# The request rules (itin_requests_begin, migrations 055 and 056) when two sessions decide for
# one subscriber at once, as two itinerad processes or two pool connections may: the second must
# decide again on the first one's row once that is committed, never on the row it read before.
# Session A runs a request in an open transaction; session B runs another for the same
# subscriber and is seen waiting for A's row; A commits; B's decision is printed. The
# transcript must equal request_race.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/poll.sh"
itin_pg_test itin_request_race
trap 'exec 3>&-; rm -rf "$work"; itin_pg_cleanup' EXIT
"$top_builddir/itinerad-db" migrate > "$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }

# begin KEY MESSAGE SECONDS: the statement of one query (consent off, at most 2 an hour,
# duplicates within 30 s), printing its action (0 duplicate, 1 itinerary, 5 rate-limited).
begin() {
	echo "SELECT 'action ' || action FROM itin_requests_begin(NULL, ARRAY['$1'],
		ARRAY[0::smallint], ARRAY[0::smallint],
		ARRAY[extract(epoch FROM timestamptz '2026-11-20 12:00:00+08')::bigint + $3],
		ARRAY['$2'], ARRAY['00'], ARRAY[false], 0::smallint, interval '10 min', 2,
		interval '1 hour', interval '30 s', false);"
}
state() {
	psql -XAtq -c "SELECT 'state: count ' || rate_count || ', noticed ' || rate_noticed || ', last message ' || encode(last_message, 'hex') FROM subscriber_state WHERE key = '\\x$1'"
}
active() {	# SQL condition on pg_stat_activity: one session meets it
	[ "$(psql -XAtq -c "SELECT count(*) FROM pg_stat_activity WHERE $1")" = 1 ]
}
wait_for() {	# SQL condition on pg_stat_activity
	itin_poll 100 active "$1" || { echo "timed out waiting for: $1"; exit 1; }
}
race() {	# KEY MESSAGE_A SECONDS_A MESSAGE_B SECONDS_B
	rm -f "$work/a" "$work/b"
	mkfifo "$work/a.in"
	PGAPPNAME=race-a psql -XAtq -v ON_ERROR_STOP=1 < "$work/a.in" > "$work/a" 2>&1 &
	a=$!
	exec 3> "$work/a.in"
	echo "BEGIN;" >&3
	begin "$1" "$2" "$3" >&3
	wait_for "application_name = 'race-a' AND state = 'idle in transaction'"
	begin "$1" "$4" "$5" | PGAPPNAME=race-b psql -XAtq -v ON_ERROR_STOP=1 > "$work/b" 2>&1 &
	b=$!
	wait_for "application_name = 'race-b' AND wait_event_type = 'Lock'"
	echo "B waits for A's row"
	echo "COMMIT;" >&3
	exec 3>&-
	wait $a $b
	rm -f "$work/a.in"
	echo "A: $(cat "$work/a")"
	echo "B: $(cat "$work/b")"
}

K1=$(printf '%064d' 1)
K2=$(printf '%064d' 2)
{
	echo "# a new subscriber: A and B send the same text 5 s apart; B's is the SMSC's repeat"
	race "$K1" aa 0 aa 5
	state "$K1"
	echo "# a known subscriber with one query this hour: A and B send two more (2 an hour)"
	begin "$K2" bb 0 | psql -XAtq
	race "$K2" cc 60 dd 61
	state "$K2"
} > "$work/out" 2>&1
diff -u "$srcdir/tests/db/request_race.ok" "$work/out"
