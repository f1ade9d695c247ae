#!/bin/sh
# The simulated Osmocom network on loopback: osmo-stp, osmo-hlr and osmo-msc (Debian packages)
# with the config templates beside this script, logs, databases and pid files in RUNDIR.
# All ports are ITIN_SIM_PORT_BASE (default 24200) + a fixed offset, written to RUNDIR/ports.env
# for clients (bases 24200 and 24202 share no port: tests/sim/network.sh and handset.sh use them
# side by side). Ports the daemons take from no config (VTY of osmo-hlr, CTRL, GSUP 4222) are moved
# by itinerad-port-shim.so; on a kernel without SCTP, osmo-stp and osmo-msc also load
# itinerad-sctp-shim.so (see need-sctp-shim.sh). It starts and stops only the daemons whose pid
# it wrote, and never touches itinerad or PostgreSQL.
#
# usage: network.sh start|stop|status RUNDIR
#        network.sh provision RUNDIR IMSI MSISDN   (subscriber in osmo-hlr, via its VTY)
#        network.sh vty RUNDIR stp|hlr|msc COMMAND...
# env:   ITIN_SIM_BUILDDIR (default: $top_builddir, else the current directory) holds the shims.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
rundir=${2:-}
if [ -z "$cmd" ] || [ -z "$rundir" ]; then
	sed -n 's/^# usage: /usage: /p; s/^#        /       /p' "$0" >&2
	exit 2
fi
builddir=$(cd "${ITIN_SIM_BUILDDIR:-${top_builddir:-.}}" && pwd)
base=${ITIN_SIM_PORT_BASE:-24200}
if [ "$cmd" != start ] && [ -f "$rundir/ports.env" ]; then
	base=$(sed -n 's/^ITIN_SIM_PORT_BASE=//p' "$rundir/ports.env")
fi
vty_py=$here/osmo_vty.py
daemons="stp hlr msc"

ports() {
	STP_M3UA=$((base + 5))
	MSC_SGS=$((base + 18))
	HLR_GSUP=$((base + 22))
	MGW_REMOTE=$((base + 27))
	MGW_LOCAL=$((base + 28))
	STP_VTY=$((base + 39))
	MSC_VTY=$((base + 54))
	MSC_CTRL=$((base + 55))
	HLR_VTY=$((base + 58))
	HLR_CTRL=$((base + 59))
	MSC_SMPP=$((base + 75))
}

vty_port() {
	case $1 in
	stp) echo "$STP_VTY" ;;
	hlr) echo "$HLR_VTY" ;;
	msc) echo "$MSC_VTY" ;;
	*) echo "network.sh: no daemon $1" >&2; exit 2 ;;
	esac
}

# pid of a daemon we started and that still runs, else nothing
running() {
	[ -f "$rundir/$1.pid" ] || return 1
	pid=$(cat "$rundir/$1.pid")
	kill -0 "$pid" 2> /dev/null || return 1
	echo "$pid"
}

instantiate() {	# NAME: sim/osmo-NAME.cfg -> RUNDIR/osmo-NAME.cfg
	sed -e "s|@STP_M3UA@|$STP_M3UA|g; s|@STP_VTY@|$STP_VTY|g; s|@HLR_VTY@|$HLR_VTY|g" \
	    -e "s|@HLR_GSUP@|$HLR_GSUP|g; s|@MSC_VTY@|$MSC_VTY|g; s|@MSC_SMPP@|$MSC_SMPP|g" \
	    -e "s|@MSC_SGS@|$MSC_SGS|g; s|@MGW_REMOTE@|$MGW_REMOTE|g; s|@MGW_LOCAL@|$MGW_LOCAL|g" \
	    -e "s|@RUNDIR@|$rundir|g" "$here/osmo-$1.cfg" > "$rundir/osmo-$1.cfg"
}

launch() {	# NAME PRELOAD PORTMAP COMMAND...
	name=$1 preload=$2 map=$3
	shift 3
	instantiate "$name"
	(cd "$rundir" && LD_PRELOAD=$preload ITIN_PORT_MAP=$map exec setsid "$@" \
		> "$rundir/$name.log" 2>&1 < /dev/null) &
	echo $! > "$rundir/$name.pid"
	if ! python3 "$vty_py" --wait 10 "$(vty_port "$name")" > /dev/null 2>&1 ||
	   ! running "$name" > /dev/null; then
		echo "network.sh: osmo-$name did not come up; the end of $rundir/$name.log:" >&2
		tail -n 15 "$rundir/$name.log" >&2
		stop_all
		exit 1
	fi
}

