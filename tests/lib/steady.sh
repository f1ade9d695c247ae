# Sourced by the tests that put itinerad under a steady SMS load from the npm smpp SMSC
# (tests/smsc/steady.js: RATE deliver_sm a second from distinct subscribers for SECS seconds,
# each delivered again 1 s after a temporary error, as an SMSC does) and check that every
# subscriber was answered exactly once. They source tests/lib/daemon.sh first and set WORK
# (itin_steady_test does, for a test on one database);
# steady.js's own variables (SMSC_MARK, SMSC_SENT) pass through the environment.

# itin_steady_test DATABASE: how a test on one database (tests/lib/pg.sh) begins: skipped
# without node or the npm smpp package, DATABASE made, WORK made, the cleanup trap set, and
# sql/sql_is for one-line queries.
itin_steady_test() {
	command -v node > /dev/null || { echo "node missing"; exit 77; }
	. "$top_srcdir/tests/lib/npm.sh"
	itin_npm_ci > /dev/null 2>&1 || { echo "npm ci failed"; exit 77; }
	itin_pg_db "$1"
	WORK=$(mktemp -d /tmp/itin-steady.XXXXXX)
	trap itin_steady_cleanup EXIT
	trap 'exit 1' INT TERM
	sql() { psql -XAtq -c "$1"; }
	sql_is() { [ "$(sql "$1")" = "$2" ]; }
}

# itin_steady_run SMSC ADMIN LEASE DEADLINE RATE SECS FIRST: after itin_steady_test, the
# sample data of RATE x SECS subscribers from FIRST, itinerad's config ($WORK/itinerad.conf,
# itin_steady_conf), the SMSC offering RATE deliver_sm a second for SECS seconds on port SMSC,
# and itinerad bound to it (its log $WORK/itinerad.log).
itin_steady_run() {
	itin_sample_db "$WORK" $(($5 * $6))
	itin_steady_conf "$1" "$2" "$3" "$4" > "$WORK/itinerad.conf"
	itin_steady_start "$1" "$5" "$6" "$7"
	itin_steady_bound "$WORK/itinerad.conf" "$WORK/itinerad.log"
}

# itin_steady_start PORT RATE SECS FIRST: the SMSC listening on PORT (pid in $WORK/smsc.pid;
# what it saw in $WORK/smsc.out and smsc.err, its figures in $WORK/figures).
itin_steady_start() {
	rm -f "$WORK/smsc.ready"
	SMSC_READY="$WORK/smsc.ready" node "$top_srcdir/tests/smsc/steady.js" "$1" "$2" "$3" "$4" \
		200 CXMYD "$WORK/figures" > "$WORK/smsc.out" 2> "$WORK/smsc.err" &
	echo $! > "$WORK/smsc.pid"
	itin_poll 100 test -f "$WORK/smsc.ready" || { echo "the SMSC did not listen"; exit 99; }
}

# itin_steady_bound CONF LOG: itinerad started with CONF, logging to LOG, and bound to the SMSC.
itin_steady_bound() {
	itin_daemon_start "$1" "$2"
	itin_poll 300 grep -q '^bound' "$WORK/smsc.out" ||
		{ echo "itinerad did not bind"; tail "$2"; exit 1; }
}

# itin_steady_end: waits for the SMSC's end (its load sent, every reply counted).
itin_steady_end() {
	wait "$(cat "$WORK/smsc.pid")"
	rm -f "$WORK/smsc.pid"
}

# itin_steady_audit SUBSCRIBERS [CONNINFO]: one line on the audit against the SMSC's figures,
# "audit rows: one per reply, every subscriber" when it holds one row per reply the SMSC counted
# and every one of SUBSCRIBERS among them (psql to CONNINFO, else as the environment says).
itin_steady_audit() {
	replies=$(sed 's/.*"replies":\([0-9]*\).*/\1/' "$WORK/figures")
	psql -XAtq ${2:+-d "$2"} -c "SELECT 'audit rows: ' || CASE count(*) WHEN $replies THEN 'one per reply'
		ELSE count(*) || ' for $replies replies' END || ', ' || CASE count(DISTINCT key)
		WHEN $1 THEN 'every subscriber' ELSE count(DISTINCT key) || ' subscribers' END
		FROM audit WHERE action <> 0"
}

# itin_steady_conf SMSC ADMIN LEASE DEADLINE: itinerad's config for the tests on one database
# (tests/lib/pg.sh): bound to the SMSC on port SMSC, admin endpoint on ADMIN, [instance] lease
# LEASE, reply_deadline DEADLINE, no consent prompt, no reply cap.
itin_steady_conf() {
	itin_daemon_conf /dev/stdout "$1" <<EXTRA | sed "s/^listen = .*/listen = 127.0.0.1:$2/;
		s/^reply_deadline = .*/reply_deadline = $4/"
[service]
consent = off
max_replies = off
[instance]
lease = $3
EXTRA
}

# itin_steady_cleanup: the trap of those tests: every process of a $WORK/*.pid file, itinerad,
# $WORK (unless ITIN_KEEP is set) and the test's database.
itin_steady_cleanup() {
	for pid in "$WORK"/*.pid; do
		[ -f "$pid" ] && kill "$(cat "$pid")" 2> /dev/null
	done
	itin_daemon_stop
	if [ -n "${ITIN_KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
	itin_pg_cleanup
}
