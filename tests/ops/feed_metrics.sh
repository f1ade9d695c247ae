#!/bin/sh
# The feeds' last loads on /metrics (issue 22, SPEC section 4's metric of events in unknown
# cells): itinerad-db load records each load's counts (migration 155) and the daemon serves
# them per feed, with the refused lines by the loader's reason; a feed never loaded is at 0.
# The loads here: tests/db/cells.csv (3 of 12 refused, 1 an unknown region) and
# tests/db/events.csv (6 of 21 refused, 3 in unknown cells); risk never. No SMSC listens
# (port 26700); the admin endpoint on 26701. The transcript must equal feed_metrics.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_pg_db itin_feed_metrics
WORK=$(mktemp -d)
export WORK
trap 'itin_daemon_stop; [ -n "${ITIN_KEEP:-}" ] || rm -rf "$WORK"; itin_pg_cleanup' EXIT
itin_db_steps migrate "load cells $top_srcdir/tests/db/cells.csv" "load events $top_srcdir/tests/db/events.csv"
port=26700
admin=http://127.0.0.1:$((port + 1))
itin_daemon_conf "$WORK/itinerad.conf" $port < /dev/null
sed -i "s/^listen = .*/listen = 127.0.0.1:$((port + 1))/" "$WORK/itinerad.conf"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"

feed_metrics() {
	/usr/bin/python3 -c 'import sys, urllib.request
for l in urllib.request.urlopen(sys.argv[1], timeout=5).read().decode().splitlines():
    if l.startswith("itinerad_feed_last_load"): print(l)' $admin/metrics 2>/dev/null
}
loaded() {
	feed_metrics | grep -q '^itinerad_feed_last_load_timestamp_seconds{feed="events"} [1-9]'
}
itin_poll 100 loaded || { echo "no load on /metrics"; feed_metrics; tail -20 "$WORK/itinerad.log"; exit 1; }
# the loads' times are the database's clock: only whether they are set is shown
feed_metrics | sed 's/^\(itinerad_feed_last_load_timestamp_seconds{.*}\) [1-9][0-9]*$/\1 SET/' \
	> "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/ops/feed_metrics.ok"
diff -u "$srcdir/tests/ops/feed_metrics.ok" "$WORK/out" || { tail -30 "$WORK/itinerad.log"; exit 1; }
