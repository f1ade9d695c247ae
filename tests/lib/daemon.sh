# Sourced by tests that run itinerad (after tests/lib/pg.sh and itin_pg_db). Helpers:
#   itin_test_db           migrate the test database and load the fixtures of tests/db and
#                          tests/sms (cells, events, long itinerary)
#   itin_sample_db DIR N   migrate it and load N subscribers of itinerad-sample (seed 8, 14
#                          days to the test time, MSISDN 8613800000000 + i; its files in DIR)
#   itin_daemon_conf F P   write a config for an SMSC on 127.0.0.1:P to F, the admin endpoint
#                          on 127.0.0.1:P+1000 (extra lines on stdin)
#   itin_daemon_start F L  start itinerad -c F, logging to L, at the fixed test time
#   itin_daemon_stop       SIGTERM and wait
# itinerad connects as itinerad_daemon and the itinerad-db steps load as itinerad_loader (see
# tests/lib/pg.sh), not as the owner. The daemon runs under faketime at 2026-11-20 12:00:00 Asia/Shanghai (monotonic clocks are
# real), so replies, with their dates, are the same on every run. With ITIN_VALGRIND set (a
# command and its options, as contrib/check-valgrind.sh sets it), itinerad runs through it.
ITIN_TEST_TIME='2026-11-20 04:00:00'
ITIN_FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[ -n "$ITIN_FAKETIME_LIB" ] || { echo "libfaketime missing (Debian package faketime)"; exit 99; }

# itinerad-db STEP for each argument (a step and its arguments, split on blanks) against
# the test database; exits if one fails.
itin_db_steps() {
	conf=$(mktemp)
	printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests\n[service]\ndomestic_mcc = 460, 001\n' > "$conf"
	for step in "$@"; do
		# shellcheck disable=SC2086
		ITINERAD_CONFIG=$conf "$top_builddir/itinerad-db" $step > /dev/null 2>&1 ||
			{ echo "itinerad-db $step failed"; rm -f "$conf"; exit 99; }
	done
	rm -f "$conf"
}

itin_test_db() {
	itin_db_steps "migrate" "load cells $top_srcdir/tests/db/cells.csv" \
		"load cells $top_srcdir/tests/sms/cells-long.csv" \
		"load events $top_srcdir/tests/db/events.csv" \
		"load events $top_srcdir/tests/sms/events-long.csv"
}

itin_sample_db() {
	"$top_builddir/itinerad-sample" --seed 8 --subscribers "$2" \
		--end "$(date -d "$ITIN_TEST_TIME UTC" +%s)" --cells "$1/cells.csv" \
		--events "$1/events.csv" > /dev/null 2>&1 || { echo "itinerad-sample failed"; exit 99; }
	itin_db_steps migrate "load cells $1/cells.csv" "load events $1/events.csv"
}

itin_daemon_conf() {
	{
		printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests\n'
		printf '[service]\ndomestic_mcc = 460, 001\nreply_deadline = 5s\n'
		printf '[smpp test-smsc]\nhost = 127.0.0.1\nport = %s\nsystem_id = itinerary\n' "$2"
		printf 'password = secret\nenquire_link = 30s\nresponse_timeout = 30s\n'
		printf '[admin]\nlisten = 127.0.0.1:%s\n' $(($2 + 1000))
		cat
	} > "$1"
}

# libfaketime is preloaded directly (not through the faketime wrapper, which stays the parent)
# so that $! is itinerad itself and signals reach it (valgrind too runs its tool in the same
# process).
itin_daemon_start() {
	# shellcheck disable=SC2086
	LD_PRELOAD=$ITIN_FAKETIME_LIB FAKETIME="@$ITIN_TEST_TIME" FAKETIME_DONT_FAKE_MONOTONIC=1 TZ=UTC \
		${ITIN_VALGRIND:-} "$top_builddir/itinerad" -c "$1" --debug > "$2" 2>&1 &
	ITIN_DAEMON_PID=$!
}

itin_daemon_stop() {
	[ -n "${ITIN_DAEMON_PID:-}" ] || return 0
	kill -TERM "$ITIN_DAEMON_PID" 2>/dev/null
	wait "$ITIN_DAEMON_PID" 2>/dev/null
	ITIN_DAEMON_PID=
}
