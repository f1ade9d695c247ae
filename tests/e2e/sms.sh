#!/bin/sh
# End to end through the real Osmocom network (sim/network.sh: osmo-stp, osmo-hlr, osmo-msc
# from Debian): itinerad bound to osmo-msc's SMSC as an ESME, and a handset of itinerad-sim
# that attaches, texts CXMYD to 12306, answers Y and reads its itinerary as the phone shows it
# (parts reassembled), then in English; a second handset with no data. The handsets' screens
# and osmo-msc's view are compared with sms.ok. Ports: network base 24300.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_e2e_test itin_e2e_sms 24300
itin_test_db
sh "$net" provision "$run" 001010000000001 8613800000001 > /dev/null
sh "$net" provision "$run" 001010000000009 8613800000009 > /dev/null
itin_daemon_conf "$run/itinerad.conf" "$ITIN_SIM_MSC_SMPP" < /dev/null
itin_daemon_start "$run/itinerad.conf" "$run/itinerad.log"
itin_poll 100 itin_log_count "$run/itinerad.log" 1 "bound as itinerary"

rc=0
LD_PRELOAD=$(sh "$top_srcdir/sim/need-sctp-shim.sh" "$top_builddir") \
	"$top_builddir/sim/itinerad-sim" --stp-port "$ITIN_SIM_STP_M3UA" --timeout 30 \
	lu 001010000000001 \
	sms 001010000000001 12306 CXMYD \
	expect-sms 001010000000001 1 \
	sms 001010000000001 12306 Y \
	expect-sms 001010000000001 2 \
	sms 001010000000001 12306 EN \
	expect-sms 001010000000001 3 \
	sms 001010000000001 12306 TRIP \
	expect-sms 001010000000001 4 \
	sms 001010000000001 12306 Y \
	expect-sms 001010000000001 5 \
	lu 001010000000009 \
	sms 001010000000009 12306 行程 \
	expect-sms 001010000000009 1 \
	sms 001010000000009 12306 Y \
	expect-sms 001010000000009 2 > "$run/sim.out" 2> "$run/sim.err" || rc=$?
itin_daemon_stop
{
	grep -v ' part [0-9]*/[0-9]*: ' "$run/sim.out"
	echo "itinerad-sim exit $rc"
	echo "# audit: intent, action, parts"
	psql -XAtq -c "SELECT intent, action, parts FROM audit ORDER BY received_at, intent"
} > "$run/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$run/out" "$srcdir/tests/e2e/sms.ok"
diff -u "$srcdir/tests/e2e/sms.ok" "$run/out" || { tail -20 "$run/sim.err"; grep -a "ERROR\|NOTICE" "$run/itinerad.log" | tail -20; exit 1; }
