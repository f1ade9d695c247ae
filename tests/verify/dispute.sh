#!/bin/sh
# Disputes (issue 25) through the npm smpp SMSC (port 27420, admin endpoint 27421): the
# conversations of dispute.scenario (cases opened with a case number, the per-day limit), then
# `itinerad-db disputes` lists the open cases with the words and the itinerary as they were
# (a place loaded afterwards is not in it), closes one by its number, refuses an unknown one,
# lists again; the pg_dump holds none of the words, and a retention run past dispute_days
# leaves no case. Case numbers are random: shown as ######## (and the minutes and seconds of
# the times: the daemon's clock runs from the test time).
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_sms_test itin_verify_dispute
port=27420 admin=27421
conf=$WORK/db.conf
printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests-8c1f4e7a92d035b6e0a9d4c71f28b3e5\ndispute_days = 1\n[service]\ndomestic_mcc = 460, 001\n[feed]\nmax_refused_percent = 100\n' > "$conf"
itin_daemon_conf /dev/stdout $port <<CONF |
[service]
dispute_limit = 2
CONF
	sed "s/^listen = .*/listen = 127.0.0.1:$admin/" > "$WORK/itinerad.conf"
itin_smsc_start $port "$srcdir/tests/verify/dispute.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
wait $ITIN_SMSC_PID
itin_daemon_stop
mask() {
	grep -v '^  hex ' | sed -E -e 's/(案件号|case number |case )[0-9]{8}/\1########/g' \
		-e 's/opened 2026-11-20 04:[0-9]{2}:[0-9]{2}/opened 2026-11-20 04:##:##/'
}
# A place loaded after the dispute: the case keeps the itinerary as it was.
ITINERAD_CONFIG=$conf "$top_builddir/itinerad-db" --at "$ITIN_TEST_LOAD_AT" load events \
	"$top_srcdir/tests/sms/keys-after.csv" > /dev/null 2>&1 || { echo "load failed"; exit 99; }
db() {
	ITINERAD_CONFIG=$conf "$top_builddir/itinerad-db" "$@" 2>&1
	echo "exit $?"
}
first=$(grep -oE '案件号[0-9]{8}' "$WORK/smsc.out" | head -1 | grep -oE '[0-9]{8}')
{
	mask < "$WORK/smsc.out"
	itin_audit_rows		# every reply, the disputes' among them
	echo "# itinerad-db disputes"
	db disputes
	echo "# itinerad-db disputes close (the first case), an unknown case, a list again"
	db disputes close "$first"
	db disputes close 1
	db disputes
	echo "# in a pg_dump: the words, the places"
	pg_dump -a -t 'dispute*' | grep -c -e '北京' -e 'Beijing' -e 'again'
	echo "# after retention past dispute_days: rows of cases in a pg_dump"
	ITINERAD_CONFIG=$conf "$top_builddir/itinerad-db" --at '2026-11-23T12:00:00+08:00' retention \
		> /dev/null 2>&1 || echo "retention failed"
	pg_dump -a -t 'dispute*' | awk '/^COPY /{c=1; next} /^\\\.$/{c=0; next} c' | wc -l
} | mask > "$WORK/out"
itin_compare tests/verify/dispute.ok
