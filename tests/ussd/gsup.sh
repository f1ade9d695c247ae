#!/bin/sh
# USSD over GSUP against a real osmo-hlr (Debian), with its own config and sqlite database in a
# temporary directory (GSUP 127.0.0.1:24600, VTY 24601, CTRL 24602, moved there by
# sim/itinerad-port-shim.so) and subscribers provisioned through its VTY; itinerad is its
# external USSD entity "itinerary" (no SMSC, admin endpoint 127.0.0.1:25648, session timeout
# 2 s), and tests/ussd/gsup_msc plays the MSC: a single-page answer, pages, unknown input,
# consent yes and no, the guard timer, a handset's release, an IMSI osmo-hlr does not know,
# malformed facilities, osmo-hlr killed and restarted mid-session, and after a SIGHUP, English
# (GSM 7-bit) pages without the consent menu. The transcript, what itinerad's log and audit
# say, and that itinerad still runs, are compared with gsup.ok. The malformed facilities are
# logged once, the others counted (issue 17: a peer cannot fill the log).
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_ussd_gsup
. "$top_srcdir/tests/lib/daemon.sh"
command -v osmo-hlr > /dev/null || { echo "osmo-hlr missing (Debian package osmo-hlr)"; exit 77; }
# tests/shard/ussd_gsup.sh runs this on a partitioned layout, on ports of its own.
GSUP=${ITIN_TEST_GSUP_PORT:-24600} VTY=${ITIN_TEST_VTY_PORT:-24601} CTRL=${ITIN_TEST_CTRL_PORT:-24602}
ADMIN=${ITIN_TEST_ADMIN_PORT:-25648}
run=$(mktemp -d /tmp/itin-ussd-gsup.XXXXXX)
trap 'itin_daemon_stop; sh "$run/ctl.sh" hlr-stop; [ -n "${ITIN_KEEP:-}" ] || rm -rf "$run"; itin_pg_cleanup' EXIT
trap 'exit 1' INT TERM

cat > "$run/osmo-hlr.cfg" <<CFG
log stderr
 logging filter all 1
 logging color 0
 logging print category 1
 logging print level 1
 logging timestamp 1
 logging level main notice
 logging level db notice
 logging level auc notice
 logging level ss info
 logging level lgsup notice
 logging level linp notice
line vty
 bind 127.0.0.1 $VTY
ctrl
 bind 127.0.0.1
hlr
 gsup
  bind ip 127.0.0.1
 euse itinerary
 ussd route prefix *#14# external itinerary
CFG

# What the MSC's steps run (gsup_msc exec): start, kill and stop this osmo-hlr (by the pid we
# wrote), wait for itinerad's Nth identification, switch itinerad to English without consent by
# SIGHUP, print itinerad's open USSD sessions (now, or once none is left).
cat > "$run/ctl.sh" <<CTL
run=$run
. "$top_srcdir/tests/lib/poll.sh"
hlr_gone() { ! kill -0 "\$1" 2> /dev/null; }
sessions() { itin_metric http://127.0.0.1:$ADMIN/metrics itinerad_ussd_sessions; }
none_open() { [ "\$(sessions)" = 0 ]; }
case \$1 in
hlr-start)
	(cd "\$run" && LD_PRELOAD="$top_builddir/sim/itinerad-port-shim.so" \\
		ITIN_PORT_MAP=4222=$GSUP,4258=$VTY,4259=$CTRL \\
		exec osmo-hlr -c osmo-hlr.cfg -l hlr.db >> hlr.log 2>&1 < /dev/null) &
	echo \$! > "\$run/hlr.pid"
	python3 "$top_srcdir/sim/osmo_vty.py" --wait 10 $VTY > /dev/null ;;
hlr-kill|hlr-stop)
	[ -f "\$run/hlr.pid" ] || exit 0
	pid=\$(cat "\$run/hlr.pid")
	rm -f "\$run/hlr.pid"
	kill \$([ "\$1" = hlr-kill ] && echo -9) "\$pid" 2> /dev/null || exit 0
	itin_poll 50 hlr_gone "\$pid" ;;
