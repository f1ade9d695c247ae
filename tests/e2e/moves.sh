#!/bin/sh
# End to end, a handset that moves (network base 24500): itinerad-sim attaches it in a cell of
# Guangzhou and moves it to a cell of Beijing the next day, writing each accepted location update
# as a line of the events feed, as a probe on the A interface would, into `itinerad-db load
# events -`. The simulated clock (--clock, advance) makes each stay last the 4 hours the stay
# rule asks, the last event at the daemon's test time. Then the handset texts CXMYD, answers Y
# and dials *#14#: both cities, Beijing first (most recent first). Compared with moves.ok: the
# events written, the loader's summary, the phone's screens.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_e2e_test itin_e2e_moves 24500
imsi=001010000000021
msisdn=8613800000021
sh "$net" provision "$run" $imsi $msisdn > /dev/null
itin_daemon_conf "$run/itinerad.conf" "$ITIN_SIM_MSC_SMPP" <<CONF
[gsup]
host = 127.0.0.1
port = $ITIN_SIM_HLR_GSUP
euse_name = itinerary
CONF
# itinerad-db, also as the sim's events command, reads the daemon's config (same secret)
ITINERAD_CONFIG=$run/itinerad.conf
export ITINERAD_CONFIG
# the cell registry: one cell in Guangzhou, one in Beijing, in the test PLMN 001-01
{ "$top_builddir/itinerad-db" migrate && "$top_builddir/itinerad-db" load cells - <<CELLS
mcc,mnc,lac,ci,region_code
001,01,10,101,440100
001,01,20,201,110100
CELLS
} > "$run/db.out" 2>&1 || { cat "$run/db.out"; exit 99; }
shim=$(sh "$top_srcdir/sim/need-sctp-shim.sh" "$top_builddir")

# Guangzhou 2026-11-19 09:00-14:00, Beijing 2026-11-20 06:00-12:00 (Asia/Shanghai); the loader
# commits when the sim closes its input, at the end of this run.
rc1=0
LD_PRELOAD=$shim "$top_builddir/sim/itinerad-sim" --stp-port "$ITIN_SIM_STP_M3UA" --timeout 30 \
	--msisdn $imsi=$msisdn --clock 2026-11-19T09:00:00+08:00 \
	--events "|tee '$run/events.csv' | '$top_builddir/itinerad-db' load events - --at 2026-11-20T12:00:00+08:00" \
	attach $imsi at 001-01-10-101 \
	advance 5h \
	lu $imsi \
	advance 16h \
	move $imsi to 001-01-20-201 \
	advance 6h \
	lu $imsi > "$run/moves.ok" 2> "$run/moves.err" || rc1=$?

# started after the load, so that the reply's "updated" time is the newest event's (12:00:00)
itin_daemon_start "$run/itinerad.conf" "$run/itinerad.log"
linked() {	# bound to the MSC's SMSC and identified to osmo-hlr
	itin_log_count "$run/itinerad.log" 1 "bound as itinerary" &&
		itin_log_count "$run/itinerad.log" 1 "identified as EUSE-itinerary"
}
itin_poll 100 linked

rc2=0
LD_PRELOAD=$shim "$top_builddir/sim/itinerad-sim" --stp-port "$ITIN_SIM_STP_M3UA" --timeout 30 \
	sms $imsi 12306 CXMYD \
	expect-sms $imsi 1 \
	sms $imsi 12306 Y \
	expect-sms $imsi 2 \
	ussd $imsi '*#14#' \
	press $imsi 1 \
	press $imsi 1 > "$run/asks.out" 2> "$run/asks.err" || rc2=$?
itin_daemon_stop
{
	echo "# the handset moves; its location updates through itinerad-db load events"
	cat "$run/moves.ok"
	echo "itinerad-sim exit $rc1"
	echo "# the events it wrote"
	cat "$run/events.csv"
	echo "# the handset asks"
	grep -v ' part [0-9]*/[0-9]*: ' "$run/asks.out"
	echo "itinerad-sim exit $rc2"
} > "$run/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$run/out" "$srcdir/tests/e2e/moves.ok"
diff -u "$srcdir/tests/e2e/moves.ok" "$run/out" || {
	tail -n 20 "$run/moves.err" "$run/asks.err"
	grep -a "ERROR\|NOTICE" "$run/itinerad.log" | tail -20
	exit 1
}
