#!/bin/sh
# The request statements give the same results on a single node and on a partitioned layout,
# and on the latter the request state lives on the subscriber's partition (issue 21,
# migration 270, sql/proxy.sql). One scenario, through the functions the daemon calls (as the
# daemon's role), runs on both and each transcript must equal requests.ok: two batches of
# requests begun by instance a (a repeated message is a duplicate, a rate limit of 2 an hour
# answers the third request with the notice), the start-up read's bound and pages, some
# replies marked sent and one put back, the sweep's read, audit rows of replies without a
# request row, a take-over by b once a's lease has ended, and each subscriber's rows in the
# end, counted wherever they are. Then, on the partitioned layout, where the rows are:
# requests-partitions.ok (each state, pending row and audit row on the partition of its key,
# each pending id naming its partition, nothing on the proxy). Before migration 270 the
# proxy held every one of them.
set -u
. "$top_srcdir/tests/lib/pg.sh"

# SQL as itinerad's role, which reaches the request tables only through these functions.
as_daemon() { psql -XAtq -v ON_ERROR_STOP=1 -U itinerad_daemon -c "$1"; }
# Keys u1 .. u$1 as a text[] of hex; their messages, made distinct by $2.
keys() { echo "ARRAY(SELECT encode(sha256(('u' || i)::bytea), 'hex') FROM generate_series(1, $1) i)"; }
messages() { echo "ARRAY(SELECT encode(sha256(('$2' || i)::bytea), 'hex') FROM generate_series(1, $1) i)"; }
# A batch of $1 queries by SMS from owner $2 at Unix second $3, messages $4: each request's
# action and language; their ids (which differ by layout) in $work/ids.$3.
begin() {
	as_daemon "SELECT string_agg(b.n || ' ' || b.action || ' ' || b.lang, ', ' ORDER BY b.n),
			string_agg(b.id::text, ',' ORDER BY b.n)
		FROM itin_requests_begin('$2', $(keys "$1"), array_fill(0::smallint, ARRAY[$1]),
			array_fill(0::smallint, ARRAY[$1]), array_fill($3::bigint, ARRAY[$1]),
			$(messages "$1" "$4"), array_fill('00'::text, ARRAY[$1]),
			array_fill(false, ARRAY[$1]), 0::smallint, '5 min', 2, '1 hour', '30 s', false)
			WITH ORDINALITY AS b(id, action, lang, n)" | {
		IFS='|' read -r actions ids
		echo "$actions"
		echo "$ids" > "$work/ids.$3"
	}
}
# The ids of owner $1's pending rows, in order (read as the owner: ids differ by layout).
pending_ids() { itin_pg_all "SELECT id FROM request_pending WHERE owner = '$1'" | sort -n | tr '\n' ',' | sed 's/,$//'; }

