#!/bin/sh
# Operator queries and core dumps (issue 17, finding 9), against a real PostgreSQL.
#  - itinerad-db query takes the number on stdin ("-") and prints the same reply as with the
#    number in argv, which still works with a warning; a query that cannot be audited is not
#    answered; an empty line or a non-number is refused before anything is looked up.
#  - every query answered or looked up leaves one operator_audit row: the OS user, SUDO_USER,
#    the database user, the options and the subscriber key; never the number.
#  - itinerad-db and itinerad are not dumpable: run as a user other than root (nobody, through
#    setpriv, when the test runs as root), their /proc/PID files belong to root, which is what
#    the kernel does for a process that is not dumpable, and their core size limit is 0.
#    itinerad-db is looked at while it waits for the number on stdin, itinerad once it logged
#    that it started (its SMSC and database ports, 24130 and 24131, have nobody listening).
#    The systemd units set LimitCORE=0 as well.
# The transcript must equal operator_query.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/poll.sh"
itin_pg_db itin_operator_query
ITINERAD_CONFIG="$srcdir/tests/db/itinerad-test.conf"
export ITINERAD_CONFIG
db="$top_builddir/itinerad-db"
data="$srcdir/tests/db"
work=$(mktemp -d)
trap 'exec 3>&-; [ -n "${pid:-}" ] && kill "$pid" 2> /dev/null; rm -rf "$work"; itin_pg_cleanup' EXIT
AT=2026-11-20T12:00:00+08:00
me=$(id -un)

