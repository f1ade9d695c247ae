# Shared by the SMPP link tests: runs tests/smsc/smsc.js with the test's scenario (NAME.scenario)
# and smpp_echo against it, then compares both outputs with NAME.ok.
#   smpp_case NAME PORT N [smpp_echo options]
# (NAME.scenario and NAME.ok in tests/smpp, or in $SMPP_DIR when set.)
# smpp_echo unbinds after N submits (0: never); if it is still running once the scenario
# ended, it gets SIGTERM. Set SMPP_UPDATE=1 to rewrite the golden file instead. With
# ITIN_VALGRIND set (contrib/check-valgrind.sh), smpp_echo runs through it.
. "$top_srcdir/tests/lib/npm.sh"
. "$top_srcdir/tests/lib/poll.sh"
smsc_ready_or_gone() { [ -f "$SMSC_READY" ] || ! kill -0 $smsc_pid 2> /dev/null; }
esme_gone() { ! kill -0 $esme_pid 2> /dev/null; }
smpp_case() {
	name=$1 port=$2 n=$3
	shift 3
	dir=${SMPP_DIR:-$top_srcdir/tests/smpp}
	itin_npm_ci > /dev/null 2>&1 || { echo "npm ci failed"; return 77; }
	tmp=$(mktemp -d) || return 99
	ESME_PIDFILE="$tmp/esme.pid" SMSC_READY="$tmp/ready"
	export ESME_PIDFILE SMSC_READY
	node "$top_srcdir/tests/smsc/smsc.js" "$port" "$dir/$name.scenario" > "$tmp/smsc" 2> "$tmp/smsc.err" &
	smsc_pid=$!
	itin_poll 100 smsc_ready_or_gone
	if [ ! -f "$SMSC_READY" ]; then
		echo "smsc.js did not listen on 127.0.0.1:$port"
		cat "$tmp/smsc.err"
		kill $smsc_pid 2>/dev/null
		rm -rf "$tmp"
		return 1
	fi
	# shellcheck disable=SC2086
	${ITIN_VALGRIND:-} "$top_builddir/tests/smpp/smpp_echo" "$@" "$port" "$n" > "$tmp/esme" \
		2> "$tmp/esme.err" &
	esme_pid=$!
	echo $esme_pid > "$ESME_PIDFILE"
	wait $smsc_pid
	smsc_rc=$?
	itin_poll 30 esme_gone
	kill -TERM $esme_pid 2>/dev/null
	wait $esme_pid
	esme_rc=$?
	{
		cat "$tmp/smsc"
		echo "--- smpp_echo (exit $esme_rc)"
		cat "$tmp/esme"
	} > "$tmp/all"
	if [ -n "$SMPP_UPDATE" ]; then
		cp "$tmp/all" "$dir/$name.ok"
	fi
	if [ $smsc_rc -ne 0 ] || ! diff -u "$dir/$name.ok" "$tmp/all"; then
		echo "smsc.js exit $smsc_rc; smpp_echo's log:"
		cat "$tmp/esme.err" "$tmp/smsc.err"
		rm -rf "$tmp"
		return 1
	fi
	rm -rf "$tmp"
	return 0
}
