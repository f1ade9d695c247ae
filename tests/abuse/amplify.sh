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
itin_pg_db itin_abuse_amplify
. "$top_srcdir/tests/lib/daemon.sh"
command -v node > /dev/null || { echo "node missing"; exit 77; }
. "$top_srcdir/tests/lib/npm.sh"
itin_npm_ci > /dev/null 2>&1 || { echo "npm ci failed"; exit 77; }
work=$(mktemp -d)
trap 'itin_daemon_stop; [ -n "${ITIN_KEEP:-}" ] || rm -rf "$work"; itin_pg_cleanup' EXIT
port=24110

itin_test_db
itin_daemon_conf "$work/itinerad.conf" $port <<CONF
[service]
reply_country_codes = 852
max_replies = 10/1h
CONF
node "$top_srcdir/tests/smsc/conversation.js" $port "$srcdir/tests/abuse/amplify.scenario" \
	> "$work/smsc.out" 2> "$work/smsc.err" &
smsc=$!
sleep 0.5
itin_daemon_start "$work/itinerad.conf" "$work/itinerad.log"
while kill -0 $smsc 2> /dev/null; do
	kill -0 "$ITIN_DAEMON_PID" 2> /dev/null ||
		{ echo "itinerad exited"; cat "$work/itinerad.log"; kill $smsc; exit 1; }
	sleep 0.2
done
wait $smsc
curl -s "http://127.0.0.1:$((port + 1000))/metrics" > "$work/metrics"
itin_daemon_stop
{
	cat "$work/smsc.out"
	echo "# metrics"
	grep -E '^itinerad_(replies_capped|sms_foreign)_total ' "$work/metrics"
	echo "# log lines about requests not answered (timestamps cut)"
	grep -E 'max_replies reached|outside the answered country codes' "$work/itinerad.log" |
		sed 's/^.*\(D[A-Z]* NOTICE\) [^ ]* /\1 /'
	echo "# the foreign number in the log (--debug): $(grep -c 77009001 "$work/itinerad.log") lines"
	echo "# audit: intent, action, parts, requests"
	psql -XAtq -c "SELECT intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	echo "# pending after a clean stop: $(psql -XAtq -c 'SELECT count(*) FROM request_pending')"
} > "$work/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/out" "$srcdir/tests/abuse/amplify.ok"
diff -u "$srcdir/tests/abuse/amplify.ok" "$work/out" || { cat "$work/smsc.err"; tail -30 "$work/itinerad.log"; exit 1; }
