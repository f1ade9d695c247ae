#!/bin/sh
# osmo-hlr killed and restarted under USSD load (issue 8). A real osmo-hlr (GSUP
# 127.0.0.1:24960, VTY 24961, CTRL 24962, moved there by sim/itinerad-port-shim.so) with
# itinerad as its external USSD entity (admin endpoint 25960, consent off, session timeout
# 2 s) and 4,000 sample subscribers' 14 days loaded; tests/ussd/gsup_msc's load mode plays the
# MSC, 40 *#14# sessions/s from distinct subscribers for 20 s. Once itinerad has answered 7 s
# worth of them (280), osmo-hlr is killed with SIGKILL, and started again once itinerad has seen
# its GSUP link go down; the sessions open then are lost with it (the MSC's link to it drops
# too), which is what the subscriber would see of a crashed HLR. Then a second load of 5 s,
# whose subscribers (the first 5 s worth) are not those of the lost sessions. /metrics is
# scraped all along.
# Checked (hlr.ok): itinerad identifies again to the new osmo-hlr; after that every session is
# answered; itinerad keeps no session and no request of the lost ones (after the session
# timeout), nothing stays pending, its queues stay bounded, and it still runs. The counts of
# the loaded run vary with timing and go to the log only.
# Under valgrind (ITIN_VALGRIND, contrib/check-valgrind.sh) the offered rate is 10/s.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_faults_hlr
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/hlr.sh"
GSUP=24960 VTY=24961 CTRL=24962 ADMIN=25960
rate=40
[ -z "${ITIN_VALGRIND:-}" ] || rate=10
loaded=4000
WORK=$(mktemp -d /tmp/itin-faults-hlr.XXXXXX)
chmod 755 "$WORK"
cleanup() {
	[ -f "$WORK/scrape.pid" ] && kill "$(cat "$WORK/scrape.pid")" 2> /dev/null
	itin_daemon_stop
	[ -f "$WORK/hlr.pid" ] && kill "$(cat "$WORK/hlr.pid")" 2> /dev/null
	if [ -n "${ITIN_KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
	itin_pg_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

itin_sample_db "$WORK" $loaded

itin_hlr_conf "$WORK" $VTY
hlr_start() { itin_hlr_start "$WORK" $GSUP $VTY $CTRL; }
identified() { grep -c 'identified as EUSE-itinerary' "$WORK/itinerad.log"; }
metric() {	# NAME: its value now (summed over labels)
	itin_metric "http://127.0.0.1:$ADMIN/metrics" "$1"
}
metric_at_least() {	# NAME N: its value is N or more
	[ -n "$(metric "$1" | awk -v n="$2" '$1 >= n')" ]
}
metric_is() {	# NAME VALUE
	[ "$(metric "$1")" = "$2" ]
}

{
	printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests-8c1f4e7a92d035b6e0a9d4c71f28b3e5\n'
	printf '[service]\ndomestic_mcc = 460, 001\nreply_deadline = 2s\nconsent = off\n'
	printf '[admin]\nlisten = 127.0.0.1:%s\n' $ADMIN
	printf '[gsup]\nhost = 127.0.0.1\nport = %s\neuse_name = itinerary\nsession_timeout = 2s\n' $GSUP
} > "$WORK/itinerad.conf"
hlr_start
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
itin_euse_wait "$WORK/itinerad.log" 1
# /metrics four times a second: requests in flight, USSD sessions, database statements in flight
/usr/bin/python3 "$top_srcdir/tests/lib/scrape_metrics.py" "http://127.0.0.1:$ADMIN/metrics" \
	"$WORK/metrics" itinerad_requests_in_flight itinerad_ussd_sessions itinerad_db_queries_in_flight &
echo $! > "$WORK/scrape.pid"

load() {	# SECONDS OUTPUT
	"$top_builddir/tests/ussd/gsup_msc" --port $GSUP load \
		--imsi-base 001010000000000 --subscribers $loaded --duration "$1" --rate $rate > "$2" 2>&1
}
load 20 "$WORK/load-1" &
loading=$!
itin_poll 300 metric_at_least itinerad_replies_total $((rate * 7)) ||
	{ echo "no USSD session answered under load"; tail "$WORK/itinerad.log"; exit 1; }
kill -9 "$(cat "$WORK/hlr.pid")"
itin_poll 150 metric_is itinerad_gsup_link_up 0 ||
	{ echo "itinerad did not see osmo-hlr go"; tail "$WORK/itinerad.log"; exit 1; }
hlr_start
itin_euse_wait "$WORK/itinerad.log" 2
wait $loading
load 5 "$WORK/load-2"
# the session timeout (2 s) ends what the lost sessions left open; the output says if it did not
itin_poll 100 metric_is itinerad_ussd_sessions 0
itin_poll 50 metric_is itinerad_requests_in_flight 0
field() {	# NAME FILE: the number after NAME in gsup_msc's line
	awk -v name="$1" '{ for (i = 1; i < NF; i++) if ($i == name) print $(i + 1) }' "$2"
}
{
	echo "osmo-hlr killed and restarted during the load: itinerad identified again: $(
		[ "$(identified)" = 2 ] && echo yes || echo no)"
	echo "after it, every session answered: $([ "$(field completed "$WORK/load-2")" -gt 0 ] &&
		[ "$(field errors "$WORK/load-2")" = 0 ] &&
		[ "$(field unanswered "$WORK/load-2")" = 0 ] && echo yes || echo no)"
	echo "USSD sessions open in itinerad: $(metric itinerad_ussd_sessions)"
	echo "requests in flight: $(metric itinerad_requests_in_flight)"
	echo "queues bounded: $(awk 'NF == 4 { n++; if ($2 > 1000 || $3 > 1000 || $4 > 4096) bad = 1 }
		END { print (n >= 40 && !bad) ? "yes" : "no" }' "$WORK/metrics")"
	if kill -0 "$ITIN_DAEMON_PID" 2> /dev/null; then echo "itinerad running"; else echo "itinerad DIED"; fi
	itin_daemon_stop
	echo "pending after a clean stop: $(psql -XAtq -c 'SELECT count(*) FROM request_pending')"
} > "$WORK/out"
kill "$(cat "$WORK/scrape.pid")"
rm -f "$WORK/scrape.pid"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/faults/hlr.ok"
echo "offered $rate sessions/s; loaded run, then the run after:"
cat "$WORK/load-1" "$WORK/load-2"
awk 'NF == 4 { for (i = 2; i <= 4; i++) if ($i > m[i - 1]) m[i - 1] = $i }
	END { printf "maxima: requests in flight %d, USSD sessions %d, database statements %d\n",
		m[1], m[2], m[3] }' "$WORK/metrics"
diff -u "$srcdir/tests/faults/hlr.ok" "$WORK/out" || {
	grep -a 'NOTICE\|ERROR' "$WORK/itinerad.log" | tail -30
	exit 1
}
