#!/bin/sh
# Least privilege (issue 17, finding 8): the roles of sql/migrations/090_roles.sql with the
# grants of sql/grants.sql. The loads and the retention run as itinerad_loader, the query as
# itinerad_daemon (itinerad-db picks the role per command); the daemon's role answers through
# the functions but reads no subscriber, key or presence row, cannot run a program by COPY nor
# create a table, and writes the operator audit row of a query without reading it back; the
# loader's cannot read presence nor run the migrations' DDL, yet its retention expires the
# identities without presence (through the functions of 090). A role the
# peer map does not give the OS user is refused (no trust authentication), and a second
# database of the same cluster migrates with the roles already there, and a third one whose
# owner is not a superuser (as on a server of one's own). The whole transcript,
# with PostgreSQL's error texts, must equal roles.ok. (request_db.sh runs the daemon's
# batches as itinerad_daemon, and every daemon test runs itinerad as it.)
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_roles
ITINERAD_CONFIG="$srcdir/tests/db/itinerad-test.conf"
export ITINERAD_CONFIG
db="$top_builddir/itinerad-db"
data="$srcdir/tests/db"
out=$(mktemp)
trap 'rm -f "$out" "$out.run"; "$ITIN_PGBIN/dropdb" --if-exists itin_roles_second 2> /dev/null;
	"$ITIN_PGBIN/dropdb" --if-exists itin_roles_third 2> /dev/null; itin_pg_cleanup' EXIT
AT=2026-11-20T12:00:00+08:00
# the loads' clock: the end of the test day (events.csv has events until 13:00 of it)
LOAD_AT=2026-11-20T23:00:00+08:00

run() {
	echo "\$ itinerad-db $*" | sed "s|$data/||g"
	"$db" "$@" > "$out.run" 2>&1
	rc=$?
	grep -v ' lines/s$\|^migrate: applied' "$out.run" | sed "s|$data/||g; s|from /.*|from DATA|"
	[ $rc -eq 0 ] || echo "(exit status $rc)"
}
# itinerad-db query with the number on stdin, as operators are told to give it.
ask() {
	number=$1
	shift
	echo "\$ echo $number | itinerad-db query $*"
	echo "$number" | "$db" query "$@" > "$out.run" 2>&1
	rc=$?
	cat "$out.run"
	[ $rc -eq 0 ] || echo "(exit status $rc)"
}
# psql as a role: the statement, then its rows or PostgreSQL's error.
as() {
	echo "$1> $2"
	psql -XAtq -U "$1" -c "$2" 2>&1 | sed "s|$PGHOST|PGHOST|g"
}

