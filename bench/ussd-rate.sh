#!/bin/sh
# USSD end to end (issue 5): many concurrent single-page sessions from the GSUP MSC client's
# load mode (bench/itinerad-gsup-load, the program of tests/ussd/gsup_msc.c) through a real
# osmo-hlr (GSUP 127.0.0.1:24640, VTY 24641, CTRL 24642) to itinerad as its EUSE, with
# SUBSCRIBERS (default 100,000) subscribers' 14 days loaded (itinerad-sample). Consent is off
# and the itinerary template is "【行程卡】{places}", so one *#14# gets one END page (a reply
# that still needs pages is answered "0" and counted as multi-page). Prints one table of
# sessions/s, its ratio to the floor (pgbench running the itinerary lookup with 2 clients,
# measured just before), latency p50/p99/p99.9 and the CPU each process used (100% = one core): with
# OUTSTANDING (default 200) sessions in flight, first as PostgreSQL is configured (every
# commit flushed), then with synchronous_commit off for itinerad's database (each request
# commits twice: its "begin" and its "done"), at a fixed rate of half that, and for osmo-hlr
# alone (its internal *#101#, no EUSE).
# usage: bench/ussd-rate.sh [SUBSCRIBERS] [SECONDS] [OUTSTANDING]     (from a build directory)
set -eu
subs=${1:-100000}
secs=${2:-20}
outstanding=${3:-200}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
GSUP=24640 VTY=24641 CTRL=24642
. "$top_srcdir/bench/lib.sh"
load=$top_builddir/bench/itinerad-gsup-load
bench_work ussd
bench_pg_start 1GB
{ bench_conf; cat; } > "$work/itinerad.conf" <<CONF
consent = off
reply_deadline = 30s
[templates zh]
itinerary = 【行程卡】{places}
[admin]
listen =
[gsup]
host = 127.0.0.1
port = $GSUP
euse_name = itinerary
CONF
export ITINERAD_CONFIG="$work/itinerad.conf"
bench_load "$subs"

# osmo-hlr logs only what goes wrong (tests/lib/hlr.sh: notices only): its per-message INFO
# lines would be part of the figure.
. "$top_srcdir/tests/lib/hlr.sh"
itin_hlr_conf "$work" $VTY 'ussd route prefix *#101# internal own-imsi'
itin_hlr_start "$work" $GSUP $VTY $CTRL
hlr=$(cat "$work/hlr.pid")

itinerad_start() {
	"$top_builddir/itinerad" -c "$work/itinerad.conf" > "$work/itinerad.log" 2>&1 &
	echo $! > "$work/itinerad.pid"
	itin=$!
	itin_euse_wait "$work/itinerad.log"
}
itinerad_stop() {
	kill "$itin"
	wait "$itin" 2> /dev/null || true
}

# A load run (gsup_msc load options): its output line, then a line with the CPU % of osmo-hlr,
# itinerad, the PostgreSQL backends and the load client.
run_load() {
	h0=$(bench_ticks "$hlr") i0=$(bench_ticks "$itin") p0=$(bench_pg_ticks)
	/usr/bin/time -f "%U %S" -o "$work/load.cpu" "$load" --port $GSUP load \
		--imsi-base 001010000000000 --subscribers "$subs" --duration "$secs" "$@"
	h1=$(bench_ticks "$hlr") i1=$(bench_ticks "$itin") p1=$(bench_pg_ticks)
	awk -v h=$((h1 - h0)) -v i=$((i1 - i0)) -v p=$((p1 - p0)) -v hz="$(getconf CLK_TCK)" \
		-v s="$secs" -v l="$(cat "$work/load.cpu")" 'BEGIN {
		split(l, lc, " ")
		printf "cpu %.0f %.0f %.0f %.0f\n", 100 * h / hz / s, 100 * i / hz / s, 100 * p / hz / s,
			100 * (lc[1] + lc[2]) / s }'
}

floor=$(bench_floor 2 "$secs")
itinerad_start
durable=$(run_load --outstanding "$outstanding")
itinerad_stop
psql -XAtq -c "ALTER DATABASE itinerad SET synchronous_commit = off"
itinerad_start
async=$(run_load --outstanding "$outstanding")
half=$(echo "$async" | bench_field rate | awk '{ printf "%d", $1 / 2 }')
at_half=$(run_load --rate "$half")
hlr_alone=$(run_load --outstanding "$outstanding" --text '*#101#')

printf '%s\n' "USSD through osmo-hlr $(osmo-hlr --version 2>/dev/null | sed -n 's/^OsmoHLR version //p' | head -1), $subs subscribers, consent off, pool of 2 connections, $(nproc) cores, $secs s per run" \
	"(CPU: % of one core during the run)"
printf '%-40s %8s %6s %7s %7s %8s %6s %6s %6s   %s\n' "run" "sess./s" "floor" "p50 ms" \
	"p99 ms" "p99.9 ms" "multi" "errors" "unans." "CPU osmo-hlr itinerad postgres load"
printf '%-40s %8.0f %6s\n' "floor: pgbench lookup (2 clients)" "$floor" "1.00"
for pair in "itinerad, $outstanding in flight:$durable" \
	"same, synchronous_commit off:$async" \
	"same, offered $half/s:$at_half" \
	"osmo-hlr alone (*#101#), $outstanding in flight:$hlr_alone"; do
	echo "${pair#*:}" | awk -v l="${pair%%:*}" -v f="$floor" '
		/^completed/ { r = sprintf("%-40s %8s %6.2f %7s %7s %8s %6s %6s %6s", l, $6, $6 / f, $8,
					   $10, $12, $14, $16, $18) }
		/^cpu/ { printf "%s   %11s%% %7s%% %7s%% %3s%%\n", r, $2, $3, $4, $5 }'
done
