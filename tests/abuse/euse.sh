#!/bin/sh
# Abuse, GSUP peers speaking for itinerad (issue 8), against a real osmo-hlr (GSUP
# 127.0.0.1:24920, VTY 24921, CTRL 24922, moved there by sim/itinerad-port-shim.so) with
# itinerad as its EUSE "itinerary" (admin 127.0.0.1:25920) and tests/ussd/gsup_msc as the MSC.
# osmo-hlr's GSUP port authenticates nobody, so any client can:
#  - identify as EUSE-itinerary too, while itinerad is connected: osmo-hlr keeps routing
#    *#14# to itinerad, the impostor gets nothing, and itinerad keeps the name once it leaves;
#  - have osmo-hlr forward GSUP messages to EUSE-itinerary (source_name its own name,
#    destination_name ours), naming any IMSI and session: a "1" into a subscriber's open
#    consent menu, an END for it, or whole queries for a subscriber who never dialled (each
#    would be recorded and count against that subscriber's rate limit). osmo-hlr relays a
#    handset's USSD without routing names, so itinerad ignores such messages: the sessions go
#    on as the handset wants, the forger hears nothing and the audit holds only real queries.
# (Not tested, and nothing itinerad can see: an impostor that connects first, while itinerad
# is away, gets the *#14# sessions; and osmo-hlr 1.5 relays any "EUSE-" client's screens to
# the handset of a session it names.) The MSC's transcript, with the forgers' inside, what the
# impostor received, itinerad's log counts and the audit are compared with euse.ok. The 14
# forged messages give one log line, and the count of the 13 others when itinerad stops.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_abuse_euse
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/hlr.sh"
GSUP=24920 VTY=24921 CTRL=24922 ADMIN=25920
run=$(mktemp -d /tmp/itin-abuse-euse.XXXXXX)
msc="$top_builddir/tests/ussd/gsup_msc --port $GSUP --timeout 10"
trap 'itin_daemon_stop; sh "$run/ctl.sh" impostor-stop; [ -f "$run/hlr.pid" ] && kill "$(cat "$run/hlr.pid")" 2> /dev/null;
	[ -n "${ITIN_KEEP:-}" ] || rm -rf "$run"; itin_pg_cleanup' EXIT
trap 'exit 1' INT TERM

itin_hlr_conf "$run" $VTY

# What the MSC's exec steps run: the impostor EUSE-itinerary started (listening, its output in
# impostor.out, once it is identified) and stopped; a forger (MSC-forger) whose every message
# osmo-hlr forwards to EUSE-itinerary, with gsup_msc steps.
cat > "$run/ctl.sh" <<CTL
. "$top_srcdir/tests/lib/poll.sh"
case \$1 in
impostor-start)
	$msc --name EUSE-itinerary wait 60 > "$run/impostor.out" 2>&1 &
	echo \$! > "$run/impostor.pid"
	itin_poll 100 itin_log_count "$run/impostor.out" 1 'link up' ;;
impostor-stop)
	[ -f "$run/impostor.pid" ] || exit 0
	kill \$(cat "$run/impostor.pid") 2> /dev/null
	rm -f "$run/impostor.pid" ;;
forge)
	shift
	$msc --name MSC-forger --forward-to EUSE-itinerary "\$@" 2> /dev/null | sed 's/^/  forger /' ;;
esac
CTL

itin_test_db
itin_hlr_start "$run" $GSUP $VTY $CTRL
{
	printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests-8c1f4e7a92d035b6e0a9d4c71f28b3e5\n'
	printf '[service]\ndomestic_mcc = 460, 001\nreply_deadline = 5s\nverify_validity = 0\n'
	printf '[admin]\nlisten = 127.0.0.1:%s\n' $ADMIN
	printf '[gsup]\nhost = 127.0.0.1\nport = %s\neuse_name = itinerary\n' $GSUP
} > "$run/itinerad.conf"
itin_daemon_start "$run/itinerad.conf" "$run/itinerad.log"
itin_euse_wait "$run/itinerad.log"

# Subscriber 001010000000009 has no data (one page); 460001000000001 has four pages.
forged_queries=
for sid in 101 102 103 104 105 106; do
	forged_queries="$forged_queries begin 460001000000001 $sid *#14# continue 460001000000001 $sid 1"
done
rc=0
$msc \
	note "an impostor identifies as EUSE-itinerary while itinerad is connected" \
	exec "sh $run/ctl.sh impostor-start" \
	begin 001010000000009 1 '*#14#' expect continue 001010000000009 1 1 expect \
	note "a forged 1 into an open consent menu: ignored, the handset's 2 cancels" \
	begin 001010000000009 2 '*#14#' expect \
	exec "sh $run/ctl.sh forge continue 001010000000009 2 1 wait 1" \
	continue 001010000000009 2 2 expect \
	note "a forged END for an open session: ignored, the handset's 1 gets the answer" \
	begin 001010000000009 3 '*#14#' expect \
	exec "sh $run/ctl.sh forge end 001010000000009 3 wait 1" \
	continue 001010000000009 3 1 expect \
	note "six forged queries for 460001000000001: ignored, its own query is answered" \
	exec "sh $run/ctl.sh forge $forged_queries wait 1" \
	begin 460001000000001 4 '*#14#' expect continue 460001000000001 4 1 expect \
	continue 460001000000001 4 1 expect \
	note "the impostor leaves: *#14# still reaches itinerad" \
	exec "sh $run/ctl.sh impostor-stop" \
	begin 001010000000009 5 '*#14#' expect continue 001010000000009 5 1 expect \
	> "$run/msc.out" 2> "$run/msc.err" || rc=$?
{
	cat "$run/msc.out"
	echo "gsup_msc exit $rc"
	echo "# the impostor EUSE-itinerary received"
	cat "$run/impostor.out"
	if kill -0 "$ITIN_DAEMON_PID" 2> /dev/null; then echo "itinerad running"; else echo "itinerad DIED"; fi
	itin_daemon_stop
	echo "# what itinerad logged"
	for what in 'identified as EUSE-itinerary' 'closed' \
		'forwarded by osmo-hlr from "MSC-forger" to "EUSE-itinerary": not a session osmo-hlr relays, ignored' \
		'13 more "forwarded by osmo-hlr: not a session osmo-hlr relays, ignored" not logged'; do
		echo "$(grep -c "$what" "$run/itinerad.log") x $what"
	done
	echo "# audit: channel, intent, action, parts, requests"
	psql -XAtq -c "SELECT channel, intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
} > "$run/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$run/out" "$srcdir/tests/abuse/euse.ok"
diff -u "$srcdir/tests/abuse/euse.ok" "$run/out" || {
	cat "$run/msc.err"
	grep -a "NOTICE\|ERROR" "$run/itinerad.log" | tail -20
	grep -a "ERROR" "$run/hlr.log" | tail -20
	exit 1
}
