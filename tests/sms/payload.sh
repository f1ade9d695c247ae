#!/bin/sh
# Long messages (issue 19, items 3 and 4) from the npm smpp SMSC (tests/smsc/conversation.js):
# message_payload TLVs of 1,000 to 65,000 octets, over libsmpp34's 1,024, starting with a
# keyword or not. Every submit_sm and deliver_sm_resp and the audit rows are compared with
# payload.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_sms_test itin_sms_payload
port=26101
itin_daemon_conf "$WORK/itinerad.conf" $port < /dev/null
sed -i "s/^listen = .*/listen = 127.0.0.1:26151/" "$WORK/itinerad.conf"
itin_smsc_start $port "$srcdir/tests/sms/payload.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
wait $ITIN_SMSC_PID
itin_daemon_stop
{
	cat "$WORK/smsc.out"
	echo "# audit: channel, intent, action, parts"
	psql -XAtq -c "SELECT channel, intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
} > "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/sms/payload.ok"
diff -u "$srcdir/tests/sms/payload.ok" "$WORK/out" || { tail -40 "$WORK/itinerad.log"; exit 1; }
