#!/bin/sh
# read_conninfo (issue 20): the itinerary lookups on a hot standby, everything else on the
# primary; lookups fall back to the primary when the standby is stopped (logged once). The
# standby streams from the test's own private cluster: pg_basebackup -R into a directory of
# its own, a unix socket there, track_functions = all so that its pg_stat_user_functions
# counts the itin_lookup calls it ran. The conversation of read-standby.scenario (npm smpp
# SMSC on port 27110, admin endpoint on 27111): a query once /metrics says the standby is in
# use, then the standby stops and a query is answered through the primary.
set -u
ITIN_TEST_PGHOST=	# a private cluster: it takes replication connections
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
port=27110
admin=27111
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
standby_stop() {
	[ -f "$WORK/standby/data/postmaster.pid" ] &&
		as_pg "$ITIN_PGBIN/pg_ctl" -D "$WORK/standby/data" -m immediate stop > /dev/null 2>&1
	true
}
itin_sms_test itin_ha_read standby_stop
echo "local replication all peer map=itinerad" >> "$PGHOST/data/pg_hba.conf"
psql -XAtq -c "SELECT pg_reload_conf()" > /dev/null

# The standby: a copy of the primary with the sample loaded, then streaming from it.
mkdir -p "$WORK/standby"
chmod 755 "$WORK"
[ "$(id -u)" != 0 ] || chown postgres: "$WORK/standby"
as_pg "$ITIN_PGBIN/pg_basebackup" -h "$PGHOST" -U postgres -D "$WORK/standby/data" -R \
	--checkpoint=fast > "$WORK/basebackup.log" 2>&1 || { cat "$WORK/basebackup.log"; exit 99; }
as_pg "$ITIN_PGBIN/pg_ctl" -D "$WORK/standby/data" -l "$WORK/standby/postgres.log" -w \
	-o "-k $WORK/standby -c listen_addresses= -c track_functions=all" start > /dev/null ||
	{ cat "$WORK/standby/postgres.log"; exit 99; }
standby_sql() { psql -XAtq -h "$WORK/standby" -c "$1"; }
echo "the standby is in recovery: $(standby_sql "SELECT pg_is_in_recovery()")" > "$WORK/out"

# For the scenario's exec lines: wait until the standby takes the lookups; stop it and wait
# until itinerad has seen it gone.
cat > "$WORK/standby.sh" <<SH
. "$top_srcdir/tests/lib/poll.sh"
in_use() { [ "\$(itin_metric http://127.0.0.1:$admin/metrics itinerad_db_standby_in_use)" = 1 ]; }
case \$1 in
in-use)	itin_poll 300 in_use ;;
stop)	runner() { if [ "\$(id -u)" = 0 ]; then runuser -u postgres -- "\$@"; else "\$@"; fi; }
	runner "$ITIN_PGBIN/pg_ctl" -D "$WORK/standby/data" -m fast stop > /dev/null
	itin_poll 300 itin_log_count "$WORK/itinerad.log" 1 'standby (read_conninfo) is unreachable' ;;
esac
SH

itin_daemon_conf "$WORK/itinerad.conf" $port <<EXTRA
[database]
read_conninfo = host=$WORK/standby dbname=itin_ha_read
[service]
consent = off
EXTRA
sed -i "s/^listen = .*/listen = 127.0.0.1:$admin/" "$WORK/itinerad.conf"
itin_smsc_start $port "$srcdir/tests/ha/read-standby.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
wait $ITIN_SMSC_PID || { cat "$WORK/smsc.err"; tail -30 "$WORK/itinerad.log"; exit 1; }
metric() { itin_metric "http://127.0.0.1:$admin/metrics" "$1"; }
{
	cat "$WORK/smsc.out"
	echo "lookups answered by the standby: $(metric itinerad_db_standby_lookups_total)"
	echo "the standby in use now: $(metric itinerad_db_standby_in_use)"
	echo "logged: $(grep -a -c 'standby (read_conninfo) is unreachable: lookups on the primary' \
		"$WORK/itinerad.log") times the standby unreachable"
} >> "$WORK/out"
itin_daemon_stop
# the standby's own count of the lookups it ran, read after it is started again
as_pg "$ITIN_PGBIN/pg_ctl" -D "$WORK/standby/data" -l "$WORK/standby/postgres.log" -w \
	-o "-k $WORK/standby -c listen_addresses= -c track_functions=all" start > /dev/null
echo "itin_lookup calls the standby ran: $(standby_sql "SELECT coalesce(sum(calls), 0)
	FROM pg_stat_user_functions WHERE funcname = 'itin_lookup'")" >> "$WORK/out"
itin_audit_rows >> "$WORK/out"
itin_compare tests/ha/read_standby.ok
