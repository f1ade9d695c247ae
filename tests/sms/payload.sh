#!/bin/sh
# Long messages (issue 19, items 3 and 4) from the npm smpp SMSC (tests/smsc/conversation.js):
# message_payload TLVs of 1,000 to 65,000 octets, over libsmpp34's 1,024, starting with a
# keyword or not. Every submit_sm and deliver_sm_resp and the audit rows are compared with
# payload.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_sms_test itin_sms_payload
itin_sms_conversation payload 26101 26151 < /dev/null
itin_daemon_stop
{
	cat "$WORK/smsc.out"
	itin_audit_rows
} > "$WORK/out"
itin_compare tests/sms/payload.ok
