#!/bin/sh
# A key rotation end to end (issue 17, finding 6), against a private database: subscribers A
# and B loaded under key 1; key 2 added to the secret file; A (again) and C loaded under key 2.
# itinerad-db query then answers for all three, by MSISDN and by IMSI (the mask of a USSD-like
# reply opened under the key that sealed it): A's itinerary from both loads, B's found under
# the previous key. Retiring key 1 is refused while B's presence is inside the window (and while
# a request sealed under key 1 is pending); after retention has dropped it, key 1 is retired,
# no row under key 1 is left and key 1 can leave the file. The rows per key id are counted at
# every step. The whole transcript must equal keys.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_keys
data="$srcdir/tests/db"
dir=$(mktemp -d)
trap 'rm -rf "$dir"; itin_pg_cleanup' EXIT
out="$dir/out"
AT=2026-11-12T12:00:00+08:00
KEY1=c3f1a9e04b7d26e8155a0f9c3d8b2e7a6f41c09d5e3b8a7f2c6d1e0b9a4f7c35
KEY2=7e2b94c1d05a3f68e9b1c47d2a0f5e8c3b6d9a1e4f70c25b8d3e6a9f1c04b7e2
printf '[privacy]\nhmac_secret_file = secret\n[service]\ndomestic_mcc = 460, 001\n[feed]\nmax_refused_percent = 100\n' > "$dir/itinerad.conf"
ITINERAD_CONFIG="$dir/itinerad.conf"
export ITINERAD_CONFIG

ITIN_STRIP=$data
. "$top_srcdir/tests/lib/dbtool.sh"
ask() {	# --imsi or --msisdn, the number
	itin_ask "$2" "$1" - --at $AT --lang en
}
by_key_id() {
	itin_sql "SELECT 'subscriber_key: ' || coalesce(string_agg('key ' || key_id || ' ' || n, ', ' ORDER BY key_id), 'none') FROM (SELECT key_id, count(*) n FROM subscriber_key GROUP BY 1) c"
	itin_sql "SELECT 'subscriber: ' || coalesce(string_agg('key ' || key_id || ' ' || n, ', ' ORDER BY key_id), 'none') FROM (SELECT key_id, count(*) n FROM subscriber GROUP BY 1) c"
	itin_sql "SELECT 'masks sealed: ' || count(*) FILTER (WHERE get_byte(mask_sealed, 0) * 256 + get_byte(mask_sealed, 1) = key_id) || ' of ' || count(*) || ' under their key id' FROM subscriber"
}

{
	(umask 077 && echo "1 $KEY1" > "$dir/secret")
	"$db" migrate > /dev/null 2>&1 || echo "migrate failed"
	"$db" load cells "$data/cells.csv" > /dev/null 2>&1 || echo "load cells failed"
	echo "# key 1: A (Beijing, 11-01) and B (Guangzhou, 11-02)"
	itin_run load events "$data/keys-before.csv" --at 2026-11-02T20:00:00+08:00
	by_key_id
	ask --msisdn 8613800000001

	echo "# rotation: key 2 added, the current key from now on"
	echo "2 $KEY2" >> "$dir/secret"
	echo "# key 2: A again (Shanghai, 11-10) and C (Tianjin, 11-11)"
	itin_run load events "$data/keys-after.csv" --at 2026-11-11T20:00:00+08:00
	by_key_id
	echo "# A from both loads, by its key 2; B by its key 1 (the previous key); C by its key 2"
	ask --msisdn 8613800000001
	ask --imsi 460001000000001
	ask --msisdn 8613800000002
	ask --imsi 460001000000002
	ask --msisdn 8613800000003
	ask --imsi 460001000000003
	echo "# the lookup: index scans; the previous key is probed only when the current one misses"
	echo "# (the statement in itin_lookup, through auto_explain)"
	k2=$(itin_sql "SELECT encode(key, 'hex') FROM subscriber_key WHERE key_id = 2 LIMIT 1")
	k1=$(itin_sql "SELECT encode(key, 'hex') FROM subscriber_key WHERE key_id = 1 LIMIT 1")
	for args in "'$k2', '01'" "'00', '$k1'"; do
		echo "current key $(case $args in "'00'"*) echo misses;; *) echo hits;; esac):"
		psql -XAtq -c "LOAD 'auto_explain'" -c "SET auto_explain.log_min_duration = 0" \
			-c "SET auto_explain.log_analyze = on" -c "SET auto_explain.log_timing = off" \
			-c "SET auto_explain.log_nested_statements = on" -c "SET client_min_messages = log" \
			-c "SELECT count(*) FROM itin_lookup(ARRAY[$(echo "$args" | cut -d, -f1)], ARRAY[DATE '2026-10-29'], ARRAY[$(echo "$args" | cut -d, -f2)])" 2>&1 |
			sed -n '/^Query Text: SELECT q\.i/,/^LOG:/p' |
			grep -E -o '(Limit|Append|Nested Loop( Left Join)?|Hash Join|Seq Scan|Index Scan|Bitmap Heap Scan|Bitmap Index Scan|Function Scan)( using [a-z_]+)?|never executed' |
			tr '\n' ' ' | sed 's/ never executed/ (never executed)/g; s/ $/\n/'
	done

	echo "# too early: B's presence of 11-02 is reached by key 1 only"
	itin_run retire-key 1
	itin_run retire-key 2
	itin_run retire-key 3
	by_key_id

	echo "# retention on 11-18 keeps 11-04 on: B's and A's presence of key 1's time go"
	itin_run retention --at 2026-11-18T01:00:00+08:00
	echo "# a request left pending with its reply address sealed under key 1 holds the key"
	itin_sql "INSERT INTO request_pending (key, channel, intent, action, lang, received_at, reply_to) VALUES (decode(repeat('ab', 32), 'hex'), 0, 0, 1, 0, now(), '\\x0001' || decode(repeat('00', 30), 'hex'))"
	itin_run retire-key 1
	itin_sql "DELETE FROM request_pending"
	itin_run retire-key 1
	by_key_id
	itin_sql "SELECT 'rows under key 1: ' || ((SELECT count(*) FROM subscriber_key WHERE key_id = 1) + (SELECT count(*) FROM subscriber WHERE key_id = 1))"
	echo "# key 1 leaves the secret file: A and C answer under key 2 alone; B is gone"
	(umask 077 && echo "2 $KEY2" > "$dir/secret")
	ask --msisdn 8613800000001
	ask --imsi 460001000000001
	ask --msisdn 8613800000002
	ask --imsi 460001000000003
	itin_run retire-key 1
} > "$out" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript (review the diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$out" "$srcdir/tests/db/keys.ok"
diff -u "$srcdir/tests/db/keys.ok" "$out"
