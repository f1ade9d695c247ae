#!/bin/sh
# Privacy, proven on what a run leaves behind (issue 8). itinerad answers the conversations of
# privacy.scenario (npm smpp SMSC on port 24016, admin endpoint 25016), including queries that
# name another number; then every MSISDN and IMSI of the fixtures and the scenario, in every
# written form (E.164, national, +E.164, IMSI), is looked for in a pg_dump of the database,
# in itinerad's log (at debug level) and in /metrics: none may appear. The audit table's columns
# carry no place; it holds one row per request. Malformed PDUs from the SMSC (issue 17) are
# logged with our own reason, never with libsmpp34's text of the fields it unpacked: those
# lines are part of the output. Compared with privacy.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/npm.sh"
itin_npm_ci > /dev/null 2>&1 || { echo "npm ci failed"; exit 77; }
itin_sms_test itin_privacy
port=24016
itin_daemon_conf "$WORK/itinerad.conf" $port < /dev/null
itin_smsc_start $port "$srcdir/tests/privacy/privacy.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
wait $ITIN_SMSC_PID
/usr/bin/python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
	http://127.0.0.1:25016/metrics > "$WORK/metrics" 2>&1
itin_daemon_stop
pg_dump --data-only --inserts "$PGDATABASE" > "$WORK/dump.sql" 2>&1

# Every identity the run saw: fixture columns 2 (IMSI) and 3 (MSISDN), scenario numbers.
{
	for f in "$top_srcdir/tests/db/events.csv" "$top_srcdir/tests/sms/events-long.csv"; do
		tail -n +2 "$f" | cut -d, -f2,3 | tr ',' '\n'
	done
	grep -o '861[0-9]\{10\}' "$srcdir/tests/privacy/privacy.scenario"
} | sort -u > "$WORK/identities"
{
	echo "# the conversations, as the SMSC saw them"
	cat "$WORK/smsc.out"
	echo "# identities looked for: $(wc -l < "$WORK/identities") numbers, each as written and,"
	echo "# for MSISDNs, also +E.164 and national (without 86)"
	for artefact in dump.sql itinerad.log metrics; do
		found=0
		while read -r id; do
			for form in "$id" "+$id" "${id#86}"; do
				[ ${#form} -ge 11 ] || continue
				grep -qF -- "$form" "$WORK/$artefact" && { echo "FOUND $form in $artefact"; found=$((found + 1)); }
			done
		done < "$WORK/identities"
		echo "$artefact: $(wc -l < "$WORK/$artefact") lines, $found identities found"
	done
	echo "# the unparsable PDUs, as logged"
	grep -a 'unparsable PDU\|closed: too many' "$WORK/itinerad.log" | sed 's/.* smpp\/smpp_link\.c:[0-9]* //'
	echo "# audit columns (no place among them)"
	psql -XAtq -c "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'audit'"
	echo "# audit rows: $(psql -XAtq -c 'SELECT count(*) FROM audit'), deliver_sm: $(grep -c '^deliver_sm' "$WORK/smsc.out")"
} > "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/privacy/privacy.ok"
diff -u "$srcdir/tests/privacy/privacy.ok" "$WORK/out"
