#!/bin/sh
# A partitioned layout of itinerad's database (issue 21; doc/manual/operator.md, "Partitions"):
# a proxy database whose PL/Proxy cluster 'itinerad' routes each subscriber key to one of N
# partitions (N a power of two), each a database with itinerad's whole schema, on one or
# several PostgreSQL clusters.
#
# usage: shard.sh create PROXY PARTITION_0 ... PARTITION_N-1
#        shard.sh map PROXY            print the cluster map (partition number, conninfo)
#        shard.sh set PROXY I CONNINFO point partition I at another database (a moved one)
#        shard.sh move PROXY I CONNINFO   move partition I there: dump, restore, then set
#
# Each argument is a libpq conninfo naming its database (dbname=...), as a superuser of its
# cluster: create makes the databases that do not exist yet, the PL/Proxy extension and the
# cluster map (a foreign server with the partitions' conninfos) in the proxy. Then run
# `itinerad-db migrate` against the proxy: it migrates the proxy and every partition of the map.
#
# move copies partition I with PostgreSQL's own pg_dump and pg_restore (in one transaction)
# into a database that does not exist yet (made on its cluster, with itinerad's two roles if
# that cluster has none yet), then changes the cluster map: PL/Proxy's sessions, the daemon's
# among them, go to the copy from their next call on, and answer from the old one until then,
# so lookups go on throughout. The daemon's writes (the request state of the partition's
# subscribers, migration 270) stop first: the proxy refuses them while the partition is listed
# in partition_moving (those subscribers' requests are not recorded, and the SMSC delivers
# them again), and the copy starts once the statements begun before are over. Loads and
# retention are not stopped so: none may run during a move (stop the feed timer). The old
# database is then closed to connections (ALTER DATABASE ... ALLOW_CONNECTIONS true opens it
# again) and stays until the operator drops it.
# The partitions' conninfos are the proxy's (PL/Proxy connects with them, as the proxy's
# owner) and itinerad-db's (it connects with them as the user of its own connection): they
# name no user and no password (those come from the connecting side, and ~/.pgpass).
set -eu
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v psql)")}

die() { echo "shard.sh: $*" >&2; exit 1; }

psql_on() {	# conninfo, psql arguments...
	c=$1
	shift
	"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$c" "$@"
}

# SQL string literal of $1.
literal() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }

# The database a conninfo names (its last dbname=), or die.
dbname_of() {	# conninfo
	n=$(printf '%s\n' "$1" | tr ' ' '\n' | sed -n 's/^dbname=//p' | tail -1)
	[ -n "$n" ] || die "no dbname= in '$1'"
	echo "$n"
}

# The database $1's conninfo names, created on its cluster (through its maintenance database)
# if it does not exist.
ensure_db() {
	name=$(dbname_of "$1") || exit 1
	if [ "$(psql_on "$1 dbname=postgres" -Atc "SELECT count(*) FROM pg_database WHERE datname = $(literal "$name")")" = 0 ]; then
		psql_on "$1 dbname=postgres" -c "CREATE DATABASE \"$name\""
	fi
}

