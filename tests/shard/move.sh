#!/bin/sh
# Moving a partition to another cluster while lookups go on (issue 21): partition 1 of a proxy
# and 4 partitions (tests/lib/pg.sh) is moved from the second cluster to the first with
# contrib/shard/shard.sh move (pg_dump, pg_restore, the cluster map changed). A session on the
# proxy that stays open throughout, as the daemon's pool does, asks for every subscriber key
# (MSISDN and IMSI keys: one and two routed steps) in one batched itin_lookup, round after
# round, before, during and after the move, and after the old database is dropped: every
# round must be answered, each with the digest of the first (no answer from a wrong
# partition, none missing). The old database must be closed to connections once the move is
# over, with no session left on it (a PL/Proxy session that missed the map change must fail,
# not use it: contrib/shard/shard.sh). The transcript must equal move.ok.
set -u
ITIN_TEST_PARTITIONS=4
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/poll.sh"
itin_pg_test itin_move
LOAD_AT=2026-11-20T23:00:00+08:00
set -- $itin_pg_hosts
host_a=$1
host_b=$2
shard() { sh "$top_srcdir/contrib/shard/shard.sh" "$@" | sed "s|$host_a|A|g; s|$host_b|B|g"; }

rounds() { n=$(grep -c . "$work/answers" 2>/dev/null); echo "${n:-0}"; }
more_rounds_than() { [ "$(rounds)" -gt "$1" ]; }
# Asks one round on the open session, and waits for its answer.
ask_round() {
	n=$(rounds)
	echo "$round_sql" >&3
	itin_poll 200 more_rounds_than "$n" || { echo "round not answered"; cat "$work/answers"; }
}
{
	"$db" migrate > /dev/null 2>&1 || echo "migrate failed"
	"$top_builddir/itinerad-sample" --seed 7 --subscribers 500 --end 1795147200 \
		--cells "$work/cells" --events "$work/events" > /dev/null 2>&1
	"$db" load cells "$work/cells" > /dev/null 2>&1 || echo "load cells failed"
	"$db" load events "$work/events" --at $LOAD_AT > /dev/null 2>&1 || echo "load events failed"
	keys=$(itin_pg_each_part "SELECT encode(key, 'hex') FROM subscriber_key" | sort | tr '\n' ',' | sed 's/,$//')
	echo "keys: $(echo "$keys" | tr ',' '\n' | grep -c .)"
	round_sql="SELECT count(DISTINCT i) || ' keys answered, ' || md5(string_agg(i || ' ' || coalesce(day, -1) || ' ' || coalesce(place, -1) || ' ' || coalesce(first_seen, -1), ',' ORDER BY i, day, place, first_seen)) FROM (SELECT string_to_array('$keys', ',') AS a) k, itin_lookup(k.a, array_fill(DATE '2026-11-06', ARRAY[cardinality(k.a)]), NULL::text[]);"
	mkfifo "$work/session"
	psql -XAtq -d "$PGDATABASE" < "$work/session" > "$work/answers" 2>&1 &
	session=$!
	exec 3> "$work/session"
	ask_round
	first=$(head -1 "$work/answers")
	echo "first round: $(echo "$first" | cut -d, -f1)"

	# Rounds all through the move, from a loop of its own.
	(while [ ! -f "$work/stop" ]; do echo "$round_sql"; sleep 0.05; done) >&3 &
	loop=$!
	shard map "$ITINERAD_CONNINFO"
	shard move "$ITINERAD_CONNINFO" 1 "host=$host_a dbname=itin_move_p1_moved"
	shard map "$ITINERAD_CONNINFO"
	moved=$(rounds)
	itin_poll 200 more_rounds_than $((moved + 5)) || echo "no rounds after the move"
	touch "$work/stop"
	wait $loop
	echo "old database: $(itin_pg_closed "$host_b" itin_move_p1)"
	echo "# the old database dropped: the rounds go on, from the copy"
	"$ITIN_PGBIN/dropdb" -h "$host_b" itin_move_p1
	ask_round
	ask_round
	exec 3>&-
	wait $session
	total=$(rounds)
	echo "rounds answered: $([ "$total" -gt 10 ] && echo "more than 10" || echo "$total")"
	echo "rounds unlike the first: $(grep -cvxF "$first" "$work/answers")"
	grep -vxF "$first" "$work/answers" | head -5
	echo "rows on the copy: $(psql -XAtq -d "host=$host_a dbname=itin_move_p1_moved" -c 'SELECT count(*) FROM presence_recent')"
} > "$work/out" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript (review the diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/out" "$srcdir/tests/shard/move.ok"
diff -u "$srcdir/tests/shard/move.ok" "$work/out"
