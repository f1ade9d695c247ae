# Sourced by shell tests that need PostgreSQL. itin_pg_db NAME gives the test its own fresh
# database and exports PGHOST/PGUSER/PGDATABASE, and ITINERAD_CONNINFO for our programs. The cluster is the run's shared one when
# ITIN_TEST_PGHOST is set (contrib/check.sh starts it), otherwise a private one in a temporary
# directory that is stopped and removed when the test exits, pass or fail.
# The conninfo's user, postgres, is the schema's owner (itinerad-db migrate and purge, and the
# tests' own psql); itinerad and itinerad-db query connect as itinerad_daemon, the loads and the
# retention as itinerad_loader (db/db_connect.h), so a test that runs them runs them with
# exactly the grants of sql/grants.sql. The cluster takes peer authentication only
# (sql/pgcluster.sh): this OS user may connect as those three and no other role.
#
# ITIN_TEST_PARTITIONS=N (a power of two) makes the database a partitioned layout instead
# (issue 21, contrib/shard/shard.sh): the proxy NAME and the partitions NAME_p0 .. NAME_pN-1 on
# two private clusters (even partitions with the proxy, odd ones on the second), migrated;
# PGHOST/PGDATABASE and ITINERAD_CONNINFO name the proxy, $itin_pg_parts lists the partitions'
# conninfos and $itin_pg_hosts the two clusters' directories. The same test scripts then run
# on both layouts.
ITIN_PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

itin_pg_cleanup() {
	for d in ${itin_pg_private:-} ${itin_pg_private2:-}; do
		sh "$top_srcdir/sql/pgcluster.sh" stop "$d"
		rm -rf "$d"
	done
}

# The partitioned layout of ITIN_TEST_PARTITIONS for the database $1 (see the top).
itin_pg_shard() {
	itin_pg_private=$(mktemp -d /tmp/itin-pg.XXXXXX)
	itin_pg_private2=$(mktemp -d /tmp/itin-pg.XXXXXX)
	trap itin_pg_cleanup EXIT
	for d in "$itin_pg_private" "$itin_pg_private2"; do
		sh "$top_srcdir/sql/pgcluster.sh" start "$d" -c fsync=off -c shared_buffers=128MB || exit 99
	done
	itin_pg_hosts="$itin_pg_private $itin_pg_private2"
	itin_pg_parts=
	i=0
	while [ "$i" -lt "$ITIN_TEST_PARTITIONS" ]; do
		h=$itin_pg_private
		[ $((i % 2)) = 1 ] && h=$itin_pg_private2
		itin_pg_parts="$itin_pg_parts${itin_pg_parts:+|}host=$h dbname=${1}_p$i"
		i=$((i + 1))
	done
	PGHOST=$itin_pg_private
	PGUSER=postgres
	PGDATABASE=$1
	ITINERAD_CONNINFO="host=$PGHOST user=postgres dbname=$PGDATABASE"
	export PGHOST PGUSER PGDATABASE ITINERAD_CONNINFO
	(IFS='|'; sh "$top_srcdir/contrib/shard/shard.sh" create "host=$PGHOST dbname=$PGDATABASE" \
		$itin_pg_parts) || exit 99
}

# The rows of a query on the database and, on a partitioned layout, on every partition after
# it, in one list: the request state and the audit of a partitioned layout are on the
# partitions (migration 270), and what the proxy would give says that nothing stayed there.
itin_pg_all() {	# SQL
	psql -XAtq -v ON_ERROR_STOP=1 -c "$1"
	[ -z "${ITIN_TEST_PARTITIONS:-}" ] || itin_pg_each_part "$1"
}

# Whether the database DBNAME of the cluster HOST is closed, as shard.sh move leaves the old
# database of a partition: "1 refusal, 0 sessions" when it refuses connections and none is left.
itin_pg_closed() {	# host dbname
	echo "$(psql -XAtq -d "host=$1 dbname=$2" -c 'SELECT 1' 2>&1 |
		grep -c 'is not currently accepting connections') refusal, $(psql -XAtq \
		-d "host=$1 dbname=postgres" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$2'") sessions"
}

# psql on every partition in turn (itin_pg_shard), tuples only: the rows of each, in order.
itin_pg_each_part() {	# SQL
	(IFS='|'; for c in $itin_pg_parts; do psql -XAtq -v ON_ERROR_STOP=1 -d "$c" -c "$1"; done)
}

itin_pg_db() {
	if [ -n "${ITIN_TEST_PARTITIONS:-}" ]; then
		itin_pg_shard "$1"
		return
	fi
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

# The start of a database test: itin_pg_db NAME, the tests' config (tests/db/itinerad-test.conf)
# in ITINERAD_CONFIG, $work, a directory removed on exit with the private cluster, and
# tests/lib/dbtool.sh's helpers, which leave $work out of the paths they print.
itin_pg_test() {	# database
	itin_pg_db "$1"
	ITINERAD_CONFIG="$srcdir/tests/db/itinerad-test.conf"
	export ITINERAD_CONFIG
	work=$(mktemp -d /tmp/itin-test.XXXXXX) || exit 99
	trap 'rm -rf "$work"; itin_pg_cleanup' EXIT
	ITIN_STRIP=$work
	. "$top_srcdir/tests/lib/dbtool.sh"
}
