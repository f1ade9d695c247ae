#!/bin/sh
# itinerad under faults, against the npm smpp SMSC (tests/smsc/conversation.js, port 24012):
# throttling, the SMSC dropping the link mid-conversation, PostgreSQL stopped and started (the
# busy text at once), request_pending locked past the reply deadline (the busy text, then the
# reply once recorded), itinerad killed with SIGKILL with a reply pending and restarted. Every
# accepted request must be answered: the transcript is compared with faults.ok. Uses a private
# PostgreSQL cluster, since it stops and starts it.
set -u
ITIN_TEST_PGHOST=
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
# itinerad is started by $WORK/itinerad.sh, a process of its own: its pid is in a file
itin_sms_test itin_sms_faults 'kill -9 $(cat "$WORK/itinerad.pid" 2>/dev/null) 2>/dev/null'
chmod 755 "$WORK"
port=24012

itin_daemon_conf "$WORK/itinerad.conf" $port < /dev/null
cat > "$WORK/pg.sh" <<PG
sh "$top_srcdir/sql/pgcluster.sh" \$1 "$PGHOST" -c fsync=off
PG
# wait.sh done: until every answered request is marked done; wait.sh db-up: until itinerad's
# two database connections are up again. (The SMSC is blocked while it runs them.)
cat > "$WORK/wait.sh" <<WAIT
. "$top_srcdir/tests/lib/poll.sh"
none_pending() { [ "\$(psql -XAtq -c 'SELECT count(*) FROM request_pending')" = 0 ]; }
db_up() {
	[ "\$(itin_metric http://127.0.0.1:$((port + 1000))/metrics itinerad_db_connections_up)" = 2 ]
}
case \$1 in
done)	itin_poll 100 none_pending ;;
db-up)	itin_poll 300 db_up ;;
esac
WAIT
# hold: returns once a session holds request_pending locked (no request can be recorded);
# release: ends that session.
cat > "$WORK/lock.sh" <<'LOCK'
. "$top_srcdir/tests/lib/poll.sh"
locked() {
	[ "$(psql -XAtq -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		WHERE a.application_name = 'itin_lock' AND l.relation = 'request_pending'::regclass
		AND l.mode = 'ExclusiveLock' AND l.granted")" = 1 ]
}
if [ "$1" = hold ]; then
	PGAPPNAME=itin_lock psql -XAtq -c 'BEGIN' -c 'LOCK TABLE request_pending IN EXCLUSIVE MODE' \
		-c 'SELECT pg_sleep(120)' > /dev/null 2>&1 &
	echo $! > "$WORK/lock.pid"
	itin_poll 300 locked
else
	psql -XAtq -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'itin_lock'" > /dev/null
	wait "$(cat "$WORK/lock.pid")" 2> /dev/null
	itin_poll 300 eval '! kill -0 "$(cat "$WORK/lock.pid")" 2> /dev/null'
fi
LOCK
# (Re)starts itinerad in the background; its pid in itinerad.pid, its log appended.
cat > "$WORK/itinerad.sh" <<DAEMON
. "$top_srcdir/tests/lib/daemon.sh"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log.\$(date +%s%N)"
echo \$ITIN_DAEMON_PID > "$WORK/itinerad.pid"
DAEMON
itin_smsc_start $port "$srcdir/tests/sms/faults.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
PGHOST=$PGHOST sh "$WORK/itinerad.sh"
wait $ITIN_SMSC_PID
pid=$(cat "$WORK/itinerad.pid")
kill -TERM "$pid"
itin_poll 100 eval '! kill -0 "$pid" 2> /dev/null'
{
	cat "$WORK/smsc.out"
	# (as a set: the rows' times are whole seconds, and two requests may share one)
	echo "# audit: intent, action, parts, rows"
	psql -XAtq -c "SELECT intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	echo "# pending: $(psql -XAtq -c 'SELECT count(*) FROM request_pending')"
} > "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/sms/faults.ok"
diff -u "$srcdir/tests/sms/faults.ok" "$WORK/out"
