#!/bin/sh
# In-doubt commits answered without a restart (issue 20): itinerad reaches PostgreSQL through
# tests/ha/cut_proxy.py (127.0.0.1:27120), which, once armed, lets a recording ("begin")
# through, drops the server's answer sent after its commit, and closes the connection: the
# request is recorded, and itinerad cannot know it. It answers the busy text at once (not
# recorded, as far as it knows); once its pool has reconnected, the sweep finds the pending
# row that nothing in the process answers and answers it: the itinerary follows, exactly
# once, and nothing is left pending, without a restart. The conversation of
# in-doubt.scenario (npm smpp SMSC on port 27121, admin endpoint on 27122).
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
proxy=27120
port=27121
admin=27122
stop_proxy() { [ -n "${PROXY_PID:-}" ] && kill "$PROXY_PID" 2> /dev/null; true; }
itin_sms_test itin_ha_in_doubt stop_proxy
/usr/bin/python3 "$srcdir/tests/ha/cut_proxy.py" $proxy "$PGHOST/.s.PGSQL.5432" "$WORK/cut" &
PROXY_PID=$!
itin_poll 100 itin_listens $proxy || { echo "the proxy did not listen"; exit 99; }
# the daemon's connections only go through the proxy
ITINERAD_CONNINFO="host=127.0.0.1 port=$proxy user=postgres dbname=$PGDATABASE"
itin_daemon_conf /dev/stdout $port <<EXTRA | sed "s/^listen = .*/listen = 127.0.0.1:$admin/" \
	> "$WORK/itinerad.conf"
[service]
consent = off
EXTRA
itin_smsc_start $port "$srcdir/tests/ha/in-doubt.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
wait $ITIN_SMSC_PID || { cat "$WORK/smsc.err"; grep -a 'NOTICE\|ERROR' "$WORK/itinerad.log"; exit 1; }
itin_daemon_stop
{
	cat "$WORK/smsc.out"
	echo "# the commit's answer lost: $([ -f "$WORK/cut" ] && echo no || echo yes)"
	echo "# answered by the sweep: $(grep -ac 'that nothing else answers' "$WORK/itinerad.log")"
	itin_audit_rows
	echo "# pending after a clean stop: $(psql -XAtq -c 'SELECT count(*) FROM request_pending')"
} > "$WORK/out"
itin_compare tests/ha/in_doubt.ok
