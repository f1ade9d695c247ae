#!/bin/sh
# A subscriber sending the same text again within 30 s, told from an SMSC delivering a message
# again (issue 19, item 6), against the npm smpp SMSC (tests/smsc/conversation.js, port 26210,
# admin 26211): with the user_message_reference TLV (the handset's TP-MR), a new reference is a
# new message and is answered, the same one a redelivery and is not; without it, the same text
# within 30 s is taken for a redelivery. Transcript and audit compared with resend.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_sms_test itin_sms_resend
itin_sms_conversation resend 26210 26211 < /dev/null
itin_daemon_stop
{
	cat "$WORK/smsc.out"
	echo "# audit: intent, action, parts"
	psql -XAtq -c "SELECT intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
} > "$WORK/out"
itin_compare tests/sms/resend.ok
