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
# alone (its internal *#101#, no EUSE); and, after the first, the ceiling of issue 20's option
# (bench_ceiling_on in bench/lib.sh: the request's writes replaced by its audit row). Then the
# same sessions through the other transport
# (issue 24): itinerad bound to bench/itinerad-smsc-load --ussd playing a USSD gateway over SMPP
# (127.0.0.1:27310; PSSR indication, the last screen as a PSSR response), with every commit
# flushed and with synchronous_commit off, printed beside the GSUP rows (each started afresh).
# No run counts its first 2 s: the new PostgreSQL backends of an itinerad just started first map
# the shared buffers they touch.
# usage: bench/ussd-rate.sh [SUBSCRIBERS] [SECONDS] [OUTSTANDING]     (from a build directory)
set -eu
subs=${1:-100000}
secs=${2:-20}
outstanding=${3:-200}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
GSUP=24640 VTY=24641 CTRL=24642 USSD_GW=27310
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
# itinerad, the PostgreSQL backends and the load client. As in the SMPP rows, its first 2 s are
# not counted: after itinerad_start, its new PostgreSQL backends first map the shared buffers.
run_load() {
	/usr/bin/time -f "%U %S" -o "$work/load.cpu" "$load" --port $GSUP load \
		--imsi-base 001010000000000 --subscribers "$subs" --warmup 2 \
		--duration $((secs + 2)) "$@" > "$work/gsup-load.out" &
	lpid=$!
	sleep 2
	# the load client's own CPU from here on: /usr/bin/time's figure less its ticks so far
	h0=$(bench_ticks "$hlr") i0=$(bench_ticks "$itin") p0=$(bench_pg_ticks) l0=$(bench_children_ticks $lpid)
	wait $lpid
	h1=$(bench_ticks "$hlr") i1=$(bench_ticks "$itin") p1=$(bench_pg_ticks)
	cat "$work/gsup-load.out"
	awk -v h=$((h1 - h0)) -v i=$((i1 - i0)) -v p=$((p1 - p0)) -v l0="$l0" -v hz="$(getconf CLK_TCK)" \
		-v s="$secs" -v l="$(cat "$work/load.cpu")" 'BEGIN {
		split(l, lc, " ")
		printf "cpu %.1f %.1f %.1f %.1f\n", 100 * h / hz / s, 100 * i / hz / s, 100 * p / hz / s,
			100 * (lc[1] + lc[2] - l0 / hz) / s }'
}

floor=$(bench_floor 2 "$secs")
itinerad_start
durable=$(run_load --outstanding "$outstanding")
itinerad_stop
bench_ceiling_on
itinerad_start
ceiling=$(run_load --outstanding "$outstanding")
itinerad_stop
bench_ceiling_off
psql -XAtq -c "ALTER DATABASE itinerad SET synchronous_commit = off"
itinerad_start
async=$(run_load --outstanding "$outstanding")
half=$(echo "$async" | bench_field rate | awk '{ printf "%d", $1 / 2 }')
at_half=$(run_load --rate "$half")
hlr_alone=$(run_load --outstanding "$outstanding" --text '*#101#')
itinerad_stop