cmd=${1:-}
case $cmd in
create)
	[ $# -ge 3 ] || die "usage: shard.sh create PROXY PARTITION_0 ... PARTITION_N-1"
	proxy=$2
	shift 2
	n=$#
	[ $((n & (n - 1))) = 0 ] || die "$n partitions: the number must be a power of two"
	options=
	i=0
	for p in "$@"; do
		ensure_db "$p"
		options="$options${options:+, }partition_$i $(literal "$p")"
		i=$((i + 1))
	done
	ensure_db "$proxy"
	psql_on "$proxy" <<-SQL
		SET client_min_messages = warning;
		CREATE EXTENSION IF NOT EXISTS plproxy;
		CREATE SERVER itinerad FOREIGN DATA WRAPPER plproxy OPTIONS ($options);
		CREATE USER MAPPING FOR PUBLIC SERVER itinerad;
	SQL
	;;
map)
	[ $# = 2 ] || die "usage: shard.sh map PROXY"
	psql_on "$2" -At -F ' ' -c "SELECT substr(option_name, 11), option_value FROM pg_foreign_server s, pg_options_to_table(s.srvoptions) WHERE s.srvname = 'itinerad' AND option_name LIKE 'partition\\_%' ORDER BY substr(option_name, 11)::integer"
	;;
set)
	[ $# = 4 ] || die "usage: shard.sh set PROXY I CONNINFO"
	psql_on "$2" -c "ALTER SERVER itinerad OPTIONS (SET partition_$3 $(literal "$4"))"
	;;
move)
	[ $# = 4 ] || die "usage: shard.sh move PROXY I CONNINFO"
	old=$(psql_on "$2" -At -c "SELECT option_value FROM pg_foreign_server s, pg_options_to_table(s.srvoptions) WHERE s.srvname = 'itinerad' AND option_name = 'partition_$3'")
	[ -n "$old" ] || die "the cluster map has no partition_$3"
	name=$(dbname_of "$4") || exit 1
	[ "$(psql_on "$4 dbname=postgres" -Atc "SELECT count(*) FROM pg_database WHERE datname = $(literal "$name")")" = 0 ] ||
		die "database $name exists already: move copies into a new one"
	psql_on "$4 dbname=postgres" <<-SQL
		SET client_min_messages = warning;
		DO \$\$
		BEGIN
			IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'itinerad_daemon') THEN
				CREATE ROLE itinerad_daemon LOGIN NOINHERIT;
			END IF;
			IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'itinerad_loader') THEN
				CREATE ROLE itinerad_loader LOGIN NOINHERIT;
			END IF;
		END
		\$\$;
		CREATE DATABASE "$name";
	SQL
	# From now on the proxy's statements write nothing to the partition (partition_moving,
	# sql/proxy.sql: a statement that began after the flag was committed sees it); once those
	# that began before are over, the copy has every row.
	psql_on "$2" -c "INSERT INTO partition_moving (n) VALUES ($3) ON CONFLICT (n) DO UPDATE SET since = excluded.since" > /dev/null
	trap 'psql_on "$2" -c "DELETE FROM partition_moving WHERE n = $3" > /dev/null' EXIT
	since=$(psql_on "$2" -At -c "SELECT clock_timestamp()")
	waited=0
	while [ "$(psql_on "$2" -At -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query_start < '$since' AND pid <> pg_backend_pid()")" != 0 ]; do
		[ $waited -lt 300 ] || die "statements begun before the move still run after 30 s: not moved"
		sleep 0.1
		waited=$((waited + 1))
	done
	"$PGBIN/pg_dump" -Fc -d "$old" | "$PGBIN/pg_restore" --single-transaction --exit-on-error -d "$4" ||
		die "the copy of partition $3 failed: the map is unchanged (drop $name before trying again)"
	set_map() { psql_on "$2" -c "ALTER SERVER itinerad OPTIONS (SET partition_$3 $(literal "$4"))"; }
	set_map "$@"
	# A PL/Proxy session takes the new map at its next call and closes its connections to the
	# old database then. But PL/Proxy (2.10) drops a map change that comes while the session
	# is reloading its map for an earlier one (src/cluster.c: the change is taken as known
	# already, then the reload, which read the old map, clears it; a reset of the session's
	# caches, which pg_restore's catalog churn on that cluster can cause, is such an earlier
	# one): that session goes on with the old map, and would write to the old database, until
	# the map changes again. So a session still on the old database after a second is sent the
	# change again, and before the writes resume the old database is closed to connections and
	# its sessions ended: a session still with the old map then fails its calls (the daemon
	# answers them as when the database is down) and writes nothing there.
	old_name=$(dbname_of "$old") || exit 1
	on_old() { psql_on "$old dbname=postgres" -At -c "SELECT count(*) FROM pg_stat_activity WHERE datname = $(literal "$old_name")"; }
	waited=0
	while [ "$(on_old)" != 0 ] && [ $waited -lt 20 ]; do
		sleep 0.1
		waited=$((waited + 1))
		[ $waited != 10 ] || set_map "$@"
	done
	psql_on "$old dbname=postgres" -At -c "ALTER DATABASE \"$old_name\" ALLOW_CONNECTIONS false" \
		-c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $(literal "$old_name")" > /dev/null
	psql_on "$2" -c "DELETE FROM partition_moving WHERE n = $3" > /dev/null
	trap - EXIT
	echo "partition $3 moved: $old -> $4"
	;;
*)
	die "usage: shard.sh create|map|set|move ..."
	;;
esac
