#!/bin/sh
# SMS end to end (issues 4 and 9): itinerad bound to our SMSC load generator
# (bench/itinerad-smsc-load) with SUBSCRIBERS (default 1,000,000) subscribers' 14 days loaded.
# Prints, in one table: the floor (pgbench running the itinerary lookup with the same number of
# connections as itinerad's pool) and itinerad's maximum requests/s with consent off, measured
# back to back in ROUNDS (default 2) alternating rounds, since this machine's speed drifts
# between runs (each round's ratio, and the spread), and in each round also without
# verification codes (verify_validity = 0), so that the cost of the code (random digits, an
# HMAC, the reply sealed and stored before it goes out: issue 25) shows as a ratio measured
# back to back; then consent on, and the latency p50/p99/p99.9 at half the best consent-off
# rate; and the CPU each part used at the best max, in all and per request, beside the floor's;
# the ceiling of holding the MO at the SMSC with the state in memory (issue 20 item 2: the
# request's writes replaced by its audit row, a run with and without codes, best round's
# floor); then PostgreSQL's time per request by statement, in one more max run with
# pg_stat_statements tracking (not counted in the rates above). Each itinerad run starts with
# 5 s not counted: its new PostgreSQL backends first map the shared buffers they touch (about
# 4 s of extra CPU at 2,700 requests/s, seen as _bt_checkpage and native_set_pte in a profile).
# The load generator walks the subscribers in a fixed order; a run that asks all of them starts
# over with the keyword in another case, so that a repeat is a new message (the same text within
# 30 s would be taken for an SMSC's redelivery and not answered); a subscriber then asks a few
# times a run, well within the rate limit of 100 an hour set here.
# usage: bench/sms-rate.sh [SUBSCRIBERS] [SECONDS] [ROUNDS]     (from a build directory)
set -eu
subs=${1:-1000000}
secs=${2:-20}
rounds=${3:-2}
pool=${ITIN_BENCH_POOL:-2}	# itinerad's database connections (and pgbench's clients)
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
port=24090
. "$top_srcdir/bench/lib.sh"
bench_work sms
bench_pg_start 2GB
{
	printf '[database]\npool_size = %s\n' "$pool"
	bench_conf
	echo "max_replies = off"	# a run appends its own [service] lines
} > "$work/base.conf"
export ITINERAD_CONFIG="$work/base.conf"
bench_load "$subs"

# A run (its consent, then the load generator's arguments, which start with --warmup 5): the
# generator's line, with the CPU each part used in the measured seconds appended (% of one
# core: itinerad, the PostgreSQL cluster, the generator), read from 5 s into the run to its end.
run_itinerad() {	# consent on|off, verify_validity, then the load generator's arguments
	consent=$1 validity=$2
	shift 2
	cat "$work/base.conf" > "$work/itinerad.conf"
	printf 'verify_validity = %s\n' "$validity" >> "$work/itinerad.conf"
	printf 'consent = %s\nreply_deadline = 30s\n[smpp load]\nhost = 127.0.0.1\nport = %s\nsystem_id = itinerary\npassword = secret\nwindow = 200\n[admin]\nlisten = 127.0.0.1:24091\n' \
		"$consent" "$port" >> "$work/itinerad.conf"
	"$top_builddir/bench/itinerad-smsc-load" --port $port --subscribers "$subs" "$@" > "$work/load.out" &
	load=$!
	sleep 0.3
	"$top_builddir/itinerad" -c "$work/itinerad.conf" > "$work/itinerad.log" 2>&1 &
	itin=$!
	echo $itin > "$work/itinerad.pid"
	sleep 4.7
	[ -z "${profile:-}" ] || bench_statements_reset
	i0=$(bench_ticks $itin) p0=$(bench_pg_ticks) g0=$(bench_ticks $load)
	sleep $((secs - 1))
	i1=$(bench_ticks $itin) p1=$(bench_pg_ticks) g1=$(bench_ticks $load)
	wait $load
	[ -z "${profile:-}" ] || bench_statements_print 14 > "$work/statements"
	kill $itin
	wait $itin 2>/dev/null || true
	bench_psql_all -c "TRUNCATE subscriber_state, request_pending, audit, verify_code"
	awk -v i=$((i1 - i0)) -v p=$((p1 - p0)) -v g=$((g1 - g0)) -v hz="$(getconf CLK_TCK)" \
		-v s=$((secs - 1)) '{ printf "%s cpu_itinerad %.0f cpu_pg %.0f cpu_generator %.0f\n", $0,
		100 * i / hz / s, 100 * p / hz / s, 100 * g / hz / s }' "$work/load.out"
}
: > "$work/rounds"
for round in $(seq "$rounds"); do
	floor=$(bench_floor "$pool" "$secs")
	no_codes=$(run_itinerad off 0 --outstanding 400 --warmup 5 --duration $((secs + 5)) --msisdn-base 8613800000000 | bench_field rate)
	max_off=$(run_itinerad off 24h --outstanding 400 --warmup 5 --duration $((secs + 5)) --msisdn-base 8613800000000)
	echo "$round $floor $(echo "$max_off" | bench_field rate) $no_codes $max_off" >> "$work/rounds"
