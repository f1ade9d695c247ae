#!/bin/sh
# itinerad-sim against the simulated network: a location update, an MO SMS to 12306 that the
# stand-in ESME (esme.pl) answers, the answer paged to the handset, a two-part UCS2 answer
# reassembled, USSD *#100# answered by osmo-hlr, a USSD menu of the stand-in EUSE (euse_stub)
# answered, and an unknown IMSI rejected (exit 1).
# Ports: base 24202, so that it can run beside tests/sim/network.sh (base 24200).
set -eu
net=$top_srcdir/sim/network.sh
ITIN_SIM_BUILDDIR=$top_builddir
ITIN_SIM_PORT_BASE=24202
export ITIN_SIM_BUILDDIR ITIN_SIM_PORT_BASE
run=$(mktemp -d)
esme_pid=
euse_pid=
trap 'kill $esme_pid $euse_pid 2> /dev/null || true; sh "$net" stop "$run"; rm -rf "$run"' EXIT
trap 'exit 1' INT TERM

sh "$net" start "$run"
. "$run/ports.env"
sh "$net" provision "$run" 001010000000001 8613800000001
perl "$top_srcdir/tests/sim/esme.pl" "$ITIN_SIM_MSC_SMPP" 2 > "$run/esme.out" 2>&1 &
esme_pid=$!
"$top_builddir/tests/sim/euse_stub" "$ITIN_SIM_HLR_GSUP" > "$run/euse.out" 2> "$run/euse.err" &
euse_pid=$!
. "$top_srcdir/tests/lib/poll.sh"
itin_poll 100 itin_log_count "$run/esme.out" 1 "ESME bound" || true	# not bound: the output shows it

rc=0
LD_PRELOAD=$(sh "$top_srcdir/sim/need-sctp-shim.sh" "$top_builddir") \
	"$top_builddir/sim/itinerad-sim" --stp-port "$ITIN_SIM_STP_M3UA" --timeout 20 \
	lu 001010000000001 \
	sms 001010000000001 12306 CXMYD \
	expect-sms 001010000000001 1 \
	sms 001010000000001 12306 LONG \
	expect-sms 001010000000001 3 \
	ussd 001010000000001 '*#100#' \
	ussd 001010000000001 '*#14#' \
	ussd-reply 001010000000001 1 \
	lu 001010000000099 > "$run/sim.out" 2> "$run/sim.err" || rc=$?
wait "$esme_pid" || true
wait "$euse_pid" || true
esme_pid=
euse_pid=
{
	cat "$run/sim.out"
	echo "itinerad-sim exit $rc"
	cat "$run/esme.out"
	cat "$run/euse.out"
} > "$run/out"
diff -u "$top_srcdir/tests/sim/handset.ok" "$run/out" || { cat "$run/sim.err"; exit 1; }