stop_all() {
	for name in msc hlr stp; do
		pid=$(running "$name") || { rm -f "$rundir/$name.pid"; continue; }
		kill "$pid"
		n=0
		while kill -0 "$pid" 2> /dev/null && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		kill -0 "$pid" 2> /dev/null && kill -9 "$pid"
		rm -f "$rundir/$name.pid"
	done
}

start() {
	mkdir -p "$rundir"
	rundir=$(cd "$rundir" && pwd)
	for name in $daemons; do
		if pid=$(running "$name"); then
			echo "network.sh: osmo-$name already runs in $rundir (pid $pid)" >&2
			exit 1
		fi
	done
	busy=$(python3 - $STP_M3UA $STP_VTY $HLR_GSUP $HLR_VTY $HLR_CTRL $MSC_VTY $MSC_CTRL \
		$MSC_SMPP $MSC_SGS <<'PY'
import socket, sys
for port in sys.argv[1:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", int(port)))
    except OSError:
        print(port, end=" ")
    s.close()
PY
)
	if [ -n "$busy" ]; then
		echo "network.sh: ports in use on 127.0.0.1: $busy(another network? ITIN_SIM_PORT_BASE)" >&2
		exit 1
	fi
	port_shim=$builddir/sim/itinerad-port-shim.so
	[ -f "$port_shim" ] || { echo "network.sh: $port_shim is not built" >&2; exit 1; }
	sctp_shim=$(sh "$here/need-sctp-shim.sh" "$builddir")
	{
		echo "# ports of the simulated network in $rundir (network.sh)"
		echo "ITIN_SIM_PORT_BASE=$base"
		for v in STP_M3UA STP_VTY HLR_GSUP HLR_VTY HLR_CTRL MSC_VTY MSC_CTRL MSC_SMPP MSC_SGS; do
			eval "echo ITIN_SIM_$v=\$$v"
		done
	} > "$rundir/ports.env"
	launch stp "$sctp_shim $port_shim" "4239=$STP_VTY" osmo-stp -c osmo-stp.cfg
	launch hlr "$port_shim" "4222=$HLR_GSUP,4258=$HLR_VTY,4259=$HLR_CTRL" \
		osmo-hlr -c osmo-hlr.cfg -l "$rundir/hlr.db"
	launch msc "$sctp_shim $port_shim" "4254=$MSC_VTY,4255=$MSC_CTRL" osmo-msc -c osmo-msc.cfg
	echo "network.sh: running in $rundir (SMPP 127.0.0.1:$MSC_SMPP, GSUP 127.0.0.1:$HLR_GSUP)"
}

status() {
	rc=0
	for name in $daemons; do
		if pid=$(running "$name"); then
			echo "osmo-$name running, pid $pid, VTY 127.0.0.1:$(vty_port "$name")"
		else
			echo "osmo-$name stopped"
			rc=3
		fi
	done
	return $rc
}

provision() {	# IMSI MSISDN
	imsi=$1 msisdn=$2
	out=$(python3 "$vty_py" "$HLR_VTY" "subscriber imsi $imsi create" \
		"subscriber imsi $imsi update msisdn $msisdn" "show subscriber imsi $imsi") || {
		echo "$out" >&2
		exit 1
	}
	if ! echo "$out" | grep -q "^ *MSISDN: $msisdn\$"; then
		echo "network.sh: provisioning $imsi failed:" >&2
		echo "$out" >&2
		exit 1
	fi
	echo "network.sh: subscriber IMSI $imsi MSISDN $msisdn in osmo-hlr"
}

ports
case $cmd in
start) start ;;
stop) stop_all ;;
status) status ;;
provision)
	[ $# -eq 4 ] || { echo "usage: network.sh provision RUNDIR IMSI MSISDN" >&2; exit 2; }
	provision "$3" "$4" ;;
vty)
	[ $# -ge 3 ] || { echo "usage: network.sh vty RUNDIR stp|hlr|msc COMMAND..." >&2; exit 2; }
	port=$(vty_port "$3")
	shift 3
	exec python3 "$vty_py" "$port" "$@" ;;
*)
	echo "network.sh: unknown command $cmd (start, stop, status, provision, vty)" >&2
	exit 2 ;;
esac
