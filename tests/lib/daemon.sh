# Sourced by tests that run itinerad (after tests/lib/pg.sh and itin_pg_db). Helpers:
#   itin_test_db           migrate the test database and load the fixtures of tests/db and
#                          tests/sms (cells, events, long itinerary)
#   itin_sample_db DIR N   migrate it and load N subscribers of itinerad-sample (seed 8, 14
#                          days to the test time, MSISDN 8613800000000 + i; its files in DIR)
#   itin_daemon_conf F P   write a config for an SMSC on 127.0.0.1:P to F, the admin endpoint
#                          on 127.0.0.1:P+1000 (extra lines on stdin), verification codes off
#                          unless $ITIN_VERIFY_VALIDITY gives their validity
#   itin_daemon_start F L  start itinerad -c F, logging to L, at the fixed test time
#   itin_daemon_stop       SIGTERM and wait
#   itin_smsc_start P S O E  the npm smpp SMSC of tests/smsc/conversation.js (or of
#                          tests/smsc/$ITIN_SMSC_SCRIPT) on 127.0.0.1:P playing scenario S, its
#                          transcript to O and stderr to E, under timeout(1) when
#                          $ITIN_SMSC_TIMEOUT gives seconds; returns once it listens
#                          ($ITIN_SMSC_PID; wait for it to end the scenario)
#   itin_sms_test DB [CLEANUP]  the start-up of the tests that talk to itinerad through the npm
#                          smpp SMSC: database DB with the fixtures (itin_test_db), $WORK
#                          (exported; removed at exit unless ITIN_KEEP is set), itinerad
#                          stopped at exit, after the shell commands CLEANUP (another peer)
#   itin_e2e_test DB BASE  the start-up of the tests through the Osmocom network of
#                          sim/network.sh: database DB (empty), $run (removed at exit unless
#                          ITIN_KEEP is set) with the network started in it on the ports from
#                          BASE, its ports ($run/ports.env) read, $net; itinerad and the network
#                          stopped at exit
# and those of tests/lib/poll.sh (itin_poll N CMD..., itin_listens, itin_log_count, itin_metric).
# itinerad connects as itinerad_daemon and the itinerad-db steps load as itinerad_loader (see
# tests/lib/pg.sh), not as the owner. The daemon runs under faketime at 2026-11-20 12:00:00
# Asia/Shanghai (monotonic clocks are real), so replies, with their dates, are the same on every
# run. With ITIN_VALGRIND set (a command and its options, as contrib/check-valgrind.sh sets it),
# itinerad runs through it.
. "$top_srcdir/tests/lib/poll.sh"
ITIN_TEST_TIME='2026-11-20 04:00:00'
# The loads' clock (itinerad-db --at), which bounds the event times they accept: the end of the
# test day, since the fixtures hold events until 19:00 of it.
ITIN_TEST_LOAD_AT='2026-11-20T23:00:00+08:00'
ITIN_FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[ -n "$ITIN_FAKETIME_LIB" ] || { echo "libfaketime missing (Debian package faketime)"; exit 99; }

