#!/bin/sh
# Ingest benchmark (issues 2 and 9): generates EVENTS location events (default 10 million) with
# itinerad-sample, loads them into a fresh database of a private PostgreSQL cluster with
# `itinerad-db load events`, and prints events per second for load + fold, twice (an empty
# database, then the same feed again onto the loaded one: every row meets one loaded before).
# usage: bench/load-events.sh [EVENTS]     (run from a build directory, or set top_builddir)
set -eu
events=${1:-10000000}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=$(cd "${top_builddir:-.}" && pwd)
work=$(mktemp -d /tmp/itin-bench-load.XXXXXX)
trap 'sh "$top_srcdir/sql/pgcluster.sh" stop "$work/pg"; rm -rf "$work"' EXIT

chmod 755 "$work"	# the cluster runs as postgres
# The generator writes about 19 events per subscriber over 14 days; the feed is cut to EVENTS.
subscribers=$((events / 18))
end=$(date +%s)
"$top_builddir/itinerad-sample" --seed 1 --subscribers "$subscribers" --end "$end" \
	--cells "$work/cells.csv" --events "$work/all-events.csv"
head -n $((events + 1)) "$work/all-events.csv" > "$work/events.csv"
rm "$work/all-events.csv"
lines=$(($(wc -l < "$work/events.csv") - 1))

sh "$top_srcdir/sql/pgcluster.sh" start "$work/pg" -c shared_buffers=2GB -c max_wal_size=8GB \
	-c checkpoint_timeout=30min
cat > "$work/bench.conf" <<CONF
[privacy]
hmac_secret = benchmark-secret-0123456789-e4a1c8f07b3d92e6c05a8f1d4b7e32c9
[service]
domestic_mcc = 460, 001
CONF
export ITINERAD_CONFIG="$work/bench.conf" ITINERAD_CONNINFO="host=$work/pg user=postgres dbname=itinerad"
db="$top_builddir/itinerad-db"
"$db" migrate 2>/dev/null
"$db" load cells "$work/cells.csv" >/dev/null

run() {
	t0=$(date +%s.%N)
	"$db" load events "$work/events.csv" > "$work/load.out" 2>/dev/null
	t1=$(date +%s.%N)
	echo "$1 $t0 $t1 $(cat "$work/load.out")"
}
{
	run "empty"
	run "again"
} | awk -v lines="$lines" -v subs="$subscribers" '
BEGIN { printf "%-28s %14s %10s %14s\n", "ingest (" subs " subscribers)", "events", "seconds", "events/s" }
{ s = $3 - $2; printf "%-28s %14d %10.2f %14.0f\n", "load events, " $1 " db", lines, s, lines / s }'
psql -XAtq -h "$work/pg" -U postgres itinerad -c \
	"SELECT 'presence rows ' || count(*) || ', subscribers ' || (SELECT count(*) FROM subscriber) FROM presence_recent"
