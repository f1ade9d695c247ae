#!/bin/sh
# A partitioned layout's costs on this box (issue 21), small sizes, one run:
#   lookup   pgbench running itin_lookup for one random key a statement (2 clients, SECONDS
#            each), on a single node and through the proxies of 1 and 4 partitions: MSISDN keys
#            (one routed step) and IMSI keys (two, one when the holder is on the IMSI key's
#            partition), as requests/s and as CPU per request; and batches of 50 MSISDN keys in
#            key order, so spread over the partitions as the daemon's are (SPLIT)
#   SMS      itinerad's maximum rate (bench/sms-rate.sh) on a single node and through the proxy
#            of 4 partitions
#   ingest   `itinerad-db load events` of the same feed into a single node and into layouts of
#            1, 2 and 4 partitions (events/s; the partitions are written in parallel), in
#            ROUNDS rounds (3 by default), each loading every layout in turn into fresh
#            databases: the median and the range of each, and the routing's cost, the median
#            and range of the rounds' ratios to the single node (issue 21: at most -20 %)
# The partitions are spread over two PostgreSQL clusters (even ones on the first, with the
# proxy), all on this machine's CPUs: the figures show what routing costs, not what more
# machines give. The CPU per request is what pgbench and every process of both clusters used
# (the postmasters' reaped children, the backends of the run) over the requests answered: it
# holds on a machine shared with other work, where requests/s do not. doc/manual/scale.md
# derives its plan from them.
# usage: [ROUNDS=N] bench/shard.sh [SUBSCRIBERS] [SECONDS] [ingest lookup sms]   (from a build
#        directory; the sections to run, all three by default)
set -eu
rounds=${ROUNDS:-3}
subs=${1:-20000}
secs=${2:-10}
shift $(($# < 2 ? $# : 2))
sections=${*:-ingest lookup sms}
want() { case " $sections " in *" $1 "*) return 0 ;; esac; return 1; }
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

# The host of partition $1 of a layout: even ones with the proxy.
part_host() { [ $(($1 % 2)) = 1 ] && echo "$work/b" || echo "$work/a"; }
# A database: single node (N = 0) or a proxy and N partitions, migrated, cells loaded; an
# earlier round's of the same name dropped first.
layout() {	# name N
	PGOPTIONS='-c client_min_messages=warning' "$PGBIN/dropdb" -h "$work/a" --if-exists "$1"
	i=0
	while [ $i -lt "$2" ]; do
		PGOPTIONS='-c client_min_messages=warning' "$PGBIN/dropdb" -h "$(part_host $i)" \
			--if-exists "${1}_p$i"
		i=$((i + 1))
	done
	if [ "$2" = 0 ]; then
		"$PGBIN/createdb" -h "$work/a" "$1"
	else
		parts=
		i=0
		while [ $i -lt "$2" ]; do
			parts="$parts host=$(part_host $i) dbname=${1}_p$i|"
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
# Each round loads every layout in turn, so that the machine's other work weighs on all of
# them alike; the lookups below use the last round's databases.
want ingest || rounds=1
r=1
while [ $r -le "$rounds" ]; do
	for n in 0 1 2 4; do
		name=shard$n
		[ $n = 0 ] && name=single
		layout $name $n
		echo "$r $n $(ingest $name)" >> "$work/ingest"
	done
	r=$((r + 1))
done
want ingest && echo "ingest of $events events of $subs subscribers" \
	"(itinerad-db load events, median of $rounds rounds):" && awk '
	function median(a, n,   i, j, t) {	# a[1..n], sorted in place
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]
				a[j] = a[j - 1]
				a[j - 1] = t
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ v[$2, $1] = $3; single[$1] = $2 == 0 ? $3 : single[$1]; rounds = $1 }
	END {
		split("0 1 2 4", layouts)
		for (l = 1; l <= 4; l++) {
			k = layouts[l]
			for (r = 1; r <= rounds; r++) {
				e[r] = v[k, r]
				q[r] = 100 * (v[k, r] / single[r] - 1)
			}
			m = median(e, rounds)
			line = sprintf("%7d events/s (%d-%d)", m, e[1], e[rounds])
			m = median(q, rounds)
			if (k == 0)
				printf "  single node    %s\n", line
			else
				printf "  %d partition(s) %s; against the single node %+.1f %% (%+.1f to %+.1f)\n",
					k, line, m, q[1], q[rounds]
		}
	}' "$work/ingest"

# The keys to ask for, by kind, in the proxies' and the single node's databases, numbered in
# key order (the keys are HMACs: consecutive ones fall on any partition).
for c in a b; do
	for p in $(psql -h "$work/$c" -d postgres -XAtc "SELECT datname FROM pg_database WHERE datname LIKE 'shard4_p%'"); do
		psql -h "$work/$c" -d "$p" -XAtc "SELECT encode(key, 'hex'), holder_key IS NOT NULL FROM subscriber_key"
	done
done > "$work/keys"
for d in single shard1 shard4; do
	psql -h "$work/a" -d $d -XAtq -c "CREATE TABLE bench_key (n serial, key text, imsi boolean)" \
		-c "\\copy bench_key (key, imsi) FROM '$work/keys' (DELIMITER '|', FORMAT csv)" \
		-c "CREATE TABLE bench_kind AS SELECT row_number() OVER (PARTITION BY imsi ORDER BY key) AS r, imsi, key FROM bench_key" \
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
# CPU ticks used so far by this script's reaped children (pgbench) and both clusters'.
ticks() {
	for pid in $$ $(head -1 "$work/a/data/postmaster.pid") $(head -1 "$work/b/data/postmaster.pid"); do
		awk '{ print $16 + $17 }' "/proc/$pid/stat"
	done | awk '{ n += $1 } END { print n }'
}
rate() {	# database, kind: "requests/s CPU-us-per-request"
	t0=$(ticks)
	out=$("$PGBIN/pgbench" -h "$work/a" -n -M prepared -c 2 -j 2 -T "$secs" -f "$work/lookup-$2.sql" "$1" 2>/dev/null)
	sleep 1	# the backends' exit, reaped by their postmasters
	t1=$(ticks)
	echo "$out" | awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
		/^number of transactions actually processed/ { n = $NF }
		/^tps = / { tps = $3 }
		END { printf "%d %.0f\n", tps, n ? t / hz * 1e6 / n : 0 }'
}
if want lookup; then
echo "lookup of one key a statement (pgbench, 2 clients, $secs s each; CPU of all processes):"
for kind in false true; do
	label=MSISDN
	[ $kind = true ] && label=IMSI
	echo "$label $(rate single $kind) $(rate shard1 $kind) $(rate shard4 $kind)" | awk '{
		printf "  %-6s single node %6d/s %4d us CPU; proxy of 1 partition %6d/s %4d us: x%.1f; of 4 %6d/s %4d us: x%.1f\n",
		$1, $2, $3, $4, $5, $5 / $3, $6, $7, $7 / $3 }'
