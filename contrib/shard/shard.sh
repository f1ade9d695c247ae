#!/bin/sh
# A partitioned layout of itinerad's database (issue 21; doc/manual/operator.md, "Partitions"):
# a proxy database whose PL/Proxy cluster 'itinerad' routes each subscriber key to one of N
# partitions (N a power of two), each a database with itinerad's whole schema, on one or
# several PostgreSQL clusters.
#
# usage: shard.sh create PROXY PARTITION_0 ... PARTITION_N-1
#        shard.sh map PROXY            print the cluster map (partition number, conninfo)
#        shard.sh set PROXY I CONNINFO point partition I at another database (a moved one)
#
# Each argument is a libpq conninfo naming its database (dbname=...), as a superuser of its
# cluster: create makes the databases that do not exist yet, the PL/Proxy extension and the
# cluster map (a foreign server with the partitions' conninfos) in the proxy. Then run
# `itinerad-db migrate` against the proxy: it migrates the proxy and every partition of the map.
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

# The database $1's conninfo names, created on its cluster (through its maintenance database)
# if it does not exist.
ensure_db() {
	name=$(printf '%s\n' "$1" | tr ' ' '\n' | sed -n 's/^dbname=//p' | tail -1)
	[ -n "$name" ] || die "no dbname= in '$1'"
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
*)
	die "usage: shard.sh create|map|set ..."
	;;
esac
