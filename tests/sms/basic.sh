#!/bin/sh
# itinerad as an ESME of an SMSC we did not write (the npm smpp package, tests/smsc/conversation.js):
# the conversations of basic.scenario, with every submit_sm (text, hex, reassembled parts)
# and every deliver_sm_resp status compared with basic.ok, then the audit rows.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_sms_test itin_sms_basic
# tests/shard/sms_basic.sh runs this on a partitioned layout, on ports of its own.
itin_sms_conversation basic "${ITIN_TEST_SMS_PORT:-24011}" ${ITIN_TEST_ADMIN_PORT:-} < /dev/null
itin_daemon_stop
{
	cat "$WORK/smsc.out"
	itin_audit_rows
	echo "# pending after a clean stop: $(itin_pending_count)"
} > "$WORK/out"
itin_compare tests/sms/basic.ok