euse-wait)
	itin_poll 100 itin_log_count "\$run/itinerad.log" "\$2" 'identified as EUSE-itinerary' ;;
english)	# PID: itinerad, reloading its config with language = en, consent = off
	sed -i 's/^language = zh\$/language = en/; s/^consent = on\$/consent = off/' "\$run/itinerad.conf"
	kill -HUP "\$2"
	itin_poll 100 itin_log_count "\$run/itinerad.log" 1 'SIGHUP: config reloaded' ;;
sessions)
	echo "itinerad_ussd_sessions \$(sessions)" ;;
sessions-released)	# once the guard timer has released them (5 s at most)
	itin_poll 50 none_open
	echo "itinerad_ussd_sessions \$(sessions)" ;;
esac
CTL

itin_test_db
sh "$run/ctl.sh" hlr-start || { echo "osmo-hlr did not start:"; tail "$run/hlr.log"; exit 99; }
for sub in 460001000000001:8613800000001 460001000000005:8613800000005 \
	460011000000003:8613900000003 001010000000009:8613800000009; do
	python3 "$top_srcdir/sim/osmo_vty.py" $VTY "subscriber imsi ${sub%:*} create" \
		"subscriber imsi ${sub%:*} update msisdn ${sub#*:}" > /dev/null ||
		{ echo "provisioning ${sub%:*} failed"; exit 99; }
done
{
	printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests-8c1f4e7a92d035b6e0a9d4c71f28b3e5\n'
	printf '[service]\ndomestic_mcc = 460, 001\nreply_deadline = 5s\nlanguage = zh\nconsent = on\nverify_validity = 0\n'
	printf '[admin]\nlisten = 127.0.0.1:%s\n' $ADMIN
	printf '[gsup]\nhost = 127.0.0.1\nport = %s\neuse_name = itinerary\nsession_timeout = 2s\n' $GSUP
} > "$run/itinerad.conf"
itin_daemon_start "$run/itinerad.conf" "$run/itinerad.log"
sh "$run/ctl.sh" euse-wait 1

# The ReturnResult of a menu with "1" in UCS2, as a handset set to UCS2 may answer.
ucs2_one=a211020101300c02013c300704014804020031
# Facilities the handset's stack would never send: (1) not BER; (2) the USSD string's length
# says 32 octets, 5 follow ("*#14#"): osmo-hlr reads past the IE and still routes it to us;
# (3) processUnstructuredSS-Data (IA5 "*#14#"), which osmo-hlr routes as USSD; (4) a
# ReturnResult whose UCS2 string has an odd length; (5) one octet after the component.
bad_ber=ffff00
bad_len=a11202010102013b300a04010f0420aa518c3602
bad_op=a10d02010102011316052a23313423
bad_ucs2=a212020101300d02013c30080401480403003100
bad_tail=a11202010102013b300a04010f0405aa518c360200
# itinerad ends a session without a screen (guard timer, unreadable input) with a ReturnError
# (systemFailure, unexpectedDataValue) in an END; osmo-hlr 1.5 does not relay a ReturnError but
# answers with its own, facilityNotSupported with invoke id 0 ("Structured SS requests are not
# supported"), and ends its session: that is what the handset sees.

