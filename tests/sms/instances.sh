#!/bin/sh
# Two itinerad processes on one database, instances a and b, bound to one SMSC
# (tests/smsc/load_smsc.js on port 26300, admin endpoints on 26301 and 26302; ITIN_TEST_SMS_PORT
# moves the three, as tests/shard/instances.sh does for the partitioned layout) that spreads a
# steady load of 300 deliver_sm/s over both, each from its own number. The SMSC holds the
# answers to the replies for a while (a reply sent and not yet confirmed), stops sending new
# messages until every one sent so far has its reply, and a is killed with SIGKILL: b takes
# over a's pending requests once a's lease (3 s) has run out, and the SMSC sends a's
# unacknowledged deliver_sm again, to b; a's replies it had sent are not sent again (they were
# claimed before they were sent, issue 20; before, b sent them again). Then the SMSC holds the
# answers to b's replies again, and a is started again: it answers its own pending requests
# (none: b took them) and none of b's. In the end every number sent from has exactly one
# reply, every request one audit row, and nothing is left pending.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_sms_test itin_sms_instances
COUNT=3000
port=${ITIN_TEST_SMS_PORT:-26300}

conf() {	# instance name, admin port
	{
		printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests-8c1f4e7a92d035b6e0a9d4c71f28b3e5\n'
		printf '[service]\ndomestic_mcc = 460, 001\nreply_deadline = 4s\nconsent = off\n'
		printf 'max_replies = off\n'
		printf '[instance]\nname = %s\nlease = 3s\n' "$1"
		printf '[smpp test-smsc]\nhost = 127.0.0.1\nport = %s\nsystem_id = itinerary\n' "$port"
		printf 'password = secret\nresponse_timeout = 30s\nwindow = 200\n'
		printf '[admin]\nlisten = 127.0.0.1:%s\n' "$2"
	} > "$WORK/$1.conf"
}
conf a $((port + 1))
conf b $((port + 2))

field() {	# the SMSC's status field $1
	sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$WORK/smsc.status" 2>/dev/null
}
at_least() { [ "$(field "$1")" -ge "$2" ] 2>/dev/null; }
sql() { psql -XAtq -c "$1"; }
sql_is() { [ "$(sql "$1")" = "$2" ]; }
# The pending requests of instance a, on every database of the layout.
a_pending_none() {
	[ "$(itin_pg_all "SELECT count(*) FROM request_pending WHERE owner LIKE '%/a'" |
		awk '{ n += $1 } END { print n }')" = 0 ]
}

mkfifo "$WORK/smsc.in"
node "$top_srcdir/tests/smsc/load_smsc.js" $port $COUNT 300 "$WORK/smsc.status" \
	< "$WORK/smsc.in" > "$WORK/smsc.out" 2>&1 &
SMSC_PID=$!
exec 3> "$WORK/smsc.in"
trap 'echo end >&3; wait $SMSC_PID; for pid in $A_PID $B_PID; do kill $pid; wait $pid; done 2>/dev/null
	[ -n "${ITIN_KEEP:-}" ] || rm -rf "$WORK"; itin_pg_cleanup' EXIT
itin_poll 100 test -f "$WORK/smsc.status" || { echo "the SMSC did not listen"; cat "$WORK/smsc.out"; exit 99; }

itin_daemon_start "$WORK/a.conf" "$WORK/a.log"
A_PID=$ITIN_DAEMON_PID
itin_daemon_start "$WORK/b.conf" "$WORK/b.log"
B_PID=$ITIN_DAEMON_PID
ITIN_DAEMON_PID=
itin_poll 300 at_least acked 600 || { echo "the load did not start"; cat "$WORK/smsc.status"; exit 1; }

echo "# replies held, then no new message until each has its reply; a killed with SIGKILL"
echo hold >&3
itin_poll 300 at_least held 20 || { echo "the replies were not held"; cat "$WORK/smsc.status"; exit 1; }
echo pause >&3
itin_poll 300 eval '[ "$(field answered)" = "$(field sent)" ]' ||
	{ echo "not every message had its reply"; cat "$WORK/smsc.status"; exit 1; }
kill -KILL $A_PID
wait $A_PID 2>/dev/null
itin_poll 300 sql_is "SELECT count(*) FROM instance WHERE name LIKE '%/a' AND lease_until < now()" 1 ||
	{ echo "a's lease did not run out"; exit 1; }
# b takes over at its next renewal: a's rows are b's or answered
itin_poll 300 a_pending_none ||
	{ echo "a's pending requests were not taken over"; itin_pg_all "SELECT owner, count(*) FROM request_pending GROUP BY 1"; exit 1; }
echo release >&3
echo resume >&3

echo "# b's replies held unanswered, a started again"
echo hold >&3
itin_poll 300 at_least held 1 || { echo "b's replies were not held"; cat "$WORK/smsc.status"; exit 1; }
acked_before=$(field acked)
itin_daemon_start "$WORK/a.conf" "$WORK/a2.log"
A_PID=$ITIN_DAEMON_PID
ITIN_DAEMON_PID=
# a takes requests again (it does once its own pending ones are known)
itin_poll 300 at_least acked $((acked_before + 100)) || { echo "a did not take requests again"; tail "$WORK/a2.log"; exit 1; }
echo release >&3

itin_poll 600 at_least answered $COUNT || { echo "not every request was answered"; cat "$WORK/smsc.status"; exit 1; }
itin_poll 300 at_least acked $COUNT || { echo "not every deliver_sm was acknowledged"; cat "$WORK/smsc.status"; exit 1; }
for pid in $A_PID $B_PID; do
	kill -TERM $pid
	wait $pid
done
A_PID= B_PID=
{
	echo "# the SMSC's count"
	sed 's/"sessions":[0-9]*,//; s/"replies":[0-9]*,//; s/,"held":[0-9]*//' "$WORK/smsc.status"
	echo "# answered by a again: $(grep -c 'left pending by a previous run' "$WORK/a2.log")"
	touch "$WORK/smsc.status.duplicates"
	echo "# numbers answered more than once: $(sort -u "$WORK/smsc.status.duplicates" | wc -l)"
	echo "# audit rows of an answer (not a redelivery)"
	itin_pg_all "SELECT count(*) || ' ' || count(DISTINCT key) FROM audit WHERE action <> 0" |
		awk '{ rows += $1; keys += $2 } END { print rows "|" keys }'	# a key on one database
	echo "# pending: $(itin_pending_count)"
} > "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/sms/instances.ok"
diff -u "$srcdir/tests/sms/instances.ok" "$WORK/out" || { tail -20 "$WORK/b.log"; exit 1; }
