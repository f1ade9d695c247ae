#!/bin/sh
# Abuse on one of two SMPP links (issue 8): itinerad bound to two SMSCs of tests/smsc/smsc.js,
# a on port 24902 (admin 25902) and b on 24903. Link b has the wrong password: each bind is
# refused, logged once, closed, and tried again after the backoff. Meanwhile SMSC a sends a
# query, a 65,536-octet deliver_sm of 16,370 TLVs (refused before libsmpp34 sees it) and a
# command_length of 70,000 (generic_nack, closed, bound again), then the consent answer: link
# a keeps working throughout. Both SMSCs' PDU logs, what itinerad logged about each (counted),
# that it still runs with a bounded RSS, and the audit are compared with links.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/npm.sh"
itin_npm_ci > /dev/null 2>&1 || { echo "npm ci failed"; exit 77; }
itin_sms_test itin_abuse_links

itin_daemon_conf "$WORK/itinerad.conf" 24902 <<CONF
[smpp b]
host = 127.0.0.1
port = 24903
system_id = itinerary
password = wrong
CONF
for smsc in a:24902 b:24903; do
	ITIN_SMSC_SCRIPT=smsc.js itin_smsc_start "${smsc#*:}" \
		"$srcdir/tests/abuse/links-${smsc%:*}.scenario" "$WORK/smsc-${smsc%:*}.out" \
		"$WORK/smsc-${smsc%:*}.err"
	echo $ITIN_SMSC_PID >> "$WORK/smsc.pids"
done
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
rc=0
for pid in $(cat "$WORK/smsc.pids"); do wait "$pid" || rc=$?; done
count() { echo "$(grep -c "$1" "$WORK/itinerad.log") x $1"; }
{
	echo "# SMSC a (port 24902)"
	cat "$WORK/smsc-a.out"
	echo "# SMSC b (port 24903)"
	cat "$WORK/smsc-b.out"
	echo "# SMSCs exit $rc"
	if kill -0 "$ITIN_DAEMON_PID" 2> /dev/null; then echo "itinerad running"; else echo "itinerad DIED"; fi
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$ITIN_DAEMON_PID/status" 2> /dev/null)
	echo "itinerad's RSS ${rss:-?} kB" >&2
	[ "${rss:-999999}" -lt 131072 ] && echo "itinerad's RSS under 128 MiB"
	itin_daemon_stop
	echo "# what itinerad logged"
	count "smpp b: closed: bind refused with status 0x0e"
	count "smpp b: bound"
	count "smpp test-smsc: unparsable PDU 0x00000005, sequence 80, 65536 octets: more than 16 TLVs"
	count "smpp test-smsc: closed: garbage from the SMSC (command_length 70000)"
	count "smpp test-smsc: bound as itinerary"
	echo "# audit: intent, action, parts, requests"
	psql -XAtq -c "SELECT intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
} > "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/abuse/links.ok"
diff -u "$srcdir/tests/abuse/links.ok" "$WORK/out" || {
	cat "$WORK/smsc-a.err" "$WORK/smsc-b.err"
	grep -a "NOTICE\|ERROR" "$WORK/itinerad.log" | tail -20
	exit 1
}
