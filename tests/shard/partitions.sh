#!/bin/sh
# The partitioned layout (issue 21): a proxy and 4 partitions on two PostgreSQL clusters
# (tests/lib/pg.sh with ITIN_TEST_PARTITIONS), made by contrib/shard/shard.sh. migrate reaches
# every partition; loads route each row to the partition of its key, with exact counts, the
# same keys and presence in batches as in one transaction, and a failed batch on no partition;
# lookups by MSISDN and by IMSI (two routed steps, one when the holder is on the IMSI key's
# partition) through the proxy; retention (IMSI keys too) and purge on every partition;
# 100,000 subscribers spread within 10 % of the mean, each key on the partition PL/Proxy routes
# it to. The transcript must equal partitions.ok.
set -u
ITIN_TEST_PARTITIONS=4
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_test itin_shard
data="$srcdir/tests/db"
AT=2026-11-20T12:00:00+08:00
LOAD_AT=2026-11-20T23:00:00+08:00
set -- $itin_pg_hosts
host_a=$1
host_b=$2

# The partitions' counts, one line each: subscribers, MSISDN keys, IMSI keys, presence rows.
counts() {
	itin_pg_each_part "SELECT current_database() || ': subscribers ' || (SELECT count(*) FROM subscriber) || ', MSISDN keys ' || (SELECT count(*) FROM subscriber_key WHERE holder_key IS NULL) || ', IMSI keys ' || (SELECT count(*) FROM subscriber_key WHERE holder_key IS NOT NULL) || ', presence rows ' || (SELECT count(*) FROM presence_recent) + (SELECT count(*) FROM presence_history)"
}
# Every partition's presence by MSISDN key, sorted: one digest of the whole layout.
digest() {
	itin_pg_each_part "SELECT encode(k.key, 'hex') || ' ' || day || ' ' || place || ' ' || min(p.first_seen) || ' ' || max(p.last_seen) || ' ' || sum(p.events) FROM presence_recent p JOIN subscriber_key k ON k.subscriber = p.subscriber GROUP BY k.key, day, place" |
		sort | md5sum
}
total() {	# SQL giving a count on each partition
	itin_pg_each_part "$1" | awk '{ n += $1 } END { print n + 0 }'
}

