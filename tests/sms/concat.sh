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
admin=26150
itin_sms_conversation concat 26100 $admin <<CONF
[sms]
concat_timeout = 2s
CONF
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
	itin_audit_rows
} > "$WORK/out"
itin_compare tests/sms/concat.ok
