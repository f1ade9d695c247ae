#!/bin/sh
# The admin endpoint attacked (issue 17, finding 11; SMSC port 24140, admin 25140): itinerad
# runs with a soft descriptor limit of 128 and [admin] max_connections = 16. A request whose
# headers never end (32 MB of them) is refused at 8 KB and the daemon's memory does not grow;
# one whose headers come a line a second is closed at request_timeout (3 s); then 200
# slowloris connections (more than the descriptor limit) stay open while /healthz and /readyz
# answer, the SMSC drops the link, itinerad binds again and subscribers get their replies.
# The SMSC's transcript and the checks are compared with tests/abuse/admin.ok. About 30 s.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/npm.sh"
itin_npm_ci > /dev/null 2>&1 || { echo "npm ci failed"; exit 77; }
itin_sms_test itin_abuse_admin '[ -f "$WORK/slow.pid" ] && kill "$(cat "$WORK/slow.pid")" 2>/dev/null'
port=24140
ATTACK="$top_srcdir/tests/abuse/admin_attack.py" ADMIN_PORT=$((port + 1000))
export ATTACK ADMIN_PORT

printf 'max_connections = 16\nrequest_timeout = 3s\n' | itin_daemon_conf "$WORK/itinerad.conf" $port
ITIN_SMSC_TIMEOUT=50 itin_smsc_start $port "$srcdir/tests/abuse/admin.scenario" "$WORK/smsc.out" \
	"$WORK/smsc.err"
hard=$(ulimit -Hn)
ulimit -Sn 128
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
ulimit -Sn "$hard"
echo "$ITIN_DAEMON_PID" > "$WORK/itinerad.pid"
wait $ITIN_SMSC_PID || echo "the SMSC's scenario did not finish (status $?)" >> "$WORK/smsc.out"
echo "# log lines about descriptors: $(grep -c 'Too many open files' "$WORK/itinerad.log")" \
	>> "$WORK/smsc.out"
itin_daemon_stop
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/smsc.out" "$srcdir/tests/abuse/admin.ok"
diff -u "$srcdir/tests/abuse/admin.ok" "$WORK/smsc.out" || { tail -40 "$WORK/itinerad.log"; exit 1; }
