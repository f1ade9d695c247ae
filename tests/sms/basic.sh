#!/bin/sh
# itinerad as an ESME of an SMSC we did not write (the npm smpp package, tests/smsc/conversation.js):
# the conversations of basic.scenario, with every submit_sm (text, hex, reassembled parts)
# and every deliver_sm_resp status compared with basic.ok, then the audit rows.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_sms_basic
. "$top_srcdir/tests/lib/daemon.sh"
command -v node > /dev/null || { echo "node missing"; exit 77; }
work=$(mktemp -d)
trap 'itin_daemon_stop; [ -n "${ITIN_KEEP:-}" ] || rm -rf "$work"; itin_pg_cleanup' EXIT
port=24011

itin_test_db
itin_daemon_conf "$work/itinerad.conf" $port < /dev/null
node "$top_srcdir/tests/smsc/conversation.js" $port "$srcdir/tests/sms/basic.scenario" > "$work/smsc.out" 2> "$work/smsc.err" &
smsc=$!
sleep 0.5
itin_daemon_start "$work/itinerad.conf" "$work/itinerad.log"
wait $smsc
itin_daemon_stop
{
	cat "$work/smsc.out"
	echo "# audit: channel, intent, action, parts"
	psql -XAtq -c "SELECT channel, intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
	echo "# pending after a clean stop: $(psql -XAtq -c 'SELECT count(*) FROM request_pending')"
} > "$work/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/out" "$srcdir/tests/sms/basic.ok"
diff -u "$srcdir/tests/sms/basic.ok" "$work/out" || { tail -40 "$work/itinerad.log"; exit 1; }
