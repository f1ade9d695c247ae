# osmo-hlr for the USSD tests (sourced; the caller sets top_srcdir and top_builddir). Helpers:
#   itin_hlr_conf DIR VTY [LINE...]  write DIR/osmo-hlr.cfg: notices only, GSUP on 127.0.0.1,
#                                    the EUSE "itinerary" with *#14# routed to it, then each
#                                    LINE in the hlr node (a timeout, another route)
#   itin_hlr_start DIR GSUP VTY CTRL start osmo-hlr in DIR (its database hlr.db, its log
#                                    appended to hlr.log, its pid in hlr.pid) with its ports
#                                    moved by sim/itinerad-port-shim.so; wait for its VTY
#   itin_euse_wait LOG [N]           wait (up to 30 s) until itinerad's LOG shows its Nth
#                                    (default first) identification as EUSE-itinerary
. "$top_srcdir/tests/lib/poll.sh"
command -v osmo-hlr > /dev/null || { echo "osmo-hlr missing (Debian package osmo-hlr)"; exit 77; }

itin_hlr_conf() {
	dir=$1 vty=$2
	shift 2
	{
		printf 'log stderr\n logging filter all 1\n logging color 0\n logging print category 1\n'
		printf ' logging print level 1\n logging level set-all notice\n'
		printf 'line vty\n bind 127.0.0.1 %s\nctrl\n bind 127.0.0.1\n' "$vty"
		printf 'hlr\n gsup\n  bind ip 127.0.0.1\n euse itinerary\n'
		printf ' ussd route prefix *#14# external itinerary\n'
		for line in "$@"; do printf ' %s\n' "$line"; done
	} > "$dir/osmo-hlr.cfg"
}

itin_hlr_start() {
	(cd "$1" && LD_PRELOAD="$top_builddir/sim/itinerad-port-shim.so" \
		ITIN_PORT_MAP=4222=$2,4258=$3,4259=$4 \
		exec osmo-hlr -c osmo-hlr.cfg -l hlr.db >> hlr.log 2>&1 < /dev/null) &
	echo $! > "$1/hlr.pid"
	/usr/bin/python3 "$top_srcdir/sim/osmo_vty.py" --wait 10 "$3" > /dev/null ||
		{ echo "osmo-hlr did not start:"; tail "$1/hlr.log"; exit 99; }
}

itin_euse_wait() {
	itin_poll 300 itin_log_count "$1" "${2:-1}" 'identified as EUSE-itinerary'
}
