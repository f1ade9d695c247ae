#!/bin/sh
# sim/network.sh: osmo-stp, osmo-hlr and osmo-msc come up on their ports (M3UA over the SCTP
# shim where the kernel has no SCTP), osmo-msc's SMPP interface takes the ESME "itinerary" with
# its password and refuses a wrong password (14) and an unknown system_id (15), a provisioned
# subscriber reads back from osmo-hlr, and stop leaves nothing running.
set -eu
net=$top_srcdir/sim/network.sh
ITIN_SIM_BUILDDIR=$top_builddir
ITIN_SIM_PORT_BASE=24200
export ITIN_SIM_BUILDDIR ITIN_SIM_PORT_BASE
run=$(mktemp -d)
trap 'sh "$net" stop "$run"; rm -rf "$run"' EXIT
trap 'exit 1' INT TERM

sh "$net" start "$run"
. "$run/ports.env"

# the MSC's ASP turns active a moment after its VTY answers
asp_state() {
	sh "$net" vty "$run" stp "show cs7 instance 0 asp" | awk '$4 == "m3ua" { print $1, $3 }'
}
. "$top_srcdir/tests/lib/poll.sh"
asp_active() { [ "$(asp_state)" = "asp-dyn-1 ASP_ACTIVE" ]; }
itin_poll 100 asp_active || true	# not active: the output below shows it

{
	sh "$net" status "$run" | sed 's/pid [0-9]*/pid N/'
	echo "--- M3UA ASPs at osmo-stp"
	asp_state
	echo "--- SMPP binds"
	for who in "itinerary secret" "itinerary wrong" "nobody secret"; do
		echo "$who:"
		perl "$top_srcdir/tests/sim/smpp-bind.pl" "$ITIN_SIM_MSC_SMPP" $who
	done
	echo "--- provisioning"
	sh "$net" provision "$run" 001010000000042 8613800000042
	sh "$net" vty "$run" hlr "show subscriber imsi 001010000000042"
	echo "--- stop"
	sh "$net" stop "$run"
	sh "$net" status "$run" || echo "status: $?"
	ls "$run"/*.pid 2> /dev/null || echo "no pid files"
} > "$run/out" 2>&1
diff -u "$top_srcdir/tests/sim/network.ok" "$run/out"