# itinerad-db STEP for each argument (a step and its arguments, split on blanks) against
# the test database, at the loads' clock; exits if one fails.
itin_db_steps() {
	conf=$(mktemp)
	printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests-8c1f4e7a92d035b6e0a9d4c71f28b3e5\n[service]\ndomestic_mcc = 460, 001\n' > "$conf"
	# tests/db/cells.csv and events.csv hold malformed lines on purpose (a quarter of them)
	printf '[feed]\nmax_refused_percent = 100\n' >> "$conf"
	for step in "$@"; do
		# shellcheck disable=SC2086
		ITINERAD_CONFIG=$conf "$top_builddir/itinerad-db" --at "$ITIN_TEST_LOAD_AT" $step \
			> /dev/null 2>&1 ||
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
		printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests-8c1f4e7a92d035b6e0a9d4c71f28b3e5\n'
		printf '[service]\ndomestic_mcc = 460, 001\nreply_deadline = 5s\n'
		# Codes are random: the golden outputs of the other tests have none (tests/verify/).
		printf 'verify_validity = %s\n' "${ITIN_VERIFY_VALIDITY:-0}"
		printf '[feed]\nmax_refused_percent = 100\n'	# the shared feeds' malformed lines
		printf '[smpp test-smsc]\nhost = 127.0.0.1\nport = %s\nsystem_id = itinerary\n' "$2"
		printf 'password = secret\nenquire_link = 30s\nresponse_timeout = 30s\n'
		# last: the lines on stdin may go on with [admin]
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

itin_smsc_start() {
	rm -f "$3.ready"
	# shellcheck disable=SC2086
	SMSC_READY="$3.ready" ${ITIN_SMSC_TIMEOUT:+timeout $ITIN_SMSC_TIMEOUT} \
		node "$top_srcdir/tests/smsc/${ITIN_SMSC_SCRIPT:-conversation.js}" "$1" "$2" > "$3" 2> "$4" &
	ITIN_SMSC_PID=$!
	itin_poll 100 test -f "$3.ready" || { echo "the SMSC on port $1 did not listen"; cat "$4"; exit 99; }
	rm -f "$3.ready"
}

itin_sms_test() {
	itin_pg_db "$1"
	command -v node > /dev/null || { echo "node missing"; exit 77; }
	WORK=$(mktemp -d)
	export WORK
	# shellcheck disable=SC2064
	trap "${2:+$2;} itin_daemon_stop; "'[ -n "${ITIN_KEEP:-}" ] || rm -rf "$WORK"; itin_pg_cleanup' EXIT
	itin_test_db
}

# The conversation of tests/sms/$1.scenario between the npm smpp SMSC on port $2 and itinerad
# (its admin endpoint on $3, default port + 1000; extra config lines on stdin), played to its
# end; itinerad still runs. The SMSC's transcript is $WORK/smsc.out. Not in a pipeline (a
# subshell would keep the daemon's pid from itin_daemon_stop): extra lines by redirection.
itin_sms_conversation() {	# scenario port [admin_port]
	itin_daemon_conf /dev/stdout "$2" |
		sed "s/^listen = .*/listen = 127.0.0.1:${3:-$(($2 + 1000))}/" > "$WORK/itinerad.conf"
	itin_smsc_start "$2" "$srcdir/tests/sms/$1.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
	itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
	wait $ITIN_SMSC_PID
}

# The audit rows as a set, with a header: channel, intent, action, parts, rows.
itin_audit_rows() {	# [header]
	echo "${1:-# audit: channel, intent, action, parts}"
	itin_pg_all "SELECT channel || '|' || intent || '|' || action || '|' || parts FROM audit" |
		sort | uniq -c | awk '{ print $2 "|" $1 }' | sort -t'|' -k1,1n -k2,2n -k3,3n -k4,4n
}

# The pending requests left, on every database of the layout.
itin_pending_count() {
	itin_pg_all "SELECT count(*) FROM request_pending" | awk '{ n += $1 } END { print n }'
}

# $WORK/out against the expected output $1 (relative to srcdir); ITIN_UPDATE_GOLDEN=1 rewrites
# it. On a difference, the end of itinerad's log.
itin_compare() {	# expected
	[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/$1"
	diff -u "$srcdir/$1" "$WORK/out" || { tail -40 "$WORK/itinerad.log"; exit 1; }
}

itin_e2e_test() {
	itin_pg_db "$1"
	net=$top_srcdir/sim/network.sh
	ITIN_SIM_BUILDDIR=$top_builddir
	ITIN_SIM_PORT_BASE=$2
	export ITIN_SIM_BUILDDIR ITIN_SIM_PORT_BASE
	run=$(mktemp -d)
	trap 'itin_daemon_stop; sh "$net" stop "$run"; [ -n "${ITIN_KEEP:-}" ] || rm -rf "$run"; itin_pg_cleanup' EXIT
	trap 'exit 1' INT TERM
	sh "$net" start "$run" || exit 99
	. "$run/ports.env"
}
