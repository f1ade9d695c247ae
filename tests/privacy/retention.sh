#!/bin/sh
# Retention expires identities with their presence (issue 17): itinerad-db retention deletes a
# subscriber with no presence left in the days kept (window_days + 1), their MSISDN and IMSI
# keys and the state of keys no subscriber holds once their last request is older than the
# first day kept; a subscriber with recent presence keeps everything, even an old key state,
# and still gets an answer. The audit keeps its own audit_days. Retention waits for an event
# load in progress (shown with pg_locks, not timings). Against a private database; the
# state rows are written as the request rules write them for a query (migration 055). The
# transcript, with row counts per table for each subscriber before and after, must equal
# retention.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/poll.sh"
itin_pg_test itin_retention
AT=2026-11-20T12:00:00+08:00
# The keys of subscriber $1, as a SQL list (kept here: they outlive the rows).
keys_of() {
	itin_sql "SELECT string_agg(quote_literal(key::text) || '::bytea', ', ') FROM subscriber_key WHERE subscriber = $1"
}
# A state row as itin_request_begin leaves it after a query with consent at time $2.
request_state() {
	itin_sql "INSERT INTO subscriber_state (key, consent_asked_at, rate_period_start, rate_count, last_message, last_message_at) VALUES ($1, '$2', '$2', 1, '\\x00112233', '$2')"
}
# Rows per table of subscriber $1 (id $2, keys $3).
rows() {
	itin_sql "SELECT '$1: subscriber ' || (SELECT count(*) FROM subscriber WHERE id = $2) || ', subscriber_key ' || (SELECT count(*) FROM subscriber_key WHERE key IN ($3)) || ', subscriber_state ' || (SELECT count(*) FROM subscriber_state WHERE key IN ($3)) || ', presence ' || (SELECT count(*) FROM presence_history WHERE subscriber = $2) + (SELECT count(*) FROM presence_recent WHERE subscriber = $2) || ', audit ' || (SELECT count(*) FROM audit WHERE key IN ($3))"
}
# Waits (up to 30 s) until the loads' advisory lock is held in mode $1, granted or not ($2),
# in this database: the other tests of a run share the cluster, and their loads take the lock too.
lock_is() {
	itin_poll 300 lock_held "$1" "$2" || { echo "no $1 (granted $2) on the loads' lock"; return 1; }
}
lock_held() {
	[ "$(itin_sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND objid = 7401003 AND mode = '$1' AND granted = $2")" = 1 ]
}
counts() {
	rows "A (recent)" "$a_id" "$a_keys"
	rows "B (old)" "$b_id" "$b_keys"
	rows "C (asked, no data, old)" 0 "$c_key"
	rows "D (asked, no data, today)" 0 "$d_key"
	itin_sql "SELECT 'all: subscriber ' || (SELECT count(*) FROM subscriber) || ', subscriber_key ' || (SELECT count(*) FROM subscriber_key) || ', subscriber_state ' || (SELECT count(*) FROM subscriber_state) || ', audit ' || (SELECT count(*) FROM audit)"
}

{
	itin_retention_two "$AT"
	a_id=$(itin_sql "SELECT DISTINCT subscriber FROM presence_recent WHERE day = '2026-11-19'")
	b_id=$(itin_sql "SELECT DISTINCT subscriber FROM presence_recent WHERE day = '2026-10-30'")
	a_keys=$(keys_of "$a_id")
	b_keys=$(keys_of "$b_id")
	a_msisdn_key=$(itin_sql "SELECT quote_literal(key::text) || '::bytea' FROM subscriber_key WHERE subscriber = $a_id AND imsi_seen IS NULL")
	a_imsi_key=$(itin_sql "SELECT quote_literal(key::text) || '::bytea' FROM subscriber_key WHERE subscriber = $a_id AND imsi_seen IS NOT NULL")
	b_msisdn_key=$(itin_sql "SELECT quote_literal(key::text) || '::bytea' FROM subscriber_key WHERE subscriber = $b_id AND imsi_seen IS NULL")
	c_key="sha256('C')"
	d_key="sha256('D')"
	echo "# requests: B by SMS on 2026-10-31, A by SMS today and by USSD on 2026-10-31, two"
	echo "# numbers without data (C on 2026-10-31, D today); B's request audited"
	request_state "$b_msisdn_key" '2026-10-31 10:00+08'
	request_state "$a_msisdn_key" '2026-11-20 11:00+08'
	request_state "$a_imsi_key" '2026-10-31 10:00+08'
	request_state "$c_key" '2026-10-31 10:00+08'
	request_state "$d_key" '2026-11-20 11:00+08'
	itin_sql "INSERT INTO audit (key, received_at, answered_at, channel, intent, action, parts) VALUES ($b_msisdn_key, '2026-10-31 10:00+08', '2026-10-31 10:00+08', 0, 0, 2, 1)"
	counts
	echo "# retention on 2026-11-20 keeps 2026-11-06 on (14 days + today)"
	itin_run retention --at $AT
	counts
	itin_ask 8613800000001 --msisdn - --at $AT --lang en
	itin_ask 460001000000001 --imsi - --at $AT --lang en
	itin_ask 8613800000002 --msisdn - --at $AT --lang en
	itin_ask 460001000000002 --imsi - --at $AT --lang en
	echo "# a second run finds nothing more to expire"
	itin_run retention --at $AT

	echo "# retention waits for an event load in progress (its subscriber ids outlive a batch):"
	echo "# 8613800000005's line comes once retention waits, and is kept"
	mkfifo "$work/feed"
	"$db" load events - --at $AT < "$work/feed" > "$work/load.out" 2>&1 &
	load=$!
	exec 3> "$work/feed"	# the load reads until this closes (retention must not inherit it)
	printf 'time,imsi,msisdn,mcc,mnc,lac,ci\n' >&3
	lock_is ShareLock true || { exec 3>&-; kill $load; }
	"$db" retention --at $AT > "$work/retention.ok" 2>&1 3>&- &
	retention=$!
	lock_is ExclusiveLock false || { exec 3>&-; kill $load $retention; }
	echo "load holds the lock, retention waits for it"
	printf '2026-11-20T09:00:00+08:00,460001000000005,8613800000005,460,00,8193,2001\n' >&3
	exec 3>&-
	wait $load
	echo "load exit $?: $(grep -v ' lines/s$' "$work/load.out")"
	wait $retention
	echo "retention exit $?:"
	cat "$work/retention.ok"
	counts
} > "$work/out" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript (review the diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/out" "$srcdir/tests/privacy/retention.ok"
diff -u "$srcdir/tests/privacy/retention.ok" "$work/out"