done
best=$(sort -k3 -n "$work/rounds" | tail -1)
floor=$(echo "$best" | cut -d' ' -f2)
max_off=$(echo "$best" | cut -d' ' -f5-)
max_on=$(run_itinerad on 24h --outstanding 400 --warmup 5 --duration $((secs + 5)) --msisdn-base 8613800000000 --consent)
rate_off=$(echo "$max_off" | bench_field rate)
half=$(awk -v r="$rate_off" 'BEGIN { printf "%d", r / 2 }')
at_half=$(run_itinerad off 24h --rate "$half" --warmup 5 --duration $((secs + 5)) --msisdn-base 8613800000000)
# The ceiling of issue 20's option (bench_ceiling_on), without and with codes.
bench_ceiling_on
ceiling_no_codes=$(run_itinerad off 0 --outstanding 400 --warmup 5 --duration $((secs + 5)) --msisdn-base 8613800000000 | bench_field rate)
ceiling=$(run_itinerad off 24h --outstanding 400 --warmup 5 --duration $((secs + 5)) --msisdn-base 8613800000000 | bench_field rate)
bench_ceiling_off
bench_statements_start
profiled=$(profile=1 run_itinerad off 24h --outstanding 400 --warmup 5 --duration $((secs + 5)) --msisdn-base 8613800000000 | bench_field rate)

printf '%s\n' "SMS end to end, $subs subscribers, pool of $pool connections, $(nproc) cores" \
	"figure                                  value      ratio to the floor"
awk -v p="$pool" '{ printf "round %d: %-27s %9.0f      1.00\n", $1, "floor, pgbench (" p " clients) /s", $2
	printf "round %d: %-27s %9.0f      %.2f\n", $1, "itinerad, consent off /s", $3, $3 / $2
	printf "round %d: %-27s %9.0f      %.2f (with codes / without: %.2f)\n", $1, "... without codes /s", $4, $4 / $2, $3 / $4 }' "$work/rounds"
awk '{ r = $3 / $2; lo = NR == 1 || r < lo ? r : lo; hi = NR == 1 || r > hi ? r : hi }
	END { printf "%-36s %9s      %.2f-%.2f\n", "ratio to the floor, spread", "", lo, hi }' "$work/rounds"
awk -v f="$floor" -v a="$ceiling_no_codes" -v b="$ceiling" 'BEGIN {
	printf "%-36s %9.0f      %.2f\n", "ceiling, the audit row alone /s", b, b / f
	printf "%-36s %9.0f      %.2f\n", "... without codes /s", a, a / f }'
echo "$max_on" | bench_field rate | awk -v f="$floor" '{ printf "%-36s %9.0f      %.2f (best round)\n", "itinerad max, consent on /s", $1, $1 / f }'
echo "$max_off" | awk '{ printf "%-36s %9s ms   p99 %s ms, p99.9 %s ms\n", "latency at best max (consent off) p50", $8, $10, $12 }'
echo "$at_half" | awk -v h="$half" '{ printf "%-36s %9s ms   p99 %s ms, p99.9 %s ms (%s unanswered)\n", "latency at " h "/s p50", $8, $10, $12, $16 }'
# Where the time goes: CPU of each part at the best max, and per request; the floor's lookup
# costs at most the whole machine over its rate (pgbench included).
echo "$max_off" | awk -v f="$floor" -v n="$(nproc)" '{
	for (i = 1; i < NF; i++) v[$i] = $(i + 1)
	r = v["rate"]
	printf "%-36s itinerad %s%%, PostgreSQL %s%%, generator %s%% of a core\n", "CPU at best max",
		v["cpu_itinerad"], v["cpu_pg"], v["cpu_generator"]
	printf "%-36s itinerad %.0f, PostgreSQL %.0f, generator %.0f (a floor lookup: %.0f, pgbench included)\n",
		"CPU per request, us", v["cpu_itinerad"] * 1e4 / r, v["cpu_pg"] * 1e4 / r,
		v["cpu_generator"] * 1e4 / r, n * 1e6 / f }'
echo "PostgreSQL's time per request by statement, us (one more max run, consent off, $profiled/s,"
echo "pg_stat_statements tracking all; \"(inside)\": a statement of a function above, in its time):"
cat "$work/statements"
