#!/bin/sh
# USSD end to end through the real Osmocom network (sim/network.sh, base 24400): itinerad is
# osmo-hlr's external USSD entity over GSUP; a handset of itinerad-sim dials *#14#, accepts the
# consent menu and pages through a long itinerary; a second one declines; a third has no data.
# The screens the phones show are compared with ussd.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_e2e_test itin_e2e_ussd 24400
itin_test_db
for s in "460001000000005 8613800000005" "460001000000001 8613800000001" "001010000000009 8613800000009"; do
	# shellcheck disable=SC2086
	sh "$net" provision "$run" $s > /dev/null
done
itin_daemon_conf "$run/itinerad.conf" "$ITIN_SIM_MSC_SMPP" <<CONF
[gsup]
host = 127.0.0.1
port = $ITIN_SIM_HLR_GSUP
euse_name = itinerary
CONF
itin_daemon_start "$run/itinerad.conf" "$run/itinerad.log"
itin_poll 100 itin_log_count "$run/itinerad.log" 1 "identified as EUSE-itinerary"

rc=0
LD_PRELOAD=$(sh "$top_srcdir/sim/need-sctp-shim.sh" "$top_builddir") \
	"$top_builddir/sim/itinerad-sim" --stp-port "$ITIN_SIM_STP_M3UA" --timeout 30 \
	lu 460001000000005 \
	ussd 460001000000005 '*#14#' \
	ussd-reply 460001000000005 1 \
	ussd-reply 460001000000005 1 \
	ussd-reply 460001000000005 1 \
	ussd-reply 460001000000005 0 \
	lu 460001000000001 \
	ussd 460001000000001 '*#14#' \
	ussd-reply 460001000000001 2 \
	lu 001010000000009 \
	ussd 001010000000009 '*#14#' \
	ussd-reply 001010000000009 1 > "$run/sim.out" 2> "$run/sim.err" || rc=$?
itin_daemon_stop
{
	cat "$run/sim.out"
	echo "itinerad-sim exit $rc"
	echo "# audit: channel, intent, action, parts"
	psql -XAtq -c "SELECT channel, intent, action, parts FROM audit ORDER BY received_at, intent"
} > "$run/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$run/out" "$srcdir/tests/e2e/ussd.ok"
diff -u "$srcdir/tests/e2e/ussd.ok" "$run/out" || { tail -20 "$run/sim.err"; grep -a "ERROR\|NOTICE" "$run/itinerad.log" | tail -20; exit 1; }
