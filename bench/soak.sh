#!/bin/sh
# Soak (issues 8 and 9): itinerad bound to the SMSC load generator for MINUTES (default 30) at
# RATE requests/s (default: half of the maximum measured first for 20 s), consent off, with
# SUBSCRIBERS (default 1,000,000) subscribers' 14 days loaded. Prints a line a minute: requests
# completed in that minute, their latency p50/p99/p99.9 and itinerad's resident memory, then
# the whole run's figures. The load generator walks the subscribers in a fixed order and starts
# over, with the keyword in another case, when it has asked for every one (a repeat is hours
# apart, within the rate limit).
# usage: bench/soak.sh [MINUTES] [RATE] [SUBSCRIBERS]     (from a build directory)
set -eu
minutes=${1:-30}
rate=${2:-}
subs=${3:-1000000}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
port=24092
. "$top_srcdir/bench/lib.sh"
bench_work soak
bench_pg_start 2GB
{ bench_conf; cat; } > "$work/itinerad.conf" <<CONF
max_replies = off
consent = off
reply_deadline = 30s
[smpp load]
host = 127.0.0.1
port = $port
system_id = itinerary
password = secret
window = 200
[admin]
listen = 127.0.0.1:24093
CONF
export ITINERAD_CONFIG="$work/itinerad.conf"
bench_load "$subs"

# Runs itinerad against the load generator (its arguments); the generator's lines, each
# --interval line with itinerad's VmRSS in MB added.
run() {
	"$top_builddir/bench/itinerad-smsc-load" --port $port --subscribers "$subs" \
		--msisdn-base 8613800000000 "$@" > "$work/load.fifo" &
	load=$!
	sleep 0.3
	"$top_builddir/itinerad" -c "$work/itinerad.conf" > "$work/itinerad.log" 2>&1 &
	echo $! > "$work/itinerad.pid"
	while read -r line; do
		rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$(cat "$work/itinerad.pid")/status")
		case $line in
		interval*) echo "$line rss_mb $rss" ;;
		*) echo "$line" ;;
		esac
	done < "$work/load.fifo"
	wait $load
	kill "$(cat "$work/itinerad.pid")"
	wait "$(cat "$work/itinerad.pid")" 2> /dev/null || true
	rm -f "$work/itinerad.pid"
}
mkfifo "$work/load.fifo"
if [ -z "$rate" ]; then
	max=$(run --outstanding 400 --duration 20 | bench_field rate)
	rate=$(awk -v r="$max" 'BEGIN { printf "%d", r / 2 }')
	psql -XAtq -c "TRUNCATE subscriber_state, request_pending, audit"
	echo "maximum $max requests/s over 20 s; soaking at $rate/s" >&2
fi
echo "soak: $minutes min at $rate requests/s, $subs subscribers, consent off, $(nproc) cores"
printf '%6s %9s %7s %8s %8s %9s %10s\n' minute completed "req/s" "p50 ms" "p99 ms" "p99.9 ms" "RSS MB"
run --rate "$rate" --duration $((minutes * 60)) --interval 60 | awk '
	$1 == "interval" { printf "%6d %9d %7d %8.1f %8.1f %9.1f %10.1f\n", $2 / 60, $4, $6, $8, $10, $12, $14; fflush(); next }
	{ printf "whole run: %d completed, %d/s, p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, %d refused, %d unanswered\n",
		$2, $6, $8, $10, $12, $14, $16 }'