{
	run migrate
	echo "# the roles: a login and nothing more"
	psql -XAtq -c "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolcanlogin
		FROM pg_roles WHERE rolname IN ('itinerad_daemon', 'itinerad_loader') ORDER BY 1"

	echo "# the loader's role loads and runs the retention"
	run load cells "$data/cells.csv"
	run load events "$data/events.csv" --at $LOAD_AT
	run load risk "$data/risk.csv"
	echo "# a subscriber without presence (its key and state too), and a newest event time beyond"
	echo "# the clock: the loader's retention expires and clamps them through the owner's functions"
	psql -XAtq -c "INSERT INTO subscriber (id, key_id) VALUES (999, 1)" \
		-c "INSERT INTO subscriber_key (key, key_id, subscriber) VALUES (decode(repeat('cd', 32), 'hex'), 1, 999)" \
		-c "INSERT INTO subscriber_state (key) VALUES (decode(repeat('cd', 32), 'hex'))" \
		-c "UPDATE feed_state SET newest_event = '2100-01-01 00:00:00+00' WHERE feed = 'events'"
	run retention --at $AT
	psql -XAtq -c "SELECT 'subscriber 999: ' || count(*) FROM subscriber WHERE id = 999" \
		-c "SELECT 'newest event: ' || to_char(newest_event AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') FROM feed_state WHERE feed = 'events'"
	echo "# the swap made presence_recent anew: the loader's grant came with it"
	run load events "$data/events.csv" --at $LOAD_AT

	echo "# the daemon's role answers through the functions"
	ask 8613800000001 --msisdn - --at $AT --lang en
	echo "# the query's audit row is written as itinerad_daemon, which cannot read it back"
	psql -XAtq -c "SELECT db_user, command FROM operator_audit"
	as itinerad_daemon "SELECT count(*) FROM operator_audit"
	as itinerad_daemon "SELECT count(*), count(day) FROM itin_lookup(ARRAY[encode(decode(repeat('00', 32), 'hex'), 'hex')], ARRAY[DATE '2026-11-06'], ARRAY[NULL])"
	as itinerad_daemon "SELECT action, lang FROM itin_requests_begin('host/test', ARRAY[repeat('ab', 32)], '{1}', '{1}', '{1795060800}', '{00}', '{0102}', '{f}', 0::smallint, interval '10 min', 5, interval '1 hour', interval '30 s', false)"
	as itinerad_daemon "SELECT itin_pending_bound() > 0, count(*) FROM itin_instance_pending('host/test', 0, itin_pending_bound(), 500)"
	as itinerad_daemon "SELECT itin_requests_done(ARRAY(SELECT id FROM itin_instance_pending('host/test', 0, itin_pending_bound(), 500)), '{1}', '{NULL}', now())"
	as itinerad_daemon "SELECT count(*) FROM feed_state"

	echo "# ... and reads nothing else"
	for t in presence_recent presence_history subscriber subscriber_key subscriber_state audit cell \
		request_pending; do
		as itinerad_daemon "SELECT count(*) FROM $t"
	done
	as itinerad_daemon "COPY (SELECT 1) TO PROGRAM 'id'"
	as itinerad_daemon "CREATE TABLE stolen (key bytea)"
	as itinerad_daemon "CREATE TEMP TABLE stolen (key bytea)"
	as itinerad_daemon "SELECT * FROM itin_presence_swap(current_date, current_date - 14, current_date)"
	as itinerad_daemon "SELECT * FROM itin_identities_expire(now())"
	as itinerad_daemon "DELETE FROM request_pending"

	echo "# the loader's role reads no presence and runs no DDL"
	as itinerad_loader "SELECT count(*) FROM presence_recent"
	as itinerad_loader "SELECT mask_sealed FROM subscriber"
	as itinerad_loader "SELECT count(*) FROM operator_audit"
	as itinerad_loader "DELETE FROM operator_audit"
	as itinerad_loader "SELECT count(*) FROM itin_lookup('{}', '{}', '{}')"
	as itinerad_loader "COPY (SELECT 1) TO PROGRAM 'id'"
	as itinerad_loader "CREATE TABLE stolen (key bytea)"
	as itinerad_loader "ALTER TABLE presence_recent ADD COLUMN msisdn text"
	as itinerad_loader "DROP TABLE subscriber_key"
	as itinerad_loader "CREATE FUNCTION itin_evil() RETURNS int LANGUAGE sql AS 'SELECT 1'"
	as itinerad_loader "TRUNCATE subscriber_key"

	echo "# every migrate makes the grants sql/grants.sql's again: one granted by hand goes"
	psql -XAtq -c "GRANT SELECT ON subscriber TO itinerad_daemon"
	as itinerad_daemon "SELECT count(*) FROM subscriber"
	run migrate
	as itinerad_daemon "SELECT count(*) FROM subscriber"

	echo "# no trust: a role the peer map does not give this OS user"
	psql -XAtq -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'itin_roles_stranger') THEN CREATE ROLE itin_roles_stranger LOGIN; END IF; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END \$\$"
	as itin_roles_stranger "SELECT 1" | sed 's/^psql: error: .* failed: /psql: error: /'

	echo "# a second database of the same cluster: the roles are there, its grants are its own"
	"$ITIN_PGBIN/dropdb" --if-exists itin_roles_second 2> /dev/null
	"$ITIN_PGBIN/createdb" itin_roles_second
	ITINERAD_CONNINFO="host=$PGHOST user=postgres dbname=itin_roles_second" run migrate
	ITINERAD_CONNINFO="host=$PGHOST user=postgres dbname=itin_roles_second" run migrate
	ITINERAD_CONNINFO="host=$PGHOST user=postgres dbname=itin_roles_second" ask 8613800000001 --msisdn - --at $AT
	PGDATABASE=itin_roles_second as itinerad_daemon "SELECT count(*) FROM subscriber"

	echo "# an owner that is not a superuser (a server of one's own: the roles made beforehand)"
	psql -XAtq -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'itin_roles_owner') THEN CREATE ROLE itin_roles_owner; END IF; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END \$\$"
	"$ITIN_PGBIN/dropdb" --if-exists itin_roles_third 2> /dev/null
	"$ITIN_PGBIN/createdb" -O itin_roles_owner itin_roles_third
	third="host=$PGHOST user=postgres dbname=itin_roles_third"
	ITINERAD_CONNINFO="$third options='-c role=itin_roles_owner'" run migrate
	ITINERAD_CONNINFO="$third options='-c role=itin_roles_owner'" run migrate
	PGDATABASE=itin_roles_third psql -XAtq -c "SELECT 'tables owned by ' || string_agg(DISTINCT tableowner, ', ') FROM pg_tables WHERE schemaname = 'public'"
	ITINERAD_CONNINFO="$third" run load cells "$data/cells.csv"
	ITINERAD_CONNINFO="$third" ask 8613800000001 --msisdn - --at $AT
	PGDATABASE=itin_roles_third as itinerad_daemon "SELECT count(*) FROM subscriber_key"
} > "$out" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript (review the diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$out" "$srcdir/tests/db/roles.ok"
diff -u "$srcdir/tests/db/roles.ok" "$out"
