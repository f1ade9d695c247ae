# Sourced by shell tests that need PostgreSQL. itin_pg_db NAME gives the test its own fresh
# database and exports PGHOST/PGUSER/PGDATABASE, and ITINERAD_CONNINFO for our programs. The cluster is the run's shared one when
# ITIN_TEST_PGHOST is set (contrib/check.sh starts it), otherwise a private one in a temporary
# directory that is stopped and removed when the test exits, pass or fail.
# The conninfo's user, postgres, is the schema's owner (itinerad-db migrate and purge, and the
# tests' own psql); itinerad and itinerad-db query connect as itinerad_daemon, the loads and the
# retention as itinerad_loader (db/db_connect.h), so a test that runs them runs them with
# exactly the grants of sql/grants.sql. The cluster takes peer authentication only
# (sql/pgcluster.sh): this OS user may connect as those three and no other role.
ITIN_PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

itin_pg_cleanup() {
	if [ -n "${itin_pg_private:-}" ]; then
		sh "$top_srcdir/sql/pgcluster.sh" stop "$itin_pg_private"
		rm -rf "$itin_pg_private"
	fi
}

itin_pg_db() {
	if [ -n "${ITIN_TEST_PGHOST:-}" ]; then
		PGHOST=$ITIN_TEST_PGHOST
	else
		itin_pg_private=$(mktemp -d /tmp/itin-pg.XXXXXX)
		trap itin_pg_cleanup EXIT
		sh "$top_srcdir/sql/pgcluster.sh" start "$itin_pg_private" -c fsync=off || exit 99
		PGHOST=$itin_pg_private
	fi
	PGUSER=postgres
	PGDATABASE=$1
	ITINERAD_CONNINFO="host=$PGHOST user=postgres dbname=$PGDATABASE"
	export PGHOST PGUSER PGDATABASE ITINERAD_CONNINFO
	"$ITIN_PGBIN/dropdb" --if-exists "$PGDATABASE" && "$ITIN_PGBIN/createdb" "$PGDATABASE" || exit 99
}