# The SMPP transport: itinerad without [gsup], bound to the load generator as a USSD gateway.
{ bench_conf; cat; } > "$work/itinerad-smpp.conf" <<CONF
consent = off
reply_deadline = 30s
[templates zh]
itinerary = 【行程卡】{places}
[admin]
listen =
[smpp ussd-load]
host = 127.0.0.1
port = $USSD_GW
system_id = itinerary
password = secret
window = 200
ussd = yes
CONF
# A run of the generator (its arguments): its line, then the CPU % of itinerad, the PostgreSQL
# backends and the generator, as run_load prints them.
run_smpp() {
	/usr/bin/time -f "%U %S" -o "$work/gen.cpu" "$top_builddir/bench/itinerad-smsc-load" --ussd \
		--port $USSD_GW --subscribers "$subs" --msisdn-base 8613800000000 --warmup 2 \
		--duration $((secs + 2)) "$@" > "$work/smpp-load.out" &
	gen=$!
	sleep 0.3
	"$top_builddir/itinerad" -c "$work/itinerad-smpp.conf" > "$work/itinerad-smpp.log" 2>&1 &
	itin=$!
	sleep 1.7
	i0=$(bench_ticks "$itin") p0=$(bench_pg_ticks)
	wait "$gen"
	i1=$(bench_ticks "$itin") p1=$(bench_pg_ticks)
	itinerad_stop
	cat "$work/smpp-load.out"
	awk -v i=$((i1 - i0)) -v p=$((p1 - p0)) -v hz="$(getconf CLK_TCK)" -v s="$secs" \
		-v l="$(cat "$work/gen.cpu")" 'BEGIN { split(l, lc, " ")
		printf "cpu - %.1f %.1f %.1f\n", 100 * i / hz / s, 100 * p / hz / s,
		100 * (lc[1] + lc[2]) / s }'
}
smpp_async=$(run_smpp --outstanding "$outstanding")
psql -XAtq -c "ALTER DATABASE itinerad RESET synchronous_commit"
smpp_durable=$(run_smpp --outstanding "$outstanding")

printf '%s\n' "USSD through osmo-hlr $(osmo-hlr --version 2>/dev/null | sed -n 's/^OsmoHLR version //p' | head -1), $subs subscribers, consent off, pool of 2 connections, $(nproc) cores, $secs s per run" \
	"(CPU: % of one core during the run, and per session in µs; the SMPP rows: the load is the generator playing the gateway)"
printf '%-40s %8s %6s %7s %7s %8s %6s %6s %6s   %s   %s\n' "run" "sess./s" "floor" "p50 ms" \
	"p99 ms" "p99.9 ms" "multi" "errors" "unans." "CPU osmo-hlr itinerad postgres load" \
	"µs/session osmo-hlr itinerad postgres load"
printf '%-40s %8.0f %6s\n' "floor: pgbench lookup (2 clients)" "$floor" "1.00"
for pair in "itinerad, $outstanding in flight:$durable" \
	"same, synchronous_commit off:$async" \
	"same, offered $half/s:$at_half" \
	"osmo-hlr alone (*#101#), $outstanding in flight:$hlr_alone" \
	"ceiling, the audit row alone, $outstanding:$ceiling"; do
	echo "${pair#*:}" | awk -v l="${pair%%:*}" -v f="$floor" '
		/^completed/ { n = $6; r = sprintf("%-40s %8s %6.2f %7s %7s %8s %6s %6s %6s", l, $6, $6 / f, $8,
					   $10, $12, $14, $16, $18) }
		/^cpu/ { printf "%s   %11s%% %7s%% %7s%% %3s%%   %19s %8s %8s %4s\n", r, pc($2), pc($3),
			 pc($4), pc($5), us($2, n), us($3, n), us($4, n), us($5, n) }
		function pc(cpu) { return cpu == "-" ? "-" : sprintf("%.0f", cpu) }
		function us(cpu, rate) { return cpu == "-" || rate == 0 ? "-" : sprintf("%.0f", cpu * 1e4 / rate) }'
done
for pair in "SMPP gateway, $outstanding in flight:$smpp_durable" \
	"same, synchronous_commit off:$smpp_async"; do
	echo "${pair#*:}" | awk -v l="${pair%%:*}" -v f="$floor" '
		/^completed/ { n = $6; r = sprintf("%-40s %8s %6.2f %7s %7s %8s %6s %6s %6s", l, $6, $6 / f, $8,
					   $10, $12, "-", $14, $16) }
		/^cpu/ { printf "%s   %11s%% %7s%% %7s%% %3s%%   %19s %8s %8s %4s\n", r, pc($2), pc($3),
			 pc($4), pc($5), us($2, n), us($3, n), us($4, n), us($5, n) }
		function pc(cpu) { return cpu == "-" ? "-" : sprintf("%.0f", cpu) }
		function us(cpu, rate) { return cpu == "-" || rate == 0 ? "-" : sprintf("%.0f", cpu * 1e4 / rate) }'
done
