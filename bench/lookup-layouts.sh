#!/bin/sh
# Lookup rate by presence layout (issue 2): the same synthetic rows (SUBSCRIBERS subscribers,
# default 1,000,000, each in one or two places on each of 15 days) stored three ways, and
# pgbench running a subscriber's window lookup (prepared, random subscribers) against each:
#   single       one unpartitioned table (the reference rate)
#   daily        15 daily partitions (retention = DROP partition)
#   itinerad     presence_history (compacted, sorted by subscriber) + presence_recent (today),
#                as sql/migrations/003 defines them (retention = rebuild, swap, DROP)
# Prints one table: layout, lookups/s per run, and the ratio to the single table. Each layout
# is measured RUNS times, alternating, after a warm-up (pg_prewarm); shared_buffers holds all
# three layouts, so no layout is measured against a cache the others evicted.
# usage: bench/lookup-layouts.sh [SUBSCRIBERS] [SECONDS] [RUNS] [CLIENTS]
set -eu
subs=${1:-1000000}
secs=${2:-10}
runs=${3:-2}
clients=${4:-2}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
work=$(mktemp -d /tmp/itin-bench-layout.XXXXXX)
chmod 755 "$work"
trap 'sh "$top_srcdir/sql/pgcluster.sh" stop "$work/pg"; rm -rf "$work"' EXIT
sh "$top_srcdir/sql/pgcluster.sh" start "$work/pg" -c shared_buffers=10GB -c max_wal_size=8GB \
	-c fsync=off -c synchronous_commit=off -c full_page_writes=off
export PGHOST="$work/pg" PGUSER=postgres PGDATABASE=itinerad
q() { psql -XAtq -v ON_ERROR_STOP=1 "$@"; }

echo "building $subs subscribers x 15 days in three layouts ..." >&2
q <<SQL
CREATE EXTENSION pg_prewarm;
CREATE UNLOGGED TABLE rows AS
SELECT s AS subscriber, (current_date - d) AS day,
	(ARRAY[110100, 310100, 440100, 440300, 500100, 330100])[1 + (s * 7 + d * (s % 3)) % 6]
		+ 0 * p AS place,
	now() - d * interval '1 day' - interval '6 hours' AS first_seen,
	now() - d * interval '1 day' AS last_seen, 5 AS events
FROM generate_series(1, $subs) s, generate_series(0, 14) d, generate_series(1, 1 + (s % 2)) p;

CREATE TABLE single AS SELECT DISTINCT ON (subscriber, day, place) * FROM rows ORDER BY subscriber, day, place;
ALTER TABLE single ADD PRIMARY KEY (subscriber, day, place);

CREATE TABLE daily (LIKE single) PARTITION BY RANGE (day);
DO \$\$ BEGIN FOR d IN 0..14 LOOP
	EXECUTE format('CREATE TABLE daily_%s PARTITION OF daily FOR VALUES FROM (%L) TO (%L)', d,
		current_date - d, current_date - d + 1);
END LOOP; END \$\$;
INSERT INTO daily SELECT * FROM single ORDER BY day, subscriber;
ALTER TABLE daily ADD PRIMARY KEY (subscriber, day, place);

CREATE TABLE presence_history AS SELECT * FROM single WHERE day < current_date ORDER BY subscriber, day, place;
ALTER TABLE presence_history ADD PRIMARY KEY (subscriber, day, place);
CREATE TABLE presence_recent AS SELECT * FROM single WHERE day = current_date ORDER BY subscriber, day, place;
ALTER TABLE presence_recent ADD PRIMARY KEY (subscriber, day, place);
DROP TABLE rows;
VACUUM ANALYZE;
SQL
for t in single daily presence_history presence_recent; do
	q -c "SELECT sum(pg_prewarm(c.oid))::bigint FROM pg_class c WHERE c.relname LIKE '$t%' AND c.relkind IN ('r', 'i')" >/dev/null
done

cat > "$work/single.sql" <<SQL
\set s random(1, $subs)
SELECT day, place, first_seen, last_seen FROM single WHERE subscriber = :s AND day >= current_date - 14;
SQL
cat > "$work/daily.sql" <<SQL
\set s random(1, $subs)
SELECT day, place, first_seen, last_seen FROM daily WHERE subscriber = :s AND day >= current_date - 14;
SQL
cat > "$work/itinerad.sql" <<SQL
\set s random(1, $subs)
SELECT day, place, first_seen, last_seen FROM presence_history WHERE subscriber = :s AND day >= current_date - 14
UNION ALL
SELECT day, place, first_seen, last_seen FROM presence_recent WHERE subscriber = :s AND day >= current_date - 14;
SQL

rate() {
	"$PGBIN/pgbench" -n -M prepared -c "$clients" -j "$clients" -T "$secs" -f "$work/$1.sql" 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}
for l in single daily itinerad; do rate "$l" >/dev/null; done	# warm-up pass
results=""
for r in $(seq 1 "$runs"); do
	for l in single daily itinerad; do
		results="$results$l $(rate "$l")
"
	done
done
printf '%s' "$results" | awk -v subs="$subs" -v clients="$clients" '
{ sum[$1] += $2; n[$1]++; runs[$1] = runs[$1] sprintf(" %8.0f", $2) }
END {
	printf "lookup by layout: %d subscribers, 15 days, pgbench -M prepared, %d clients\n", subs, clients
	printf "%-10s %12s   %s\n", "layout", "lookups/s", "per run / ratio to single"
	for (l in sum) mean[l] = sum[l] / n[l]
	split("single daily itinerad", order, " ")
	for (i = 1; i <= 3; i++) { l = order[i]; printf "%-10s %12.0f  %s   %.2f\n", l, mean[l], runs[l], mean[l] / mean["single"] }
}'
