#!/bin/sh
# Reply amplification (issue 17, finding 4: SMS pumping), over SMPP from the npm smpp SMSC of
# tests/smsc/conversation.js (port 24110, admin 25110): every request counts in the
# subscriber's rate limit, whatever its keyword; only numbers of the home country code and of
# reply_country_codes are answered; the global reply cap (max_replies, here 10 an hour) holds
# back what is beyond it. The SMSC's transcript (every deliver_sm_resp status, every submit_sm),
# the /metrics counters of what was not answered, the log lines about it (at most one every
# 10 s each; the test takes less) and the audit rows are compared with amplify.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/npm.sh"
itin_sms_test itin_abuse_amplify
itin_npm_ci > /dev/null 2>&1 || { echo "npm ci failed"; exit 77; }
port=24110
itin_daemon_conf "$WORK/itinerad.conf" $port <<CONF
[service]
reply_country_codes = 852
max_replies = 10/1h
CONF
itin_smsc_start $port "$srcdir/tests/abuse/amplify.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
smsc=$ITIN_SMSC_PID
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
while kill -0 $smsc 2> /dev/null; do
	kill -0 "$ITIN_DAEMON_PID" 2> /dev/null ||
		{ echo "itinerad exited"; cat "$WORK/itinerad.log"; kill $smsc; exit 1; }
	sleep 0.2
done
wait $smsc
curl -s "http://127.0.0.1:$((port + 1000))/metrics" > "$WORK/metrics"
itin_daemon_stop
{
	cat "$WORK/smsc.out"
	echo "# metrics"
	grep -E '^itinerad_(replies_capped|sms_foreign)_total ' "$WORK/metrics"
	echo "# log lines about requests not answered (timestamps cut)"
	grep -E 'max_replies reached|outside the answered country codes' "$WORK/itinerad.log" |
		sed 's/^.*\(D[A-Z]* NOTICE\) [^ ]* /\1 /'
	echo "# the foreign number in the log (--debug): $(grep -c 77009001 "$WORK/itinerad.log") lines"
	echo "# audit: intent, action, parts, requests"
	psql -XAtq -c "SELECT intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	echo "# pending after a clean stop: $(psql -XAtq -c 'SELECT count(*) FROM request_pending')"
} > "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/abuse/amplify.ok"
diff -u "$srcdir/tests/abuse/amplify.ok" "$WORK/out" || { cat "$WORK/smsc.err"; tail -30 "$WORK/itinerad.log"; exit 1; }
