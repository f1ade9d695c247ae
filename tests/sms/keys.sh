#!/bin/sh
# The daemon during a key rotation (issue 17, finding 6): tests/db events loaded under key 1,
# key 2 added to the secret file, keys-after.csv (8613800000001 in Tianjin) loaded under key 2; itinerad, started
# with both keys, answers the conversations of keys.scenario through the npm smpp SMSC (port
# 24120, admin endpoint 25120): 8613800000001 from both loads (its key-2 key), 8613900000003
# through its key-1 key (the previous key, probed in the same batched lookup), 8613800000003
# under key 2 alone. A SIGHUP after the secret file changed keeps the keys and logs that a
# restart is needed. Transcript and rows per key id compared with keys.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_sms_keys
. "$top_srcdir/tests/lib/daemon.sh"
command -v node > /dev/null || { echo "node missing"; exit 77; }
work=$(mktemp -d)
trap 'itin_daemon_stop; [ -n "${ITIN_KEEP:-}" ] || rm -rf "$work"; itin_pg_cleanup' EXIT
port=24120
conf=$work/itinerad.conf

{
	printf '[privacy]\nhmac_secret_file = secret\n'
	printf '[service]\ndomestic_mcc = 460, 001\nreply_deadline = 5s\nverify_validity = 0\n'
	printf '[smpp test-smsc]\nhost = 127.0.0.1\nport = %s\nsystem_id = itinerary\n' $port
	printf 'password = secret\nenquire_link = 30s\nresponse_timeout = 30s\n'
	printf '[admin]\nlisten = 127.0.0.1:%s\n' $((port + 1000))
	printf '[feed]\nmax_refused_percent = 100\n'	# tests/db/cells.csv's malformed lines
} > "$conf"
(umask 077 && echo "1 5b0e8c2f71d94a36e0c5b18f27d3a94e6c1f08b5d27e4a39c60f1b8e52d7a4c9" > "$work/secret")
step() {
	ITINERAD_CONFIG=$conf "$top_builddir/itinerad-db" "$@" > /dev/null 2>&1 ||
		{ echo "itinerad-db $* failed"; exit 99; }
}
step migrate
step load cells "$top_srcdir/tests/db/cells.csv"
step --at "$ITIN_TEST_LOAD_AT" load events "$top_srcdir/tests/db/events.csv"
echo "2 e3a7c05f9b2d41e8a6c3f70b9d15e42c8a0f6b3d71c9e25a4f08b6d3c1e97a52" >> "$work/secret"
step --at "$ITIN_TEST_LOAD_AT" load events "$srcdir/tests/sms/keys-after.csv"

itin_smsc_start $port "$srcdir/tests/sms/keys.scenario" "$work/smsc.out" "$work/smsc.err"
itin_daemon_start "$conf" "$work/itinerad.log"
wait $ITIN_SMSC_PID
# A reload does not change the keys in use: it says so when the file changed.
(umask 077 && sed -i 's/^2 /3 /' "$work/secret")
kill -HUP "$ITIN_DAEMON_PID"
itin_poll 50 itin_log_count "$work/itinerad.log" 1 "SIGHUP: config reloaded"
itin_daemon_stop
{
	cat "$work/smsc.out"
	echo "# SIGHUP after key 2 became key 3 in the file"
	grep -o 'SIGHUP: the operator secrets changed.*' "$work/itinerad.log"
	echo "# rows per key id"
	psql -XAtq -c "SELECT 'subscriber_key: ' || string_agg('key ' || key_id || ' ' || n, ', ' ORDER BY key_id) FROM (SELECT key_id, count(*) n FROM subscriber_key GROUP BY 1) c"
	psql -XAtq -c "SELECT 'subscriber: ' || string_agg('key ' || key_id || ' ' || n, ', ' ORDER BY key_id) FROM (SELECT key_id, count(*) n FROM subscriber GROUP BY 1) c"
	echo "# audit: intent, action, parts, requests"
	psql -XAtq -c "SELECT intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
} > "$work/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/out" "$srcdir/tests/sms/keys.ok"
diff -u "$srcdir/tests/sms/keys.ok" "$work/out" || { tail -40 "$work/itinerad.log"; exit 1; }
