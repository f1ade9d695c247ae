#!/bin/sh
# Verification codes (issue 25) through the npm smpp SMSC (port 27400, admin endpoint 27401):
# the conversations of verify.scenario - a holder's reply carries a code, checkers get what it
# was shown (also after places were loaded for the holder), mistyped, guessed and voided codes
# are refused, 1,000 guesses from one number and from 100 numbers are stopped by
# verify_checker_limit and verify_max_failures (its metric) - then, with the clock a day and an
# hour later, phase2.scenario: the last code has expired; a retention run two days later leaves
# nothing of a code in a pg_dump. The codes are random: the transcript shows them as #########
# (and without the hex lines, which hold them too).
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_sms_test itin_verify
port=27400 admin=27401
conf=$WORK/db.conf
printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests-8c1f4e7a92d035b6e0a9d4c71f28b3e5\n[service]\ndomestic_mcc = 460, 001\n[feed]\nmax_refused_percent = 100\n' > "$conf"
cat > "$WORK/load-later.sh" <<SH
ITINERAD_CONFIG=$conf "$top_builddir/itinerad-db" --at "$ITIN_TEST_LOAD_AT" load events "$top_srcdir/tests/sms/keys-after.csv" > /dev/null 2>&1
SH
# The daemon's clock runs from the test time: the issue times' minutes vary.
mask() {
	grep -v '^  hex ' | sed -E -e 's/(Code |验证码|YZ |验证 |VERIFY )[0-9]{9}/\1#########/g' \
		-e 's/(验证码有效。11\.20 12:)[0-9]{2}/\1##/g'
}
ITIN_VERIFY_VALIDITY=24h itin_daemon_conf /dev/stdout $port <<CONF |
[service]
verify_checker_limit = 5/1d
verify_max_failures = 50/1h
max_replies = off
CONF
	sed "s/^listen = .*/listen = 127.0.0.1:$admin/" > "$WORK/itinerad.conf"
itin_smsc_start $port "$srcdir/tests/verify/verify.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
wait $ITIN_SMSC_PID
metrics() {
	curl -s "http://127.0.0.1:$admin/metrics" | grep -E '^itinerad_verify_[a-z_]+ ' | sort
}
{
	mask < "$WORK/smsc.out"
	echo "# metrics"
	metrics
} > "$WORK/out"
code=$(grep -oE '(Code |验证码)[0-9]{9}' "$WORK/smsc.out" | tail -1 | grep -oE '[0-9]{9}')
itin_daemon_stop
{
	echo "# stored: codes, checks audited (valid, invalid, limited)"
	psql -XAtq -c "SELECT count(*) FROM verify_code"
	psql -XAtq -c "SELECT outcome, count(*), count(holder) FROM verify_audit GROUP BY 1 ORDER BY 1"
	echo "# nothing in clear: the code, the places in the stored rows"
	pg_dump -a -t 'verify_*' | grep -c -e "$code" -e '北京' -e 'Beijing'
} >> "$WORK/out"

# A day and an hour later the last code has expired.
ITIN_TEST_TIME='2026-11-21 05:00:00'
SMSC_CODE=$code
export SMSC_CODE
itin_smsc_start $port "$srcdir/tests/verify/phase2.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
wait $ITIN_SMSC_PID
itin_daemon_stop
mask < "$WORK/smsc.out" >> "$WORK/out"
itin_audit_rows >> "$WORK/out"	# every reply, the checks' and voids' among them

# Retention two days after the codes expired (a day's partition goes the day after it ends):
# no code left in a pg_dump.
ITINERAD_CONFIG=$conf "$top_builddir/itinerad-db" --at '2026-11-23T12:00:00+08:00' retention \
	> /dev/null 2>&1 || { echo "retention failed"; exit 1; }
{
	echo "# after retention: rows of codes in a pg_dump"
	pg_dump -a -t 'verify_code*' | awk '/^COPY /{c=1; next} /^\\\.$/{c=0; next} c' | wc -l
} >> "$WORK/out"
itin_compare tests/verify/verify.ok
