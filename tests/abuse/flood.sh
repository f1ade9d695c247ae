#!/bin/sh
# Abuse, one number flooding the service (issue 8): 1,000 queries from one MSISDN in a few
# seconds over SMPP, from the npm smpp SMSC of tests/smsc/conversation.js (port 24900, admin
# 25900), with the default rate limit of 5 queries an hour. Every deliver_sm is acknowledged
# (status 0), the subscriber gets exactly 5 consent prompts and ONE rate-limit notice, another
# subscriber is served normally right after, and the audit holds one row per request (1,000
# and the rest), none left pending. The SMSC's transcript (the flood's submit_sm counted per
# text) and the audit rows are compared with flood.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_sms_test itin_abuse_flood
port=24900
itin_daemon_conf "$WORK/itinerad.conf" $port < /dev/null
itin_smsc_start $port "$srcdir/tests/abuse/flood.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
wait $ITIN_SMSC_PID
if kill -0 "$ITIN_DAEMON_PID" 2> /dev/null; then running="itinerad running"; else running="itinerad DIED"; fi
itin_daemon_stop
# The flooder is the key with the most audit rows.
flooder="(SELECT key FROM audit GROUP BY key ORDER BY count(*) DESC LIMIT 1)"
{
	cat "$WORK/smsc.out"
	echo "$running"
	echo "# audit of the flooder: intent, action, parts, requests"
	psql -XAtq -c "SELECT intent, action, parts, count(*) FROM audit WHERE key = $flooder
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	echo "# audit of the other subscriber: intent, action, parts, requests"
	psql -XAtq -c "SELECT intent, action, parts, count(*) FROM audit WHERE key <> $flooder
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	echo "# pending after a clean stop: $(psql -XAtq -c 'SELECT count(*) FROM request_pending')"
} > "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/abuse/flood.ok"
diff -u "$srcdir/tests/abuse/flood.ok" "$WORK/out" || { cat "$WORK/smsc.err"; tail -30 "$WORK/itinerad.log"; exit 1; }
