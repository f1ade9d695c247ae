#!/bin/sh
# itinerad as an ESME of an SMSC we did not write (the npm smpp package, tests/smsc/conversation.js):
# the conversations of basic.scenario, with every submit_sm (text, hex, reassembled parts)
# and every deliver_sm_resp status compared with basic.ok, then the audit rows.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_sms_test itin_sms_basic
itin_sms_conversation basic 24011 < /dev/null
itin_daemon_stop
{
	cat "$WORK/smsc.out"
	itin_audit_rows
	echo "# pending after a clean stop: $(psql -XAtq -c 'SELECT count(*) FROM request_pending')"
} > "$WORK/out"
itin_compare tests/sms/basic.ok