{
	echo "# the cluster map (the first cluster A, the second B)"
	sh "$top_srcdir/contrib/shard/shard.sh" map "$ITINERAD_CONNINFO" |
		sed "s|$host_a|A|; s|$host_b|B|"
	itin_run migrate | grep -v '^migrate: applied'
	itin_pg_each_part "SELECT current_database() || ' at ' || max(version) FROM schema_version"
	itin_sql "SELECT 'proxy at ' || max(version) FROM schema_version"
	cp "$data/cells.csv" "$data/events.csv" "$work"
	itin_run load cells "$work/cells.csv"
	itin_run load events "$work/events.csv" --at $LOAD_AT
	counts
	itin_sql "SELECT 'proxy: subscribers ' || (SELECT count(*) FROM subscriber) || ', newest event ' || (SELECT to_char(newest_event AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') FROM feed_state)"
	echo "# the replies of tests/db/database.ok"
	itin_ask 8613800000001 --msisdn - --at $AT
	itin_ask 13800000001 --msisdn - --at $AT --lang en
	itin_ask 460011000000003 --imsi - --at $AT
	itin_ask 8613800000002 --msisdn - --at $AT
	itin_ask 8613800000099 --msisdn - --at $AT
	echo "# retention on every partition"
	itin_run retention --at $LOAD_AT
	itin_ask 8613800000001 --msisdn - --at $AT
	echo "# retention 20 days later: the subscribers, their keys and the IMSI keys naming them go"
	itin_run retention --at 2026-12-10T12:00:00+08:00 | grep -v '^retention: kept'
	counts
	itin_ask 460011000000003 --imsi - --at 2026-12-10T12:00:00+08:00 --lang en

	echo "# the sample of sim/: 500 subscribers over 14 days, with the counts of one node"
	"$top_builddir/itinerad-sample" --seed 7 --subscribers 500 --end 1795147200 \
		--cells "$work/cells" --events "$work/events" 2>&1
	itin_run purge --yes
	itin_run load cells "$work/cells"
	itin_run load events "$work/events" --at $LOAD_AT
	echo "subscribers $(total 'SELECT count(*) FROM subscriber'), presence rows $(total 'SELECT count(*) FROM presence_recent'), events $(total 'SELECT coalesce(sum(events), 0) FROM presence_recent')"
	one=$(digest)
	echo "# again in transactions of 100 folded rows: the same keys and presence"
	"$db" purge --yes > /dev/null 2>&1
	itin_run --batch-rows 100 load events "$work/events" --at $LOAD_AT
	[ "$one" = "$(digest)" ] && echo "same keys and presence as in one transaction"

	echo "# a batch that fails on partition 1 is on no partition; the batches before it stay, whole"
	"$db" purge --yes > /dev/null 2>&1
	p1=$(echo "$itin_pg_parts" | cut -d'|' -f2)
	psql -XAtq -d "$p1" -c "CREATE FUNCTION fail_at_60() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS \$\$ BEGIN IF (SELECT count(*) FROM presence_recent) >= 60 THEN RAISE EXCEPTION 'test: presence_recent is full'; END IF; RETURN NEW; END \$\$" \
		-c "CREATE TRIGGER fail_at_60 BEFORE INSERT ON presence_recent FOR EACH ROW EXECUTE FUNCTION fail_at_60()"
	itin_run --batch-rows 100 load events "$work/events" --at $LOAD_AT
	rows=$(total 'SELECT count(*) FROM presence_recent')
	echo "presence rows: $rows, whole batches of 100: $([ $((rows % 100)) = 0 ] && [ "$rows" -gt 0 ] && echo yes || echo no)"
	psql -XAtq -d "$p1" -c "DROP TRIGGER fail_at_60 ON presence_recent"

	itin_run purge --yes
	counts

	echo "# 100,000 subscribers, one event each: the partitions' shares"
	awk 'BEGIN { print "time,imsi,msisdn,mcc,mnc,lac,ci"
		for (i = 0; i < 100000; i++)
			printf "1795100000,4600%011d,86139%08d,460,00,4097,1001\n", i, i }' > "$work/many"
	itin_run load cells "$work/cells.csv" > /dev/null
	itin_run load events "$work/many" --at $LOAD_AT
	itin_pg_each_part "SELECT count(*) FROM subscriber" |
		awk '{ n[NR] = $1; s += $1 } END { m = s / NR; ok = "yes"
			for (i = 1; i <= NR; i++) if (n[i] < 0.9 * m || n[i] > 1.1 * m) ok = "no"
			print "subscribers " s " on " NR " partitions, each within 10 % of the mean: " ok }'
	echo "keys not on the partition PL/Proxy routes them to (itin_key_hash): $(total "SELECT count(*) FROM subscriber_key WHERE itin_key_hash(encode(key, 'hex')) & 3 <> substring(current_database() FROM '_p([0-9]+)\$')::integer")"
	echo "IMSI keys $(total 'SELECT count(*) FROM subscriber_key WHERE holder_key IS NOT NULL'), of which with their holder's partition: $(total 'SELECT count(*) FROM subscriber_key i JOIN subscriber_key m ON m.key = i.holder_key')"
	echo "of which answered there in one routed step (migration 220): $(total "SELECT count(DISTINCT l.i) FROM (SELECT array_agg(encode(key, 'hex')) AS k FROM subscriber_key WHERE holder_key IS NOT NULL) a, itin_lookup_part(a.k, array_fill(DATE '2026-11-06', ARRAY[cardinality(a.k)]), ARRAY(SELECT generate_series(1, cardinality(a.k))::bigint)) l WHERE l.holder IS NULL")"
	itin_ask 460000000000077 --imsi - --at $LOAD_AT --lang en
} > "$work/out" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript (review the diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/out" "$srcdir/tests/shard/partitions.ok"
diff -u "$srcdir/tests/shard/partitions.ok" "$work/out"
