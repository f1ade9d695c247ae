#!/bin/sh
# USSD over SMPP (issue 24): itinerad binds twice to a USSD gateway we did not write (the npm
# smpp package, tests/smsc/ussd_gateway.js, 127.0.0.1:27300; admin endpoint 27301), as two
# [smpp NAME] sections with ussd = yes in two dialects, and plays tests/ussd/smpp.scenario:
# consent and pages, cancel, no data, the gateway's abort, our timeout (a last screen, or an
# abort), English in GSM 7-bit (one septet per octet, and packed), two subscribers interleaved,
# malformed and missing ussd_service_op, the source-address dialect, the admin endpoint's
# /ussd; an SMS link to the same peer (system_id sms) switches a subscriber to English. The transcript (every submit_sm with its
# TLVs), the metrics of the links and the audit rows are compared with smpp.ok; then the
# screens of one subscriber are compared with the osmo-hlr path's in tests/ussd/gsup.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/npm.sh"
itin_sms_test itin_ussd_smpp
itin_npm_ci > /dev/null 2>&1 || { echo "npm ci failed"; exit 99; }
GW=27300 ADMIN=27301
{
	printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests-8c1f4e7a92d035b6e0a9d4c71f28b3e5\n'
	printf '[service]\ndomestic_mcc = 460, 001\nreply_deadline = 5s\nverify_validity = 0\n'
	printf '[feed]\nmax_refused_percent = 100\n'
	printf '[admin]\nlisten = 127.0.0.1:%s\n' $ADMIN
	for link in a b; do
		printf '[smpp ussd-%s]\nhost = 127.0.0.1\nport = %s\nsystem_id = ussd-%s\n' $link $GW $link
		printf 'password = secret\nussd = yes\nussd_session_timeout = 2s\n'
		printf 'ussd_page_gsm = 100\nussd_page_ucs2 = 56\n'
	done
	printf 'ussd_session_info = no\nussd_timeout_screen = no\nussd_gsm7_packed = yes\n'
	printf '[smpp sms]\nhost = 127.0.0.1\nport = %s\nsystem_id = sms\npassword = secret\n' $GW
} > "$WORK/itinerad.conf"
ITIN_SMSC_SCRIPT=ussd_gateway.js itin_smsc_start $GW "$srcdir/tests/ussd/smpp.scenario" \
	"$WORK/gw.out" "$WORK/gw.err"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
rc=0
wait $ITIN_SMSC_PID || rc=$?
{
	cat "$WORK/gw.out"
	echo "gateway exit $rc"
	curl -s http://127.0.0.1:$ADMIN/metrics | grep '^itinerad_ussd_smpp_\|^itinerad_requests_total.*channel="ussd"' | grep -v ' 0$'
	itin_daemon_stop
	itin_audit_rows
} > "$WORK/out"
itin_compare tests/ussd/smpp.ok

# The osmo-hlr path's screens of 8613800000001 (IMSI 460001000000001, session 2 of gsup.ok)
# and this path's (session 0x01 of ussd-a): the same text, in pages of other sizes.
screens() { sed -E 's/\\n[0-9]+\/[0-9]+( 1下一页 0退出)?$//; s/\\n//g; s/ //g' | tr -d '\n'; echo; }
gsup=$(sed -n 's|^<< 460001000000001/2 [A-Z]* [a-z]* UCS2: ||p' "$srcdir/tests/ussd/gsup.ok" | screens)
ours=$(awk '/^submit_sm on ussd-a from .* to 8613800000001 .* its_session_info 01/ { s = 1; next }
	s && /^  text / { sub(/^  text "/, ""); sub(/"$/, ""); print; s = 0 }' "$WORK/gw.out" | screens)
echo "gsup:  $gsup"
echo "smpp:  $ours"
[ -n "$gsup" ] && [ "$gsup" = "$ours" ] || { echo "the screens differ from the osmo-hlr path's"; exit 1; }
