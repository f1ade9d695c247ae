#!/bin/sh
# Retention gives the same results on a single node and on a partitioned layout (issue 21: a
# proxy and 4 partitions on two clusters, tests/lib/pg.sh). The same scenario runs on both and
# each transcript must equal retention.ok: the request state (subscriber_state, on the
# partition of its key since migration 270) of a key is kept while a subscriber holds the key,
# and goes with the last presence of its holder in the same run; a newest event time beyond
# the clock becomes that of the newest presence kept, on the partitions, and goes when none is
# left. Before migration 260 the proxy forgot the state of every key without a message in the
# window and deleted the feed's newest event time instead of clamping it.
set -u
. "$top_srcdir/tests/lib/pg.sh"
AT=2026-11-20T12:00:00+08:00
LATER=2026-12-10T12:00:00+08:00

# SQL on the database that holds the keys and presence: the single node, or every partition.
on_keys() {
	if [ -n "${ITIN_TEST_PARTITIONS:-}" ]; then
		itin_pg_each_part "$1"
	else
		itin_sql "$1"
	fi
}
# The MSISDN key (hex) of the subscriber seen on day $1, and the IMSI key of the MSISDN key $1:
# a single node's names its holder by id, a partition's by MSISDN key (migration 195).
msisdn_key() {
	on_keys "SELECT encode(key, 'hex') FROM subscriber_key WHERE imsi_seen IS NULL AND subscriber IN (SELECT subscriber FROM presence_recent WHERE day = '$1' UNION ALL SELECT subscriber FROM presence_history WHERE day = '$1')"
}
imsi_key() {
	on_keys "SELECT encode(key, 'hex') FROM subscriber_key WHERE imsi_seen IS NOT NULL AND (holder_key = '\\x$1' OR subscriber = (SELECT subscriber FROM subscriber_key WHERE key = '\\x$1'))"
}
# SQL on the database that holds the request state: the single node, or every partition with
# PART, a condition on a key, true for that partition's keys only.
on_states() {	# SQL with PART
	if [ -z "${ITIN_TEST_PARTITIONS:-}" ]; then
		itin_sql "$(echo "$1" | sed 's/PART(\([^)]*\))/true/g')"
		return
	fi
	p=0
	(IFS='|'; for c in $itin_pg_parts; do echo "$c"; done) | while read -r c; do
		psql -XAtq -v ON_ERROR_STOP=1 -d "$c" \
			-c "$(echo "$1" | sed "s/PART(\([^)]*\))/itin_key_hash(\1) \& $((ITIN_TEST_PARTITIONS - 1)) = $p/g")"
		p=$((p + 1))
	done
}
# A state row as the request rules leave it after a request at time $2, language $3.
request_state() {
	on_states "INSERT INTO subscriber_state (key, lang, consent_asked_at, rate_period_start, rate_count, last_message, last_message_at) SELECT v.k, $3, '$2'::timestamptz, '$2'::timestamptz, 1, '\\x00112233'::bytea, '$2'::timestamptz FROM (VALUES ($1::bytea)) v(k) WHERE PART(v.k)"
}
# Each label's state, wherever it is; the states and the feed's newest event time.
states() {
	{
		itin_sql "SELECT n || '|' || label || ': deleted' FROM (VALUES $labels) AS l(n, label, key)"
		on_states "SELECT l.n || '|' || l.label || ': kept, lang ' || s.lang || ', last message ' || to_char(s.last_message_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') FROM (VALUES $labels) AS l(n, label, key) JOIN subscriber_state s ON s.key = l.key"
	} | sort -t'|' -k1,1n -s | awk -F'|' '{ line[$1] = $2 } END { for (n = 1; n in line; n++) print line[n] }'
	echo "subscriber_state rows $(on_states "SELECT count(*) FROM subscriber_state" | awk '{ n += $1 } END { print n }')"
	itin_sql "SELECT 'feed_state events: ' || coalesce((SELECT to_char(newest_event AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') FROM feed_state WHERE feed = 'events'), 'no row')"
}
# itinerad-db retention at $1, the newest event time set beyond the clock first; its own lines
# differ by layout (a partitioned one runs it on each database): only a failure is shown.
retention() {
	itin_sql "UPDATE feed_state SET newest_event = '2027-01-01 00:00+08' WHERE feed = 'events'"
	echo "\$ itinerad-db retention --at $1 (the newest event time set to 2027-01-01 before)"
	"$db" retention --at "$1" > "$work/retention.out" 2>&1 ||
		{ echo "retention failed:"; cat "$work/retention.out"; }
}

scenario() {
	PGOPTIONS='-c client_min_messages=warning'	# no notice from dropdb --if-exists
	export PGOPTIONS
	itin_pg_test itin_retention_layouts
	itin_retention_two "$AT"
	a_msisdn=$(msisdn_key 2026-11-19)
	b_msisdn=$(msisdn_key 2026-10-30)
	a_imsi=$(imsi_key "$a_msisdn")
	b_imsi=$(imsi_key "$b_msisdn")
	labels="(1, 'A by SMS', '\\x$a_msisdn'::bytea), (2, 'A by USSD', '\\x$a_imsi'::bytea),
		(3, 'B by SMS', '\\x$b_msisdn'::bytea), (4, 'B by USSD', '\\x$b_imsi'::bytea),
		(5, 'C, no data', sha256('C')), (6, 'D, no data', sha256('D'))"
	echo "# requests on 2026-10-31: A and B by SMS (English chosen) and by USSD, C without"
	echo "# data; D without data today"
	request_state "'\\x$a_msisdn'" '2026-10-31 10:00+08' 1
	request_state "'\\x$a_imsi'" '2026-10-31 10:05+08' 0
	request_state "'\\x$b_msisdn'" '2026-10-31 10:00+08' 1
	request_state "'\\x$b_imsi'" '2026-10-31 10:05+08' 0
	request_state "sha256('C')" '2026-10-31 10:00+08' 0
	request_state "sha256('D')" '2026-11-20 11:00+08' 0
	echo "# and 20,000 more on 2026-10-31 without data"
	on_states "INSERT INTO subscriber_state (key, last_message_at) SELECT k, '2026-10-31 10:00+08'::timestamptz FROM (SELECT sha256(i::text::bytea) AS k FROM generate_series(1, 20000) AS i) s WHERE PART(k)"
	states
	echo "# retention on 2026-11-20 keeps 2026-11-06 on: B and his keys go, A keeps his"
	retention $AT
	states
	echo "# 20 days later A's presence goes too, and with it his keys and states"
	retention $LATER
	states
}

out=$(mktemp -d /tmp/itin-test.XXXXXX) || exit 99
trap 'rm -rf "$out"' EXIT
(unset ITIN_TEST_PARTITIONS; scenario) > "$out/node" 2>&1
(ITIN_TEST_PARTITIONS=4; export ITIN_TEST_PARTITIONS; scenario) > "$out/partitions" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript from the single node's (review the
# diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$out/node" "$srcdir/tests/shard/retention.ok"
rc=0
diff -u "$srcdir/tests/shard/retention.ok" "$out/node" || rc=1
diff -u --label 'a single node (retention.ok)' --label 'a proxy and 4 partitions' \
	"$srcdir/tests/shard/retention.ok" "$out/partitions" || rc=1
exit $rc
