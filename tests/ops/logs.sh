#!/bin/sh
# Logs and systemd (issue 22), with itinerad started as systemd would start it: stderr the
# journal's stream ($JOURNAL_STREAM), a notification socket ($NOTIFY_SOCKET, a unix datagram
# socket of this test standing in for systemd's) and a watchdog ($WATCHDOG_USEC). Each line
# carries its syslog priority (<5> notice, <3> error); GET and POST /log read and change the
# levels per category (a line of a category set to error is not written, then is again);
# READY=1, WATCHDOG=1 and STOPPING=1 arrive. And the embedded cluster's log rotation as
# sql/pgcluster.sh sets it. /metrics at the start: every family has its series at zero, and
# the manual's table lists them all, the USSD ones only with USSD on; the retention run before
# the start is in them. No SMSC listens (port 26510); the admin endpoint on 26511.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_pg_db itin_logs
WORK=$(mktemp -d)
export WORK
trap 'itin_daemon_stop; [ -n "${notify_pid:-}" ] && kill "$notify_pid"; [ -n "${ITIN_KEEP:-}" ] || rm -rf "$WORK"; itin_pg_cleanup' EXIT
itin_db_steps migrate retention
port=26510
admin=http://127.0.0.1:$((port + 1))
itin_daemon_conf "$WORK/itinerad.conf" $port < /dev/null
sed -i "s/^listen = .*/listen = 127.0.0.1:$((port + 1))/" "$WORK/itinerad.conf"
cp "$WORK/itinerad.conf" "$WORK/good.conf"

cat > "$WORK/notify.py" <<'PY'
# systemd's notification socket: each datagram, one line per assignment, to stdout.
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".ready", "w").close()
while True:
    print(s.recv(4096).decode().strip(), flush=True)
PY
cat > "$WORK/admin_http.py" <<'PY'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[2], method=sys.argv[1], data=b"" if sys.argv[1] == "POST" else None)
try:
    with urllib.request.urlopen(req, timeout=5) as r:
        print(r.status, r.read().decode(), end="")
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode(), end="")
PY
http() { echo "# $1 ${2#$admin}"; /usr/bin/python3 "$WORK/admin_http.py" "$1" "$2"; }
metric() {	# NAME: its value in /metrics now
	/usr/bin/python3 -c 'import sys, urllib.request
for l in urllib.request.urlopen(sys.argv[1], timeout=5).read().decode().splitlines():
    if l.split(" ")[0] == sys.argv[2]: print(l.split(" ")[1])' $admin/metrics "$1"
}

/usr/bin/python3 "$WORK/notify.py" "$WORK/notify" > "$WORK/notify.out" &
notify_pid=$!
itin_poll 100 test -f "$WORK/notify.ready" || { echo "no notification socket"; exit 99; }
: > "$WORK/itinerad.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$WORK/itinerad.log") NOTIFY_SOCKET=$WORK/notify \
	WATCHDOG_USEC=200000 ${ITIN_VALGRIND:-} "$top_builddir/itinerad" -c "$WORK/itinerad.conf" \
	> /dev/null 2>> "$WORK/itinerad.log" &
ITIN_DAEMON_PID=$!
itin_poll 100 grep -q '^WATCHDOG=1' "$WORK/notify.out" || { echo "no watchdog ping"; cat "$WORK/itinerad.log"; exit 1; }

{
	echo "# /metrics at the start against the metric table of doc/manual/operator.md (USSD off)"
	/usr/bin/python3 "$srcdir/tests/ops/metrics_table.py" $admin/metrics \
		"$top_srcdir/doc/manual/operator.md"
	# read once the database is up
	itin_poll 100 eval '[ "$(metric itinerad_retention_timestamp_seconds)" != 0 ]' || exit 1
	echo "# the retention run before the start (itinerad-db retention --at $ITIN_TEST_LOAD_AT)"
	echo "first day kept: $(TZ=Asia/Shanghai date -d @"$(metric itinerad_retention_kept_from_timestamp_seconds)" '+%F %T %z')"
	# the pool's first connections are no reconnects
	itin_poll 100 eval '[ "$(metric itinerad_db_connections_up)" = 2 ]' || exit 1
	echo "database connections up: 2, reconnects: $(metric itinerad_db_reconnects_total)"
	http GET $admin/log
	http POST "$admin/log?DMAIN=error&dreq=debug"
	http POST "$admin/log?DNOTHING=debug"
	http POST "$admin/log?DMAIN=loud"
	http POST $admin/log
	http POST $admin/metrics
} > "$WORK/out"
# An error of DMAIN is written (a reload of a bad config), notices are not (the POST's own);
# after the next POST they are again.
printf '[service]\nwindow_days = 0\n' >> "$WORK/itinerad.conf"
kill -HUP "$ITIN_DAEMON_PID"
itin_poll 100 grep -q 'config not reloaded' "$WORK/itinerad.log" || exit 1
http POST "$admin/log?all=notice" >> "$WORK/out"
itin_poll 100 grep -q 'level of all set to notice' "$WORK/itinerad.log" || exit 1
itin_daemon_stop
kill "$notify_pid"
notify_pid=

{
	echo "# the journal's lines of DMAIN"
	grep '^<[0-9]>DMAIN' "$WORK/itinerad.log" |
		sed "s| [a-z_/]*\.c:[0-9]* | |; s|itinerad [0-9.]* started|itinerad VERSION started|; s|$WORK/||"
	echo "# lines without a priority: $(grep -vc '^<[0-9]>' "$WORK/itinerad.log")"
	echo "# notifications (each once)"
	awk '!seen[$0]++' "$WORK/notify.out"
	echo "# the embedded cluster's logs (sql/pgcluster.sh)"
	psql -XAtq -c "SELECT name, setting FROM pg_settings WHERE name IN ('logging_collector',
		'log_filename', 'log_rotation_age', 'log_rotation_size', 'log_truncate_on_rotation')
		ORDER BY name"
	ls "$PGHOST/log" | sed 's/^postgres-\(Mon\|Tue\|Wed\|Thu\|Fri\|Sat\|Sun\)\.log$/postgres-DAY.log/'
} >> "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/ops/logs.ok"
diff -u "$srcdir/tests/ops/logs.ok" "$WORK/out" || { tail -30 "$WORK/itinerad.log"; exit 1; }