scenario() {
	PGOPTIONS='-c client_min_messages=warning'	# no notice from dropdb --if-exists
	export PGOPTIONS
	itin_pg_test itin_requests_layouts
	"$db" migrate > /dev/null 2>&1 || echo "migrate failed"
	now=1795140000		# 2026-11-20 12:00 +08
	as_daemon "SELECT 'a holds its lease: ' || (lease_until IS NOT NULL) FROM itin_instance_renew('a', 1, '1 hour', 101, 0)"
	echo "# a batch of 8 queries (request, action, language)"
	begin 8 a $now m1
	echo "# the same 8 messages again (duplicates), then new ones: the third an hour is limited"
	begin 8 a $((now + 1)) m1
	begin 8 a $((now + 2)) m2
	begin 8 a $((now + 3)) m3
	ids=$(pending_ids a)
	echo "pending rows of a: $(echo "$ids" | tr ',' '\n' | grep -c .)"
	bound=$(as_daemon "SELECT itin_pending_bound()")
	echo "the bound is the highest id: $([ "$bound" = "${ids##*,}" ] && echo yes || echo "no ($bound, $ids)")"
	echo "start-up read, pages of 5: $(as_daemon "SELECT count(*) FROM itin_instance_pending('a', 0, $bound, 5)")," \
		"then $(as_daemon "SELECT count(*) FROM itin_instance_pending('a', (SELECT max(id) FROM itin_instance_pending('a', 0, $bound, 5)), $bound, 5)")," \
		"then $(as_daemon "SELECT count(*) FROM itin_instance_pending('a', (SELECT max(id) FROM itin_instance_pending('a', 0, $bound, 10)), $bound, 5)")"
	echo "# the replies of the first batch and the first 2 of the third sent (one in 3 parts),"
	echo "# and the 2nd of the first put back (the SMSC refused it)"
	sent=$(cat "$work/ids.$now"),$(cut -d, -f1-2 "$work/ids.$((now + 2))")
	second=$(cut -d, -f2 "$work/ids.$now")
	as_daemon "SELECT itin_requests_sent('a', '{$sent}', '{3,1,1,1,1,1,1,1,1,1}', array_fill(NULL::smallint, ARRAY[10]), to_timestamp($now + 4))" > /dev/null
	as_daemon "SELECT itin_request_reopen('a', $second, sha256('u2'), 0::smallint, 0::smallint, 1::smallint, 0::smallint, $now, '\\x00')" > /dev/null
	echo "pending rows of a: $(pending_ids a | tr ',' '\n' | grep -c .)"
	echo "the sweep's read, all but the 2nd held: $(as_daemon "SELECT count(*) || ' rows, the 2nd among them: ' || bool_or(id = $second) FROM itin_instance_orphans('a', $now + 60, ARRAY(SELECT unnest('{$ids}'::bigint[]) EXCEPT SELECT $second), 500)")"
	echo "# audit rows of two replies without a request row, and an incomplete message"
	as_daemon "SELECT itin_audit_unrecorded(ARRAY[encode(sha256('u1'), 'hex'), encode(sha256('u9'), 'hex')], '{0,0}', '{0,0}', '{10,10}', '{$now,$now}', '{$now,$now}', '{1,1}')" > /dev/null
	as_daemon "SELECT itin_audit_incomplete(sha256('u3'), 0::smallint, to_timestamp($now))" > /dev/null
	echo "# a's lease ends; b takes over what a left"
	as_daemon "SELECT itin_instance_release('a', 1)" > /dev/null
	as_daemon "SELECT 'b holds its lease: ' || (lease_until IS NOT NULL) FROM itin_instance_renew('b', 2, '1 hour', 102, 0)"
	echo "taken over by b: $(as_daemon "SELECT count(*) FROM itin_instance_take_over('b', 2, 500)"), then $(as_daemon "SELECT count(*) FROM itin_instance_take_over('b', 2, 500)")"
	echo "pending rows of a: $(pending_ids a | tr ',' '\n' | grep -c .), of b: $(pending_ids b | tr ',' '\n' | grep -c .)"
	echo "# each subscriber's rows: state (rate count, last message), pending, audit (actions)"
	for i in 1 2 3 4 5 6 7 8 9; do
		k="sha256('u$i')"
		state=$(itin_pg_all "SELECT rate_count || ' at ' || (extract(epoch FROM last_message_at)::bigint - $now) FROM subscriber_state WHERE key = $k")
		pending=$(itin_pg_all "SELECT count(*) FROM request_pending WHERE key = $k" | awk '{ n += $1 } END { print n }')
		audit=$(itin_pg_all "SELECT action FROM audit WHERE key = $k" | sort -n | tr '\n' ' ')
		echo "u$i: state ${state:-none}; pending $pending; audit ${audit:-none}"
	done
}

# Where each row is, on the partitioned layout: partition p holds only the keys whose
# itin_key_hash & (N - 1) is p, and ids that name p.
placement() {
	p=0
	(IFS='|'; for c in $itin_pg_parts; do echo "$c"; done) | while read -r c; do
		psql -XAtq -d "$c" -c "SELECT 'partition $p: ' ||
			(SELECT count(*) FROM subscriber_state) || ' states, ' ||
			(SELECT count(*) FROM request_pending) || ' pending, ' ||
			(SELECT count(*) FROM audit) || ' audit rows; of another partition: ' ||
			(SELECT count(*) FROM subscriber_state WHERE itin_key_hash(key) & 3 <> $p) +
			(SELECT count(*) FROM request_pending WHERE itin_key_hash(key) & 3 <> $p
			 OR itin_id_partition(id) & 3 <> $p) +
			(SELECT count(*) FROM audit WHERE itin_key_hash(key) & 3 <> $p)"
		p=$((p + 1))
	done
	psql -XAtq -c "SELECT 'the proxy: ' || (SELECT count(*) FROM subscriber_state) || ' states, ' ||
		(SELECT count(*) FROM request_pending) || ' pending, ' ||
		(SELECT count(*) FROM audit) || ' audit rows'"
}

# A partition being moved (contrib/shard/shard.sh move) is written by nothing: u1's (partition
# 1) request is not recorded and the others are, a sent mark of one of its requests fails
# and is taken once the move is over.
moving() {
	now=1795140000
	psql -XAtq -c "INSERT INTO partition_moving (n) VALUES (1)"
	echo "# partition 1 being moved: a batch of 8 queries (request, action, language)"
	as_daemon "SELECT string_agg(b.n || ' ' || coalesce(b.action || ' ' || b.lang, 'not recorded'), ', ' ORDER BY b.n)
		FROM itin_requests_begin('b', $(keys 8), array_fill(0::smallint, ARRAY[8]),
			array_fill(0::smallint, ARRAY[8]), array_fill(($now + 7200)::bigint, ARRAY[8]),
			$(messages 8 m4), array_fill('00'::text, ARRAY[8]),
			array_fill(false, ARRAY[8]), 0::smallint, '5 min', 2, '1 hour', '30 s', false)
			WITH ORDINALITY AS b(id, action, lang, n)"
	u1=$(itin_pg_all "SELECT id FROM request_pending WHERE key = sha256('u1')" | head -1)
	as_daemon "SELECT itin_requests_sent('b', '{$u1}', '{1}', '{NULL}', to_timestamp($now + 7200))" 2>&1 |
		sed 's/^psql:[^ ]* //'
	psql -XAtq -c "DELETE FROM partition_moving"
	echo "# moved: the mark taken"
	as_daemon "SELECT itin_requests_sent('b', '{$u1}', '{1}', '{NULL}', to_timestamp($now + 7200))" > /dev/null
	echo "u1 pending: $(itin_pg_all "SELECT count(*) FROM request_pending WHERE key = sha256('u1')" | awk '{ n += $1 } END { print n }')"
}

out=$(mktemp -d /tmp/itin-test.XXXXXX) || exit 99
trap 'rm -rf "$out"' EXIT
(unset ITIN_TEST_PARTITIONS; scenario) > "$out/node" 2>&1
(ITIN_TEST_PARTITIONS=4; export ITIN_TEST_PARTITIONS; scenario; { placement; moving; } > "$out/placement" 2>&1) \
	> "$out/partitions" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcripts (review the diff before committing).
if [ -n "${ITIN_UPDATE_GOLDEN:-}" ]; then
	cp "$out/node" "$srcdir/tests/shard/requests.ok"
	cp "$out/placement" "$srcdir/tests/shard/requests-partitions.ok"
fi
rc=0
diff -u "$srcdir/tests/shard/requests.ok" "$out/node" || rc=1
diff -u --label 'a single node (requests.ok)' --label 'a proxy and 4 partitions' \
	"$srcdir/tests/shard/requests.ok" "$out/partitions" || rc=1
diff -u "$srcdir/tests/shard/requests-partitions.ok" "$out/placement" || rc=1
exit $rc
