#!/bin/sh
# A partitioned layout's costs on this box (issue 21), small sizes, one run:
#   lookup   pgbench running itin_lookup for one random key a statement (2 clients, SECONDS
#            each), on a single node and through the proxy of 4 partitions: MSISDN keys (one
#            routed step) and IMSI keys (two), as requests/s and microseconds per request; and
#            batches of 50 MSISDN keys, as the daemon sends them (SPLIT over the partitions)
#   SMS      itinerad's maximum rate (bench/sms-rate.sh) on a single node and through the proxy
#            of 4 partitions
#   ingest   `itinerad-db load events` of the same feed into a single node and into layouts of
#            1, 2 and 4 partitions (events/s; the partitions are written in parallel)
# The partitions are spread over two PostgreSQL clusters (even ones on the first, with the
# proxy), all on this machine's CPUs: the figures show what routing costs, not what more
# machines give. doc/manual/scale.md derives its plan from them.
# usage: bench/shard.sh [SUBSCRIBERS] [SECONDS]     (from a build directory)
set -eu
subs=${1:-20000}
secs=${2:-10}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
db="$top_builddir/itinerad-db"
work=$(mktemp -d /tmp/itin-bench-shard.XXXXXX)
chmod 755 "$work"
trap 'for c in a b; do sh "$top_srcdir/sql/pgcluster.sh" stop "$work/$c"; done; rm -rf "$work"' EXIT
for c in a b; do
	sh "$top_srcdir/sql/pgcluster.sh" start "$work/$c" -c shared_buffers=256MB -c fsync=off \
		-c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB
done
export PGUSER=postgres
export ITINERAD_CONFIG="$top_srcdir/tests/db/itinerad-test.conf"
AT=2026-11-20T23:00:00+08:00

# A database: single node (N = 0) or a proxy and N partitions, migrated, cells loaded.
layout() {	# name N
	if [ "$2" = 0 ]; then
		"$PGBIN/createdb" -h "$work/a" "$1"
	else
		parts=
		i=0
		while [ $i -lt "$2" ]; do
			h=$work/a
			[ $((i % 2)) = 1 ] && h=$work/b
			parts="$parts host=$h dbname=${1}_p$i|"
			i=$((i + 1))
		done
		(IFS='|'; sh "$top_srcdir/contrib/shard/shard.sh" create "host=$work/a dbname=$1" $parts)
	fi
	ITINERAD_CONNINFO="host=$work/a user=postgres dbname=$1" "$db" migrate > /dev/null 2>&1
	ITINERAD_CONNINFO="host=$work/a user=postgres dbname=$1" "$db" load cells "$work/cells" > /dev/null 2>&1
}
# events/s of one load of the feed into database $1.
ingest() {
	t0=$(date +%s.%N)
	ITINERAD_CONNINFO="host=$work/a user=postgres dbname=$1" "$db" load events "$work/events" --at $AT > /dev/null 2>&1
	t1=$(date +%s.%N)
	echo "$t0 $t1 $events" | awk '{ printf "%.0f", $3 / ($2 - $1) }'
}

"$top_builddir/itinerad-sample" --seed 7 --subscribers "$subs" --end 1795147200 \
	--cells "$work/cells" --events "$work/events" > /dev/null 2>&1
events=$(($(wc -l < "$work/events") - 1))
echo "ingest of $events events of $subs subscribers (itinerad-db load events):"
layout single 0
echo "  single node    $(ingest single) events/s"
for n in 1 2 4; do
	layout shard$n "$n"
	echo "  $n partition(s) $(ingest shard$n) events/s"
done

# The keys to ask for, by kind, in the proxy's and the single node's databases.
for c in a b; do
	for p in $(psql -h "$work/$c" -d postgres -XAtc "SELECT datname FROM pg_database WHERE datname LIKE 'shard4_p%'"); do
		psql -h "$work/$c" -d "$p" -XAtc "SELECT encode(key, 'hex'), holder_key IS NOT NULL FROM subscriber_key"
	done
done > "$work/keys"
for d in single shard4; do
	psql -h "$work/a" -d $d -XAtq -c "CREATE TABLE bench_key (n serial, key text, imsi boolean)" \
		-c "\\copy bench_key (key, imsi) FROM '$work/keys' (DELIMITER '|', FORMAT csv)" \
		-c "CREATE TABLE bench_kind AS SELECT row_number() OVER (PARTITION BY imsi ORDER BY n) AS r, imsi, key FROM bench_key" \
		-c "ALTER TABLE bench_kind ADD PRIMARY KEY (imsi, r)"
done
for kind in false true; do
	cat > "$work/lookup-$kind.sql" <<-SQL
		\\set r random(1, $subs * 9 / 10)
		SELECT count(*) FROM itin_lookup(ARRAY[(SELECT key FROM bench_kind WHERE imsi = $kind AND r = :r)], ARRAY[DATE '2026-11-06'], ARRAY[NULL::text]);
	SQL
done
# As the daemon asks: a batch of 50 MSISDN keys in one statement.
cat > "$work/lookup-batch.sql" <<SQL
\\set r random(1, $subs * 8 / 10)
SELECT count(*) FROM itin_lookup(ARRAY(SELECT key FROM bench_kind WHERE NOT imsi AND r >= :r AND r < :r + 50 ORDER BY r), array_fill(DATE '2026-11-06', ARRAY[50]), array_fill(NULL::text, ARRAY[50]));
SQL
rate() {	# database, kind
	"$PGBIN/pgbench" -h "$work/a" -n -M prepared -c 2 -j 2 -T "$secs" -f "$work/lookup-$2.sql" "$1" 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\).*/\1/p' | cut -d. -f1
}
echo "lookup of one key a statement (pgbench, 2 clients, $secs s each):"
for kind in false true; do
	label=MSISDN
	[ $kind = true ] && label=IMSI
	single=$(rate single $kind)
	proxy=$(rate shard4 $kind)
	echo "$label $single $proxy" | awk '{ printf "  %-6s single node %6d/s (%5.0f us), proxy of 4 partitions %6d/s (%5.0f us): x%.1f the cost\n",
		$1, $2, 2e6 / $2, $3, 2e6 / $3, $2 / $3 }'
done
single=$(rate single batch)
proxy=$(rate shard4 batch)
echo "$single $proxy" | awk '{ printf "  batches of 50 MSISDN keys: single node %6d keys/s (%4.0f us a key), proxy %6d keys/s (%4.0f us a key): x%.1f the cost\n",
	50 * $1, 2e6 / (50 * $1), 50 * $2, 2e6 / (50 * $2), $1 / $2 }'

# itinerad's SMS maximum through the proxy against a single node: bench/sms-rate.sh, one round
# each (its pool of 2 connections; ITIN_BENCH_PARTITIONS, bench/lib.sh).
echo "SMS end to end, consent off (bench/sms-rate.sh, $subs subscribers, $secs s):"
for n in 0 4; do
	rate=$(ITIN_BENCH_PARTITIONS=$( [ $n = 0 ] || echo $n ) top_srcdir="$top_srcdir" top_builddir="$top_builddir" \
		sh "$top_srcdir/bench/sms-rate.sh" "$subs" "$secs" 1 2> /dev/null |
		sed -n 's|^round 1: itinerad, consent off /s *\([0-9]*\).*|\1|p')
	[ $n = 0 ] && echo "  single node              ${rate:-failed}/s" ||
		echo "  proxy of $n partitions    ${rate:-failed}/s"
done
