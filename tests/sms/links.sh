#!/bin/sh
# itinerad bound to two SMSCs at once (two npm smpp SMSCs, ports 24014 and 24015), with
# consent off and a reply deadline of 1 s: queries answered at once, each reply on the link
# its request came in on, and the busy text when a lock holds the lookup past the deadline.
# Transcripts of both SMSCs and the audit rows compared with links.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_sms_test itin_sms_links
sed 's/^reply_deadline = .*/reply_deadline = 1s/' > "$WORK/itinerad.conf" <<CONF
$(itin_daemon_conf /dev/stdout 24014 <<EXTRA
[smpp b]
host = 127.0.0.1
port = 24015
system_id = itinerary
password = secret
[service]
consent = off
EXTRA
)
CONF
# lock.sh S: a session holds presence_recent for S seconds (started in the background, the
# lock taken before it returns); wait-lock.sh waits for it to end.
cat > "$WORK/lock.sh" <<SH
. "$top_srcdir/tests/lib/poll.sh"
locked() {
	[ "\$(psql -XAtq -c "SELECT count(*) FROM pg_locks WHERE granted AND
		relation = 'presence_recent'::regclass AND mode = 'AccessExclusiveLock'")" = 1 ]
}
psql -XAtq -c "BEGIN; LOCK presence_recent; SELECT pg_sleep(\$1); COMMIT;" > /dev/null 2>&1 &
echo \$! > "$WORK/lock.pid"
itin_poll 200 locked
SH
cat > "$WORK/wait-lock.sh" <<SH
. "$top_srcdir/tests/lib/poll.sh"
unlocked() { ! kill -0 \$(cat "$WORK/lock.pid") 2> /dev/null; }
itin_poll 100 unlocked
SH
# wait-replies.sh N: until itinerad has answered N requests in all (the SMSCs' scenarios take
# turns by it, so that the concatenation references are the same on every run).
cat > "$WORK/wait-replies.sh" <<SH
. "$top_srcdir/tests/lib/poll.sh"
answered() {
	[ -n "\$(itin_metric http://127.0.0.1:25014/metrics itinerad_replies_total |
		awk -v n="\$1" '\$1 >= n')" ]
}
itin_poll 300 answered "\$1"
SH
for smsc in a:24014 b:24015; do
	itin_smsc_start "${smsc#*:}" "$srcdir/tests/sms/links-${smsc%:*}.scenario" \
		"$WORK/smsc-${smsc%:*}.out" "$WORK/smsc-${smsc%:*}.err"
	echo $ITIN_SMSC_PID >> "$WORK/smsc.pids"
done
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
for pid in $(cat "$WORK/smsc.pids"); do wait "$pid"; done
itin_daemon_stop
{
	echo "# SMSC a (port 24014)"
	cat "$WORK/smsc-a.out"
	echo "# SMSC b (port 24015)"
	cat "$WORK/smsc-b.out"
	echo "# audit: intent, action, parts"
	psql -XAtq -c "SELECT intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	echo "# pending: $(psql -XAtq -c 'SELECT count(*) FROM request_pending')"
} > "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/sms/links.ok"
diff -u "$srcdir/tests/sms/links.ok" "$WORK/out" || { tail -30 "$WORK/itinerad.log"; exit 1; }
