#!/bin/sh
# Abuse, 10,000 USSD sessions at once (issue 8), through a real osmo-hlr (GSUP 127.0.0.1:24910,
# VTY 24911, CTRL 24912, moved there by sim/itinerad-port-shim.so) to itinerad as its EUSE
# (admin endpoint 127.0.0.1:25910). tests/ussd/gsup_msc in crowd mode dials *#14# from 10,000
# IMSIs (unknown to osmo-hlr and to the database: osmo-hlr still routes them, the answer is
# "no data"), waits until all 10,000 consent menus are on the screens, checks while they are
# all open that itinerad counts 10,000 sessions with an RSS under 128 MiB, then answers every
# menu "1", 500 sessions at a time waiting for their answer (10,000 "1"s at once would be
# more statements than the database pool keeps in flight, 2 x 2,048: a share of the sessions,
# depending on timing, would end with the busy text instead): each session must end with its
# answer. Then itinerad has no session left, its RSS is still under 128 MiB, it answers a
# normal query (four pages), it still runs, and the audit has one row per session. RSS figures
# go to the test's log (stderr), not the comparison.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_abuse_sessions
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/hlr.sh"
GSUP=24910 VTY=24911 CTRL=24912 ADMIN=25910
N=10000
run=$(mktemp -d /tmp/itin-abuse-sessions.XXXXXX)
trap 'itin_daemon_stop; [ -f "$run/hlr.pid" ] && kill "$(cat "$run/hlr.pid")" 2> /dev/null;
	[ -n "${ITIN_KEEP:-}" ] || rm -rf "$run"; itin_pg_cleanup' EXIT
trap 'exit 1' INT TERM

itin_hlr_conf "$run" $VTY "ncss-guard-timeout 180"

# What the crowd runs while its sessions are open, and the script after: itinerad's open USSD
# sessions (from /metrics) and whether its RSS is under 128 MiB (the figure goes to rss.log).
cat > "$run/state.sh" <<STATE
python3 -c 'import urllib.request as u
for l in u.urlopen("http://127.0.0.1:$ADMIN/metrics").read().decode().splitlines():
    if l.startswith("itinerad_ussd_sessions "): print(l)'
rss=\$(awk '/^VmRSS:/ { print \$2 }' /proc/\$1/status)
echo "\$2: \$rss kB" >> "$run/rss.log"
[ "\$rss" -lt 131072 ] && echo "itinerad's RSS under 128 MiB"
STATE

itin_test_db
itin_hlr_start "$run" $GSUP $VTY $CTRL
{
	printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests-8c1f4e7a92d035b6e0a9d4c71f28b3e5\n'
	# a reply deadline and session timeouts (osmo-hlr's too) that no session of the crowd
	# reaches on a busy machine: busy texts or releases would make the counts depend on its speed
	printf '[service]\ndomestic_mcc = 460, 001\nreply_deadline = 30s\nverify_validity = 0\n'
	printf '[admin]\nlisten = 127.0.0.1:%s\n' $ADMIN
	printf '[gsup]\nhost = 127.0.0.1\nport = %s\neuse_name = itinerary\nsession_timeout = 150s\n' $GSUP
} > "$run/itinerad.conf"
itin_daemon_start "$run/itinerad.conf" "$run/itinerad.log"
itin_euse_wait "$run/itinerad.log"
sh "$run/state.sh" "$ITIN_DAEMON_PID" "before" > /dev/null

rc=0
"$top_builddir/tests/ussd/gsup_msc" --port $GSUP crowd --imsi-base 001019000000000 --sessions $N \
	--answer 1 --window 500 --timeout 120 \
	--exec "sh $run/state.sh $ITIN_DAEMON_PID 'with $N sessions open'" \
	> "$run/crowd.out" 2> "$run/crowd.err" || rc=$?
{
	cat "$run/crowd.out"
	echo "gsup_msc crowd exit $rc"
	echo "# afterwards"
	sh "$run/state.sh" "$ITIN_DAEMON_PID" "after"
	"$top_builddir/tests/ussd/gsup_msc" --port $GSUP --timeout 10 \
		note "a normal query" \
		begin 460001000000001 1 '*#14#' expect continue 460001000000001 1 1 expect \
		continue 460001000000001 1 1 expect 2> "$run/msc.err" || echo "gsup_msc exit $?"
	if kill -0 "$ITIN_DAEMON_PID" 2> /dev/null; then echo "itinerad running"; else echo "itinerad DIED"; fi
	itin_daemon_stop
	echo "# audit: channel, intent, action, parts, requests"
	psql -XAtq -c "SELECT channel, intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
} > "$run/out"
sed 's/^/itinerad RSS /' "$run/rss.log" >&2
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$run/out" "$srcdir/tests/abuse/sessions.ok"
diff -u "$srcdir/tests/abuse/sessions.ok" "$run/out" || {
	cat "$run/crowd.err" "$run/msc.err"
	grep -a "NOTICE\|ERROR" "$run/itinerad.log" | tail -20
	grep -a "ERROR" "$run/hlr.log" | tail -20
	exit 1
}
