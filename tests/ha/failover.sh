#!/bin/sh
# itinerad on a pg_auto_failover group (issue 20 item 3): a monitor, a primary and a
# synchronous standby on 127.0.0.1, built with contrib/ha/pgaf-node.sh as an operator would
# (trust authentication, no TLS, private directories). itinerad-db migrates and loads the
# sample subscribers through the group's multi-host conninfo (target_session_attrs=read-write)
# and itinerad serves them through it. Under a steady load through the npm smpp SMSC
# (tests/smsc/steady.js: RATE deliver_sm a second from distinct subscribers, each delivered
# again 1 s after a temporary error, as an SMSC does), the primary node dies: its pg_autoctl
# and its postmaster are killed with SIGKILL (the postmaster alone would be restarted by its
# pg_autoctl, and nothing would fail over). The monitor promotes the standby, itinerad
# reconnects to it and prepares its statements there again.
#
# What is checked (exact lines in failover.ok; the counts behind them, which vary with
# timing, go to the log): every subscriber gets exactly one reply (the itinerary, or the busy
# text during the gap), every deliver_sm is answered, with 0 or the temporary error 0x64; the
# standby became the primary; the audit on the new primary has one row per reply and one
# subscriber per row; itinerad-db retention runs through the same conninfo.
#
# The monitor's health checks and the demote timeout are shortened to a few seconds (the
# defaults take about 35 s to promote; see "High availability" in doc/manual/operator.md).
# Ports 26400 (monitor), 26401-26402 (nodes), 26410 (SMSC), 26411 (admin). About 60 s.
set -u
command -v pg_autoctl > /dev/null || { echo "pg_autoctl missing (contrib/install-deps.sh)"; exit 77; }
command -v node > /dev/null || { echo "node missing"; exit 77; }
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/steady.sh"
. "$top_srcdir/tests/lib/npm.sh"
itin_npm_ci > /dev/null 2>&1 || { echo "npm ci failed"; exit 77; }
ITIN_PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
rate=${ITIN_HA_RATE:-100}	# bench/failover.sh runs this test at other rates
[ -z "${ITIN_VALGRIND:-}" ] || rate=20
secs=${ITIN_HA_SECONDS:-16}
kill_at=${ITIN_HA_KILL_AT:-4}	# after about as many seconds of load
first=8613800000000
subs=$((rate * secs))
smsc=26410
admin=26411
node_script="$top_srcdir/contrib/ha/pgaf-node.sh"

WORK=$(mktemp -d /tmp/itin-ha.XXXXXX)
chmod 755 "$WORK"
mkdir "$WORK/sock"
[ "$(id -u)" != 0 ] || chown postgres: "$WORK/sock"
export PGAF_HOSTNAME=127.0.0.1 PGAF_AUTH=trust PGAF_SSL=--no-ssl PGAF_CLIENTS=127.0.0.1/32 \
	PGAF_SOCKETS="$WORK/sock" PGAF_INITDB=--no-sync
# checkpoint_completion_target 0: the standby's pg_basebackup waits for a spread checkpoint,
# which would otherwise take a minute and more on the fresh primary
node_settings="shared_buffers = 128MB
fsync = off
checkpoint_completion_target = 0"
monitor_settings="$node_settings
pgautofailover.health_check_period = 1000
pgautofailover.health_check_timeout = 1000
pgautofailover.health_check_max_retries = 1
pgautofailover.health_check_retry_delay = 500
pgautofailover.node_considered_unhealthy_timeout = 2000
pgautofailover.primary_demote_timeout = 3000"

