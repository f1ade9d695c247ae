#!/bin/sh
# Messages with a user data header and concatenated messages (issue 19, items 1 and 2), from
# the npm smpp SMSC (tests/smsc/conversation.js): headers on single messages, parts by UDH
# (8-bit and 16-bit references) and by SAR TLVs out of order, parts lost, a part delivered
# again. Every submit_sm and deliver_sm_resp, the log of the incomplete messages, the
# reassembly's metrics and the audit rows are compared with concat.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_sms_test itin_sms_concat
port=26100
admin=26150
printf '[sms]\nconcat_timeout = 2s\n' | itin_daemon_conf "$WORK/itinerad.conf" $port
sed -i "s/^listen = .*/listen = 127.0.0.1:$admin/" "$WORK/itinerad.conf"
itin_smsc_start $port "$srcdir/tests/sms/concat.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
wait $ITIN_SMSC_PID
# the last two messages time out within concat_timeout and the once-a-second expiry
incomplete_logged() { [ "$(grep -c 'parts: its first part' "$WORK/itinerad.log")" -ge 2 ]; }
itin_poll 100 incomplete_logged || { echo "the incomplete messages were not handed back"; exit 1; }
/usr/bin/python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
	"http://127.0.0.1:$admin/metrics" > "$WORK/metrics" || { echo "no metrics"; exit 1; }
itin_daemon_stop
{
	cat "$WORK/smsc.out"
	echo "# log"
	grep -o 'concatenated message from .*\|part [0-9]* of [0-9]* from .* again.*' "$WORK/itinerad.log"
	echo "# metrics"
	grep '^itinerad_sms_concat' "$WORK/metrics"
	echo "# audit: channel, intent, action, parts"
	psql -XAtq -c "SELECT channel, intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
} > "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/sms/concat.ok"
diff -u "$srcdir/tests/sms/concat.ok" "$WORK/out" || { tail -40 "$WORK/itinerad.log"; exit 1; }
