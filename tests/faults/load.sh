#!/bin/sh
# itinerad under faults at a steady load (issue 8). Our SMSC load generator
# (bench/itinerad-smsc-load --faults, port 24950) offers CXMYD from distinct subscribers
# (4,000 of them with 14 days of data, the others none; consent off) at 200 deliver_sm/s for
# 60 s, and, as an SMSC does, delivers again a deliver_sm answered with an error or lost with
# its connection, 1 s later. Meanwhile, in turn: PostgreSQL is stopped (pg_ctl -m fast) for 5 s
# and started; the generator cuts the SMSC link; itinerad is killed with SIGKILL and started
# again; a session holds request_pending locked for 6 s (a slow database: no request can be
# recorded within the reply deadline of 2 s: the busy text, then, once recorded, the reply),
# then presence_recent for 4 s (a lookup waits past the reply deadline and its request gets the
# busy text; the statements pipelined behind it on its connection wait too). /metrics is
# scraped all along.
#
# What is checked (tests/faults/load_check.py prints load.ok's yes/no lines; the counts behind
# them vary with timing and go to the log only): every deliver_sm gets a response within 5 s
# (osmo-msc's timeout) or is lost with its connection, and the responses are 0 or the
# temporary error 0x64 (never a timeout); a request the database cannot record in time (stopped
# or locked) is taken and gets the busy text; every request is acknowledged in the end and
# then answered whole; the audit has one answered row per subscriber recorded, and a busy row
# for every subscriber given the busy text; itinerad's
# queues stay under generous bounds.
#
# "Exactly once as seen by the subscriber": itinerad sends a reply at least once. It sends one
# again only when it cannot know that the SMSC took it: a submit_sm whose response was lost
# with the link, or a reply not yet marked done when itinerad was killed. The subscriber may
# then get the same text twice unless the SMSC or the handset drops the copy; SMPP 3.4 gives
# the ESME no way to prevent that, and we do not assume the SMSC deduplicates. So the test
# checks what itinerad can promise: no request goes unanswered, no subscriber gets two
# different replies besides the busy text (a copy is the same parts, byte for byte after the
# UDH), copies come only
# on a later connection than the original (never as a retry on a working link), and nobody
# gets a reply they did not ask for. The SMSC's repeat of a deliver_sm that itinerad did record
# is a duplicate (same subscriber, same text within 30 s) and gets no reply.
#
# Under valgrind (ITIN_VALGRIND, contrib/check-valgrind.sh) the offered rate is 30/s.
# Uses a private PostgreSQL cluster, since it stops and starts it. About 80 s.
set -u
ITIN_TEST_PGHOST=
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_faults_load
. "$top_srcdir/tests/lib/daemon.sh"
port=24950
admin=25950
rate=200
[ -z "${ITIN_VALGRIND:-}" ] || rate=30
secs=60
loaded=4000
subs=$((rate * (secs + 10)))
WORK=$(mktemp -d /tmp/itin-faults-load.XXXXXX)
chmod 755 "$WORK"
cleanup() {
	for f in load.pid scrape.pid lock.pid; do
		[ -f "$WORK/$f" ] && kill "$(cat "$WORK/$f")" 2> /dev/null
	done
	itin_daemon_stop
	if [ -n "${ITIN_KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
	itin_pg_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The data: 4,000 sample subscribers (MSISDN 8613800000000 + i), 14 days to the test time.
itin_sample_db "$WORK" $loaded

sed 's/^reply_deadline = .*/reply_deadline = 2s/' > "$WORK/itinerad.conf" <<CONF
$(itin_daemon_conf /dev/stdout $port <<EXTRA
[service]
consent = off
# 200 replies a second and the SMSC's bursts of redeliveries are above the default fuse
max_replies = off
EXTRA
)
CONF

# /metrics four times a second: requests in flight, submit_sm queued and outstanding,
# database statements in flight ("down" while itinerad is not there).

now() { date +%s.%N; }
phase() {	# NAME START: the fault NAME lasted from START to now
	echo "$1 $2 $(now)" >> "$WORK/phases"
}
at() {	# wait until SECONDS after the load began
	until awk -v now="$(now)" -v t0="$t0" -v s="$1" 'BEGIN { exit !(now - t0 >= s) }'; do
		sleep 0.2
	done
}
lock() {	# TABLE SECONDS: a session holds TABLE locked; returns once it has the lock
	psql -XAtq -c "BEGIN; LOCK $1; SELECT pg_sleep($2); COMMIT;" > /dev/null 2>&1 &
	echo $! > "$WORK/lock.pid"
	itin_poll 200 locked "$1"
}
locked() {	# TABLE: a session holds it locked
	[ "$(psql -XAtq -c "SELECT count(*) FROM pg_locks WHERE granted AND
		relation = '$1'::regclass AND mode = 'AccessExclusiveLock'")" = 1 ]
}

"$top_builddir/bench/itinerad-smsc-load" --port $port --subscribers $subs --rate $rate \
	--duration $secs --window 200 --faults "$WORK/smsc.log" > "$WORK/load.ok" 2>&1 &
echo $! > "$WORK/load.pid"
itin_poll 100 itin_listens $port || { echo "the load generator did not listen"; exit 99; }
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
/usr/bin/python3 "$top_srcdir/tests/lib/scrape_metrics.py" "http://127.0.0.1:$admin/metrics" \
	"$WORK/metrics" itinerad_requests_in_flight itinerad_smpp_queue_length \
	itinerad_smpp_window_outstanding itinerad_db_queries_in_flight &
echo $! > "$WORK/scrape.pid"
itin_poll 300 itin_log_count "$WORK/smsc.log" 1 '^bind' ||
	{ echo "itinerad did not bind"; tail "$WORK/itinerad.log"; exit 1; }
t0=$(now)

at 5
start=$(now)
sh "$top_srcdir/sql/pgcluster.sh" stop "$PGHOST"
sleep 5
sh "$top_srcdir/sql/pgcluster.sh" start "$PGHOST" -c fsync=off
phase postgres-stopped "$start"

at 18
start=$(now)
kill -USR1 "$(cat "$WORK/load.pid")"
phase link-cut "$start"

at 27
start=$(now)
kill -9 "$ITIN_DAEMON_PID"
wait "$ITIN_DAEMON_PID" 2> /dev/null
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad-2.log"
phase itinerad-killed "$start"

at 38
start=$(now)
lock request_pending 6
wait "$(cat "$WORK/lock.pid")"
phase recording-locked "$start"

at 48
start=$(now)
lock presence_recent 4
wait "$(cat "$WORK/lock.pid")"
phase lookup-locked "$start"

wait "$(cat "$WORK/load.pid")"
rm -f "$WORK/load.pid"
itin_daemon_stop
kill "$(cat "$WORK/scrape.pid")"
rm -f "$WORK/scrape.pid"
# answered rows and their subscribers (the busy text apart), and the subscribers of busy rows
psql -XAtq -F ' ' -c "SELECT count(*) FILTER (WHERE action NOT IN (0, 10)),
	count(DISTINCT key) FILTER (WHERE action NOT IN (0, 10)),
	count(DISTINCT key) FILTER (WHERE action = 10) FROM audit" > "$WORK/audit"
{
	/usr/bin/python3 "$srcdir/tests/faults/load_check.py" "$WORK/smsc.log" "$WORK/phases" \
		"$WORK/metrics" "$WORK/audit" "$WORK/figures"
	echo "pending after a clean stop: $(psql -XAtq -c 'SELECT count(*) FROM request_pending')"
} > "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/faults/load.ok"
echo "offered $rate deliver_sm/s for $secs s to $subs subscribers"
cat "$WORK/load.ok" "$WORK/figures"
diff -u "$srcdir/tests/faults/load.ok" "$WORK/out" || {
	grep -a 'NOTICE\|ERROR' "$WORK"/itinerad*.log | tail -30
	exit 1
}