# the postmaster of data directory $1 is not running (a killed one leaves its pid file)
postmaster_gone() {
	[ -f "$1/postmaster.pid" ] || return 0
	! kill -0 "$(head -1 "$1/postmaster.pid")" 2> /dev/null
}
cleanup() {
	[ -f "$WORK/smsc.pid" ] && kill "$(cat "$WORK/smsc.pid")" 2> /dev/null
	itin_daemon_stop
	for n in n1 n2 monitor; do
		[ -d "$WORK/$n/pgdata" ] && sh "$node_script" stop "$WORK/$n" > /dev/null 2>&1
	done
	# pg_autoctl stop returns before its postgres has stopped: wait for each node's end
	for n in n1 n2 monitor; do
		itin_poll 300 postmaster_gone "$WORK/$n/pgdata"
	done
	if [ -n "${ITIN_KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

monitor_sql() {
	psql -XAtq -h "$WORK/sock" -p 26400 -U postgres -d pg_auto_failover -c "$1"
}
# STATES: the nodes' reported states, each reached (goal = reported), in node order
nodes_are() {
	[ "$(monitor_sql "SELECT string_agg(reportedstate::text, ' ' ORDER BY nodeid)
		FROM pgautofailover.node WHERE reportedstate = goalstate")" = "$1" ]
}

echo "$(date +%T) creating the monitor"
nodes_registered() {
	[ "$(monitor_sql "SELECT count(*) FROM pgautofailover.node")" = "$1" ]
}

PGAF_SETTINGS=$monitor_settings sh "$node_script" monitor "$WORK/monitor" 26400 || exit 99
sh "$node_script" start "$WORK/monitor"
itin_poll 300 monitor_sql "SELECT 1" > /dev/null 2>&1 || { echo "no monitor"; exit 99; }
monitor=$(sh "$node_script" uri "$WORK/monitor")
# n2 is a standby only if n1 is in the formation when it registers
for n in 1 2; do
	echo "$(date +%T) creating node n$n"
	PGAF_RUN=1 PGAF_SETTINGS=$node_settings sh "$node_script" node "$WORK/n$n" 2640$n \
		"$monitor" n$n || exit 99
	itin_poll 600 nodes_registered $n || { echo "n$n did not register"; exit 99; }
done
itin_poll 600 nodes_are "primary secondary" ||
	{ echo "no primary and secondary"; sh "$node_script" state "$WORK/monitor"; exit 99; }

# Our programs reach the group only through the multi-host conninfo; the tests' helpers
# (itin_db_steps, psql) too.
ITINERAD_CONNINFO="host=127.0.0.1,127.0.0.1 port=26401,26402 user=postgres dbname=itinerad target_session_attrs=read-write"
export ITINERAD_CONNINFO
unset PGHOST PGPORT PGUSER PGDATABASE
sql() { psql -XAtq -d "$ITINERAD_CONNINFO" -c "$1"; }
echo "synchronous standby: $(sql "SHOW synchronous_standby_names")"
echo "$(date +%T) loading the sample"
itin_sample_db "$WORK" 2000
echo "$(date +%T) loaded"

itin_daemon_conf "$WORK/itinerad.conf.in" $smsc <<EXTRA
[service]
consent = off
max_replies = off
EXTRA
sed "s/^listen = .*/listen = 127.0.0.1:$admin/" "$WORK/itinerad.conf.in" > "$WORK/itinerad.conf"

SMSC_MARK="$WORK/killed" SMSC_SENT="$WORK/sent" itin_steady_start $smsc $rate $secs $first
itin_steady_bound "$WORK/itinerad.conf" "$WORK/itinerad.log"
# The kill comes once the load has gone through the database a while.
audit_has() { [ "$(sql "SELECT count(*) >= $1 FROM audit")" = t ]; }
itin_poll 600 audit_has $((rate * kill_at)) ||
	{ echo "no replies"; tail "$WORK/itinerad.log"; exit 1; }

# The primary dies: its pg_autoctl (which would restart PostgreSQL) and its postmaster.
primary=$(monitor_sql "SELECT nodename FROM pgautofailover.node WHERE reportedstate = 'primary'")
# pg_autoctl runs in a session of its own (pgaf-node.sh: setsid), its postmaster in its group
postmaster=$(head -1 "$WORK/$primary/pgdata/postmaster.pid")
group=$(ps -o pgid= -p "$postmaster" | tr -d ' ')
[ -n "$group" ] && [ "$group" != 0 ] || { echo "no process group for $postmaster"; exit 99; }
date +%s%3N > "$WORK/killed"
/bin/kill -KILL -- "-$group"	# dash's kill takes no process group
kill -KILL "$postmaster" 2> /dev/null
echo "killed the primary $primary"

# A request whose recording was in flight when the primary died got the busy text, as its
# commit is unknown; if it was committed after all (on both nodes: the standby is
# synchronous), itinerad answers it once the pool has reconnected (the sweep: "answering
# request N that nothing else answers"), without a restart. So once the SMSC has delivered
# everything and the requests in flight are done, nothing is pending.
itin_poll 900 test -f "$WORK/sent" || { echo "the load did not end"; exit 1; }
pending_none() { [ "$(sql "SELECT count(*) FROM request_pending")" = 0 ]; }
itin_poll 300 pending_none
pending=$(sql "SELECT count(*) FROM request_pending")
echo "in doubt, answered by the sweep: $(grep -ac 'that nothing else answers' "$WORK/itinerad.log")"
itin_steady_end
itin_daemon_stop
nodes_are "demoted wait_primary" || nodes_are "wait_primary" ||
	monitor_sql "SELECT nodename, reportedstate, goalstate FROM pgautofailover.node"
echo "the primary now: $(sql "SELECT inet_server_port()")"
{
	cat "$WORK/smsc.out"
	echo "pending once the load was answered, without a restart: $pending"
	echo "the standby is the primary: $(sql "SELECT inet_server_port() = 26402")"
	itin_steady_audit $((rate * secs)) "$ITINERAD_CONNINFO"
	itin_db_steps retention && echo "itinerad-db retention through the conninfo: done"
} > "$WORK/out"
echo "figures: $(cat "$WORK/figures")"
[ -z "${ITIN_HA_FIGURES:-}" ] || cp "$WORK/figures" "$ITIN_HA_FIGURES"
grep -a 'db conn' "$WORK/itinerad.log" | grep -a -v DEBUG | head -20
cat "$WORK/smsc.err"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/ha/failover.ok"
diff -u "$srcdir/tests/ha/failover.ok" "$WORK/out" && exit 0
# what itinerad did for each subscriber not answered exactly once (logs mask all but 4 digits)
sed -n 's/^[0-9]*\([0-9]\{4\}\): .*/\1/p' "$WORK/smsc.err" | while read -r tail4; do
	grep -a "\*\*\*$tail4[:)]" "$WORK"/itinerad*.log | grep -av DEBUG
done
exit 1
