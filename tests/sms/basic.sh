#!/bin/sh
# itinerad as an ESME of an SMSC we did not write (the npm smpp package, tests/smsc/conversation.js):
# the conversations of basic.scenario, with every submit_sm (text, hex, reassembled parts)
# and every deliver_sm_resp status compared with basic.ok, then the audit rows.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_sms_test itin_sms_basic
port=24011
itin_daemon_conf "$WORK/itinerad.conf" $port < /dev/null
itin_smsc_start $port "$srcdir/tests/sms/basic.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
wait $ITIN_SMSC_PID
itin_daemon_stop
{
	cat "$WORK/smsc.out"
	echo "# audit: channel, intent, action, parts"
	psql -XAtq -c "SELECT channel, intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
	echo "# pending after a clean stop: $(psql -XAtq -c 'SELECT count(*) FROM request_pending')"
} > "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/sms/basic.ok"
diff -u "$srcdir/tests/sms/basic.ok" "$WORK/out" || { tail -40 "$WORK/itinerad.log"; exit 1; }
