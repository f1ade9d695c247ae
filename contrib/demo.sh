#!/bin/sh
# README command 1: the demo. Installs what is missing and builds; starts the embedded database
# (var/pg) with 14 days of synthetic location data for 2,000 subscribers (loaded once); starts
# the Osmocom network of sim/ (osmo-stp, osmo-hlr, osmo-msc, ports 24200+) and itinerad; then a
# handset attaches, texts CXMYD to 12306 (the consent prompt is one SMS part), answers Y and
# reads its itinerary, and dials *#14#: its first screen after consent shows the places.
# Everything stops at the end; with --keep it all keeps running for more handsets (README).
#   sh contrib/demo.sh [--keep]
set -eu
cd "$(dirname "$0")/.."
keep=${1:-}
sh contrib/build.sh
# As root, the database runs as the postgres user, which cannot enter a checkout under /root
# (mode 0700): var then lives in /var/tmp, one directory per checkout.
if [ "$(id -u)" = 0 ] && [ ! -e var ] && ! runuser -u postgres -- test -x "$PWD"; then
	var=/var/tmp/itinerad-demo-$(echo "$PWD" | cksum | cut -d' ' -f1)
	mkdir -p "$var"
	chmod 755 "$var"
	ln -s "$var" var
	echo "var -> $var (the postgres user cannot reach $PWD)"
fi
ITINERAD_CONFIG=sim/itinerad-demo.conf
ITIN_SIM_BUILDDIR=.
export ITINERAD_CONFIG ITIN_SIM_BUILDDIR
imsi=001010000000007
msisdn=8613800000007

# The database: the sample's subscriber i has MSISDN 8613800000000+i and IMSI 001010000000000+i,
# so the handsets of the simulated network (test PLMN 001-01) find their own history.
mkdir -p var/sample
if [ ! -f var/sample/loaded ]; then
	./itinerad-sample --seed 2020 --subscribers 2000 --end "$(date +%s)" \
		--cells var/sample/cells.csv --events var/sample/events.csv
	./itinerad-db migrate
	./itinerad-db load cells var/sample/cells.csv
	./itinerad-db load events var/sample/events.csv
	touch var/sample/loaded
fi
echo "== what customer care sees: echo $msisdn | itinerad-db query --msisdn -"
echo "$msisdn" | ./itinerad-db query --msisdn -

stop() {
	[ -n "${itinerad_pid:-}" ] && kill "$itinerad_pid" 2> /dev/null && wait "$itinerad_pid" 2> /dev/null
	sh sim/network.sh stop var/net
	sh sql/pgcluster.sh stop var/pg
}
sh sim/network.sh stop var/net 2> /dev/null || true
rm -rf var/net
sh sim/network.sh start var/net
[ "$keep" = --keep ] || trap stop EXIT
sh sim/network.sh provision var/net "$imsi" "$msisdn" > /dev/null
./itinerad -c "$ITINERAD_CONFIG" > var/itinerad.log 2>&1 &
itinerad_pid=$!
n=0
until grep -q "identified as EUSE" var/itinerad.log || [ $n -ge 100 ]; do
	sleep 0.1
	n=$((n + 1))
done

echo
echo "== the handset $imsi ($msisdn): SMS to 12306, then *#14#"
. var/net/ports.env
LD_PRELOAD=$(sh sim/need-sctp-shim.sh .) ./sim/itinerad-sim --stp-port "$ITIN_SIM_STP_M3UA" --timeout 30 \
	lu "$imsi" \
	sms "$imsi" 12306 CXMYD \
	expect-sms "$imsi" 1 \
	sms "$imsi" 12306 Y \
	wait 4 \
	ussd "$imsi" '*#14#' \
	ussd-reply "$imsi" 1 \
	ussd-reply "$imsi" 0 | grep -v ' part [0-9]*/[0-9]*: '

if [ "$keep" = --keep ]; then
	echo
	echo "Still running (itinerad pid $itinerad_pid, log var/itinerad.log). Stop with:"
	echo "  kill $itinerad_pid; sh sim/network.sh stop var/net; sh sql/pgcluster.sh stop var/pg"
fi