rc=0
"$top_builddir/tests/ussd/gsup_msc" --port $GSUP --timeout 10 \
	note "single page: no data for this IMSI" \
	begin 001010000000009 1 '*#14#' expect continue 001010000000009 1 1 expect \
	note "pages: consent, then 1 to the last page" \
	begin 460001000000001 2 '*#14#' expect continue 460001000000001 2 1 expect \
	continue 460001000000001 2 1 expect \
	note "pages: 1 in UCS2 (DCS 0x48), then 0 exits on the second page" \
	begin 460001000000005 3 '*#14#' expect continue 460001000000005 3 1 expect \
	raw 460001000000005 3 continue $ucs2_one expect continue 460001000000005 3 0 expect \
	note "unknown input: the screen again once, then the end" \
	begin 460001000000005 4 '*#14#' expect continue 460001000000005 4 1 expect \
	continue 460001000000005 4 9 expect continue 460001000000005 4 '#' expect \
	note "consent declined; unknown input at the menu" \
	begin 460011000000003 5 '*#14#' expect continue 460011000000003 5 2 expect \
	begin 460011000000003 6 '*#14#' expect continue 460011000000003 6 3 expect \
	continue 460011000000003 6 3 expect \
	note "an IMSI osmo-hlr does not know: forwarded, no data" \
	begin 460009999999999 7 '*#14#' expect continue 460009999999999 7 1 expect \
	note "guard timer: idle 3 s, released after 2 s; osmo-hlr relays the ReturnError as its own" \
	begin 460001000000001 8 '*#14#' expect wait 3 continue 460001000000001 8 1 expect \
	note "the handset releases: osmo-hlr does not forward it, the guard timer ends it" \
	begin 460001000000001 9 '*#14#' expect end 460001000000001 9 wait 0.5 \
	exec "sh $run/ctl.sh sessions" exec "sh $run/ctl.sh sessions-released" \
	note "malformed: not BER (osmo-hlr answers itself)" \
	raw 460001000000001 10 begin $bad_ber expect \
	note "malformed: USSD string longer than the IE" \
	raw 460001000000001 11 begin $bad_len expect \
	note "malformed: processUnstructuredSS-Data" \
	raw 460001000000001 12 begin $bad_op expect \
	note "malformed: octet after the component" \
	raw 460001000000001 13 begin $bad_tail expect \
	note "malformed: odd UCS2 answer at the menu" \
	begin 460001000000001 14 '*#14#' expect raw 460001000000001 14 continue $bad_ucs2 expect \
	note "itinerad still answers" \
	begin 460001000000001 15 '*#14#' expect continue 460001000000001 15 2 expect \
	note "osmo-hlr killed and restarted with a session on the second page" \
	begin 460001000000005 16 '*#14#' expect continue 460001000000005 16 1 expect \
	exec "sh $run/ctl.sh hlr-kill; sh $run/ctl.sh hlr-start; sh $run/ctl.sh euse-wait 2" \
	reconnect continue 460001000000005 16 1 expect \
	begin 460001000000005 17 '*#14#' expect continue 460001000000005 17 1 expect \
	continue 460001000000005 17 0 expect \
	note "SIGHUP with language = en, consent = off: GSM 7-bit, the answer at once, one screen" \
	exec "sh $run/ctl.sh english $ITIN_DAEMON_PID" \
	begin 001010000000009 18 '*#14#' expect \
	begin 460001000000001 19 '*#14#' expect \
	> "$run/msc.out" 2> "$run/msc.err" || rc=$?
{
	cat "$run/msc.out"
	echo "gsup_msc exit $rc"
	if kill -0 "$ITIN_DAEMON_PID" 2> /dev/null; then echo "itinerad running"; else echo "itinerad DIED"; fi
	echo "itinerad identified as EUSE-itinerary $(grep -c 'identified as EUSE-itinerary' "$run/itinerad.log") times"
	echo "itinerad refused $(grep -c 'malformed or unreadable USSD: refused' "$run/itinerad.log") facilities"
	itin_daemon_stop
	echo "# what the log limits left out, as itinerad said when it stopped"
	grep -a 'not logged$' "$run/itinerad.log" | sed 's/.* ussd\/ussd_gsup\.c:[0-9]* //'
	itin_audit_rows "# audit: channel, intent, action, parts, requests"
} > "$run/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$run/out" "$srcdir/tests/ussd/gsup.ok"
diff -u "$srcdir/tests/ussd/gsup.ok" "$run/out" || {
	cat "$run/msc.err"
	grep -a "NOTICE\|ERROR" "$run/itinerad.log" | tail -20
	grep -a "DSS" "$run/hlr.log" | tail -20
	exit 1
}