done
echo "batches of 50 MSISDN keys in key order (as the daemon sends them), CPU a key:"
echo "$(rate single batch) $(rate shard1 batch) $(rate shard4 batch)" | awk '{
	printf "  single node %6d keys/s %4.1f us CPU; proxy of 1 partition %6d keys/s %4.1f us: x%.1f; of 4 %6d keys/s %4.1f us: x%.1f\n",
	50 * $1, $2 / 50, 50 * $3, $4 / 50, $4 / $2, 50 * $5, $6 / 50, $6 / $2 }'
fi

# itinerad's SMS maximum through the proxy against a single node: bench/sms-rate.sh, one round
# each (its pool of 2 connections; ITIN_BENCH_PARTITIONS, bench/lib.sh).
want sms || exit 0
echo "SMS end to end, consent off (bench/sms-rate.sh, $subs subscribers, $secs s):"
for n in 0 4; do
	rate=$(ITIN_BENCH_PARTITIONS=$( [ $n = 0 ] || echo $n ) top_srcdir="$top_srcdir" top_builddir="$top_builddir" \
		sh "$top_srcdir/bench/sms-rate.sh" "$subs" "$secs" 1 2> /dev/null |
		sed -n 's|^round 1: itinerad, consent off /s *\([0-9]*\).*|\1|p')
	[ $n = 0 ] && echo "  single node              ${rate:-failed}/s" ||
		echo "  proxy of $n partitions    ${rate:-failed}/s"
done
