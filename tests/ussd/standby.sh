#!/bin/sh
# USSD with two itinerad instances, a and b, sharing a database and one osmo-hlr (GSUP
# 127.0.0.1:26310, VTY 26311, CTRL 26312; admin endpoints 26313 and 26314; lease 3 s): osmo-hlr
# routes one connection per EUSE name, so only the instance that holds the link connects. a
# holds it and answers a session; a is killed with SIGKILL; b takes the link once a's lease
# has run out, and a session started after that completes. The MSC's transcript
# (tests/ussd/gsup_msc), which instance identified itself to osmo-hlr how often, and the audit
# are compared with standby.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_ussd_standby
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/hlr.sh"
GSUP=26310 VTY=26311 CTRL=26312
run=$(mktemp -d /tmp/itin-ussd-standby.XXXXXX)
A_PID= B_PID=
trap 'for pid in $A_PID $B_PID; do kill $pid; wait $pid; done 2>/dev/null
	[ -f "$run/hlr.pid" ] && kill $(cat "$run/hlr.pid") 2>/dev/null
	[ -n "${ITIN_KEEP:-}" ] || rm -rf "$run"; itin_pg_cleanup' EXIT
trap 'exit 1' INT TERM

itin_test_db
itin_hlr_conf "$run" $VTY
itin_hlr_start "$run" $GSUP $VTY $CTRL
python3 "$top_srcdir/sim/osmo_vty.py" $VTY "subscriber imsi 460001000000001 create" \
	"subscriber imsi 460001000000001 update msisdn 8613800000001" > /dev/null ||
	{ echo "provisioning failed"; exit 99; }
for i in a:26313 b:26314; do
	{
		printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests-8c1f4e7a92d035b6e0a9d4c71f28b3e5\n'
		printf '[service]\ndomestic_mcc = 460, 001\nconsent = off\nlanguage = en\nverify_validity = 0\n'
		printf '[instance]\nname = %s\nlease = 3s\n' "${i%:*}"
		printf '[admin]\nlisten = 127.0.0.1:%s\n' "${i#*:}"
		printf '[gsup]\nhost = 127.0.0.1\nport = %s\neuse_name = itinerary\n' $GSUP
	} > "$run/${i%:*}.conf"
done

itin_daemon_start "$run/a.conf" "$run/a.log"
A_PID=$ITIN_DAEMON_PID
itin_euse_wait "$run/a.log"
itin_daemon_start "$run/b.conf" "$run/b.log"
B_PID=$ITIN_DAEMON_PID
ITIN_DAEMON_PID=
itin_poll 100 grep -q 'lease held' "$run/b.log" || { echo "b did not start"; exit 1; }

# a killed once its session is marked done (else b closes its row, without the parts)
cat > "$run/kill-a.sh" <<SH
#!/bin/sh
until [ "\$(psql -XAtq -c 'SELECT count(*) FROM request_pending')" = 0 ]; do sleep 0.1; done
kill -KILL $A_PID
SH
chmod +x "$run/kill-a.sh"
rc=0
"$top_builddir/tests/ussd/gsup_msc" --port $GSUP --timeout 20 \
	note "a holds the link and answers" \
	begin 460001000000001 1 '*#14#' expect \
	exec "$run/kill-a.sh" \
	note "a killed: b connects once a's lease has run out" \
	exec ". $top_srcdir/tests/lib/hlr.sh; itin_euse_wait $run/b.log" \
	begin 460001000000001 2 '*#14#' expect \
	> "$run/msc.out" 2> "$run/msc.err" || rc=$?
wait $A_PID 2>/dev/null
A_PID=
kill -TERM $B_PID
wait $B_PID
B_PID=
{
	cat "$run/msc.out"
	echo "gsup_msc exit $rc"
	echo "a identified as EUSE-itinerary $(grep -c 'identified as EUSE-itinerary' "$run/a.log") times"
	echo "b identified as EUSE-itinerary $(grep -c 'identified as EUSE-itinerary' "$run/b.log") times"
	echo "# audit: channel, intent, action, parts, requests"
	psql -XAtq -c "SELECT channel, intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
} > "$run/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$run/out" "$srcdir/tests/ussd/standby.ok"
diff -u "$srcdir/tests/ussd/standby.ok" "$run/out" || {
	cat "$run/msc.err"
	grep -a "NOTICE\|ERROR" "$run/b.log" | tail -20
	exit 1
}
