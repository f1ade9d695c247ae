#!/bin/sh
# The lease on a connection of its own (issue 20): a session holds request_pending locked for
# longer than the lease (3 s) while requests come, so that each of the pool's connections waits
# behind a request's recording. The instance's lease is still renewed (over its own
# connection): the database is up, and no peer should take its requests. Once the lock is
# released every subscriber is answered exactly once (the busy text may come first, when a
# recording waited past the reply deadline of 2 s), the audit has one row per reply, and the
# instance never lost its lease.
#
# The npm smpp SMSC (tests/smsc/steady.js on port 27100, admin endpoint on 27101) offers 10
# deliver_sm/s from distinct subscribers for 8 s; the lock is taken once itinerad is bound and
# released once the lease has been renewed past the lock's start plus twice the lease.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/steady.sh"
itin_steady_test itin_ha_lease_lock
smsc=27100
admin=27101
rate=10
secs=8
itin_steady_run $smsc $admin 3s 2s $rate $secs 8613800000000

# The lock, held until this script ends the session (application_name tells it apart).
PGAPPNAME=itin-lock psql -XAtq -c "BEGIN; LOCK request_pending; SELECT pg_sleep(600);" \
	> /dev/null 2>&1 &
echo $! > "$WORK/lock.pid"
itin_poll 100 sql_is "SELECT count(*) FROM pg_locks WHERE granted AND
	relation = 'request_pending'::regclass AND mode = 'AccessExclusiveLock'" 1 ||
	{ echo "no lock"; exit 99; }
locked_at=$(sql "SELECT now()")
# Requests come and wait on the lock: the renewals must pass them.
itin_poll 300 sql_is "SELECT lease_until >= '$locked_at'::timestamptz + interval '6 s'
	FROM instance" t ||
	{ echo "the lease was not renewed while request_pending was locked"; sql "TABLE instance";
	  grep -a 'lease' "$WORK/itinerad.log" | grep -av DEBUG; exit 1; }
waiting=$(sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
	AND usename = 'itinerad_daemon'")
echo "itinerad's statements waiting on the lock when it was released: $waiting"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'itin-lock'" \
	> /dev/null
wait "$(cat "$WORK/lock.pid")"
rm -f "$WORK/lock.pid"

itin_steady_end
itin_daemon_stop
{
	cat "$WORK/smsc.out"
	itin_steady_audit $((rate * secs))
	echo "pending after a clean stop: $(sql 'SELECT count(*) FROM request_pending')"
	echo "the lease lapsed: $(grep -ac 'lease not renewed in time' "$WORK/itinerad.log") times"
} > "$WORK/out"
echo "figures: $(cat "$WORK/figures")"
cat "$WORK/smsc.err"
itin_compare tests/ha/lease_lock.ok