sql() { psql -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
# itinerad-db query with its arguments, the number (or nothing) on stdin: stdout and stderr.
ask() {
	number=$1
	shift
	echo "\$ echo $number | itinerad-db query $*"
	printf '%s\n' "$number" | "$db" query "$@" > "$work/stdout" 2> "$work/stderr"
	rc=$?
	cat "$work/stdout" "$work/stderr"
	[ $rc -eq 0 ] || echo "(exit status $rc)"
}
# Another user than root for the programs whose /proc/PID is looked at (nobody when root).
as_user=
[ "$(id -u)" = 0 ] && as_user="setpriv --reuid=65534 --regid=65534 --clear-groups --"
not_dumpable() {	# PID: sets uid and owner (of /proc/PID); true once it got there
	uid=$(awk '/^Uid:/ { print $3 }' "/proc/$1/status" 2> /dev/null)
	owner=$(stat -c %u "/proc/$1/environ" 2> /dev/null)
	[ -n "$uid" ] && [ "$uid" != 0 ] && [ "$owner" = 0 ]
}
# Whether PID, running as a user other than root, has its /proc files owned by root, and its
# core size limit (soft, hard); waits up to 10 s for it to get there.
dumpable() {
	if itin_poll 100 not_dumpable "$1"; then
		echo "$2: runs as a user, /proc/PID owned by root: not dumpable"
	else
		echo "$2: DUMPABLE (uid ${uid:-?}, /proc/PID owned by ${owner:-?})"
	fi
	awk -v w="$2" '/^Max core file size/ { print w ": core size limit " $5 " " $6 }' "/proc/$1/limits"
}

{
	"$db" migrate > /dev/null 2>&1 || echo "migrate failed"
	"$db" load cells "$data/cells.csv" > /dev/null 2>&1 || echo "load cells failed"
	"$db" load events "$data/events.csv" --at 2026-11-20T23:00:00+08:00 > /dev/null 2>&1 || echo "load events failed"
	start=$(sql "SELECT now()")

	echo "# the number in argv: answered, with a warning"
	echo "\$ itinerad-db query --msisdn 8613800000001 --at $AT"
	"$db" query --msisdn 8613800000001 --at $AT > "$work/argv" 2> "$work/stderr"
	echo "(exit status $?)"
	cat "$work/argv" "$work/stderr"
	echo "# the number on stdin: the same reply, no warning"
	ask 8613800000001 --msisdn - --at $AT
	cmp -s "$work/argv" "$work/stdout" && echo "same reply as with the number in argv"
	ask ' +8613800000001 ' --msisdn - --at $AT --lang en
	SUDO_USER=alice ask 460011000000003 --imsi - --lang en --parts > /dev/null
	echo "(by alice through sudo: the IMSI query, its reply not shown)"
	ask 8613800000099 --msisdn - --at $AT
	echo "# refused before any lookup, not audited"
	ask '' --msisdn -
	ask 12345 --msisdn -
	ask 4600 --imsi -
	echo "\$ itinerad-db query --msisdn - < /dev/null"
	"$db" query --msisdn - < /dev/null
	echo "(exit status $?)"
	echo "# an audit that fails: no answer"
	sql "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION 'test: no audit'; END \$\$"
	sql "CREATE TRIGGER refuse BEFORE INSERT ON operator_audit FOR EACH ROW EXECUTE FUNCTION refuse()"
	ask 8613800000001 --msisdn - --at $AT 2>&1 |
		sed 's/^\(query: not audited, so not answered\):.*/\1: .../; /^CONTEXT:/d'
	sql "DROP TRIGGER refuse ON operator_audit"

	echo "# operator_audit: its columns, and one row per query that was looked up"
	sql "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'operator_audit'"
	sql "SELECT CASE WHEN os_user = '$me' THEN '(the test user)' ELSE os_user END, coalesce(sudo_user, '-'), CASE WHEN db_user = current_user THEN '(the database user)' ELSE db_user END, command, CASE WHEN key IN (SELECT key FROM subscriber_key) THEN 'key of a loaded subscriber' ELSE 'key of no subscriber' END, asked_at BETWEEN '$start' AND now() FROM operator_audit ORDER BY asked_at"
	sql "SELECT 'distinct keys: ' || count(DISTINCT key) FROM operator_audit"
	pg_dump --data-only -t operator_audit > "$work/dump.sql"
	for id in 8613800000001 13800000001 460011000000003 8613800000099; do
		grep -c "$id" "$work/dump.sql" | sed "s/^/$id in operator_audit: /"
	done
	echo "# retention keeps audit_days (30) of it; purge empties it"
	sql "UPDATE operator_audit SET asked_at = asked_at - interval '40 days' WHERE command LIKE '%--lang en%'"
	"$db" retention > /dev/null 2>&1 || echo "retention failed"
	sql "SELECT 'rows after retention: ' || count(*) FROM operator_audit"
	"$db" purge --yes > /dev/null 2>&1 || echo "purge failed"
	sql "SELECT 'rows after purge: ' || count(*) FROM operator_audit"

	echo "# not dumpable"
	# copies the other user can run wherever the build tree is (under /root: mode 0700)
	chmod 755 "$work"
	cp "$db" "$top_builddir/itinerad" "$work/"
	mkfifo "$work/number"
	$as_user "$work/itinerad-db" query --msisdn - < "$work/number" > "$work/db.out" 2>&1 &
	pid=$!
	exec 3> "$work/number"
	dumpable $pid itinerad-db
	exec 3>&-
	wait $pid
	echo "itinerad-db exit status $?: $(cat "$work/db.out")"
	pid=
	{
		printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests-8c1f4e7a92d035b6e0a9d4c71f28b3e5\n'
		printf '[database]\nconninfo = host=127.0.0.1 port=24131 dbname=none connect_timeout=1\n'
		printf '[smpp test-smsc]\nhost = 127.0.0.1\nport = 24130\nsystem_id = itinerary\npassword = secret\n'
		printf '[admin]\nlisten =\n'
	} > "$work/itinerad.conf"
	chmod 644 "$work/itinerad.conf"
	$as_user "$work/itinerad" -c "$work/itinerad.conf" > "$work/itinerad.log" 2>&1 &
	pid=$!
	itin_poll 100 itin_log_count "$work/itinerad.log" 1 'itinerad .* started'
	dumpable $pid itinerad
	kill $pid
	wait $pid
	pid=
	grep -c 'core dumps could not be disabled' "$work/itinerad.log" | sed 's/^/itinerad: lines saying core dumps could not be disabled: /'
	for unit in itinerad.service itinerad-retention.service; do
		echo "$unit: $(grep -c '^LimitCORE=0$' "$top_srcdir/contrib/systemd/$unit.in") x LimitCORE=0"
	done
} > "$work/out" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript (review the diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/out" "$srcdir/tests/db/operator_query.ok"
diff -u "$srcdir/tests/db/operator_query.ok" "$work/out"
