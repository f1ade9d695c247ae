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
itin_pg_db itin_abuse_flood
. "$top_srcdir/tests/lib/daemon.sh"
command -v node > /dev/null || { echo "node missing"; exit 77; }
work=$(mktemp -d)
trap 'itin_daemon_stop; [ -n "${ITIN_KEEP:-}" ] || rm -rf "$work"; itin_pg_cleanup' EXIT
port=24900

itin_test_db
itin_daemon_conf "$work/itinerad.conf" $port < /dev/null
node "$top_srcdir/tests/smsc/conversation.js" $port "$srcdir/tests/abuse/flood.scenario" \
	> "$work/smsc.out" 2> "$work/smsc.err" &
smsc=$!
sleep 0.5
itin_daemon_start "$work/itinerad.conf" "$work/itinerad.log"
wait $smsc
if kill -0 "$ITIN_DAEMON_PID" 2> /dev/null; then running="itinerad running"; else running="itinerad DIED"; fi
itin_daemon_stop
# The flooder is the key with the most audit rows.
flooder="(SELECT key FROM audit GROUP BY key ORDER BY count(*) DESC LIMIT 1)"
{
	cat "$work/smsc.out"
	echo "$running"
	echo "# audit of the flooder: intent, action, parts, requests"
	psql -XAtq -c "SELECT intent, action, parts, count(*) FROM audit WHERE key = $flooder
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	echo "# audit of the other subscriber: intent, action, parts, requests"
	psql -XAtq -c "SELECT intent, action, parts, count(*) FROM audit WHERE key <> $flooder
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	echo "# pending after a clean stop: $(psql -XAtq -c 'SELECT count(*) FROM request_pending')"
} > "$work/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/out" "$srcdir/tests/abuse/flood.ok"
diff -u "$srcdir/tests/abuse/flood.ok" "$work/out" || { cat "$work/smsc.err"; tail -30 "$work/itinerad.log"; exit 1; }
