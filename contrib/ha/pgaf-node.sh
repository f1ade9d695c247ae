#!/bin/sh
# One pg_auto_failover node of itinerad's database (doc/manual/operator.md, "High
# availability"): the monitor, or a PostgreSQL node that the monitor makes the primary or a
# synchronous standby. Everything of a node lives in one directory: the data directory
# (DIR/pgdata), pg_autoctl's configuration and state (DIR/config, DIR/share: pg_autoctl would
# otherwise keep them in the home directory, keyed by the data directory's path) and its log.
# The systemd unit contrib/ha/itinerad-pgaf@.service runs `pgaf-node.sh run DIR`; the HA test
# (tests/ha/failover.sh) uses this script to build its group on 127.0.0.1.
#
# usage: pgaf-node.sh monitor DIR PORT             create the monitor
#        pgaf-node.sh node DIR PORT MONITOR NAME   create a PostgreSQL node (MONITOR: the
#                                                  monitor's URI, printed by `uri`)
#        pgaf-node.sh run DIR                      run the node (foreground, as systemd wants)
#        pgaf-node.sh start DIR                    run it in the background, log in DIR
#        pgaf-node.sh stop DIR                     stop it (pg_autoctl stop: its PostgreSQL too)
#        pgaf-node.sh uri DIR                      the monitor's URI (on the monitor's DIR)
#        pgaf-node.sh state DIR                    pg_autoctl show state
#        pgaf-node.sh config DIR KEY VALUE         pg_autoctl config set KEY VALUE
# Environment (defaults for a production node; the test sets them all):
#   PGAF_HOSTNAME  the name or address the other nodes and the clients reach this node by
#                  (default: hostname -f); PostgreSQL listens on it only
#   PGAF_AUTH      authentication between the nodes and for the clients (scram-sha-256;
#                  passwords in ~postgres/.pgpass, see the manual; the test: trust)
#   PGAF_SSL       --ssl-self-signed (the test: --no-ssl, everything is on 127.0.0.1)
#   PGAF_CLIENTS   the address range (CIDR) itinerad and itinerad-db connect from; pg_hba.conf
#                  lets them reach the database itinerad with PGAF_AUTH
#   PGAF_SOCKETS   the unix socket directory (/var/run/postgresql); every node of one host
#                  uses the same, as a standby copies the primary's settings
#   PGAF_SETTINGS  extra postgresql.conf lines for the nodes (shared_buffers and the like;
#                  pg_autoctl otherwise sizes them for a host of its own)
#   PGAF_INITDB    extra initdb options (the test: --no-sync)
#   PGAF_RUN       set: `node` creates the node and runs it in the background at once, as
#                  `start` does, saving a stop and a start (the test)
# Run as root, the nodes run as the postgres system user (PostgreSQL refuses root).
set -eu
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v pg_ctl)")}
cmd=${1:?usage: pgaf-node.sh monitor|node|run|start|stop|uri|state DIR ...}
dir=${2:?usage: pgaf-node.sh $cmd DIR ...}
shift 2
hostname=${PGAF_HOSTNAME:-$(hostname -f)}
auth=${PGAF_AUTH:-scram-sha-256}
ssl=${PGAF_SSL:---ssl-self-signed}
sockets=${PGAF_SOCKETS:-/var/run/postgresql}

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

mkdir -p "$dir/run"
[ "$(id -u)" != 0 ] || chown postgres: "$dir" "$dir/run"
dir=$(cd "$dir" && pwd -P)
cd /
export PATH="$PGBIN:/usr/sbin:/usr/bin:/sbin:/bin" PGDATA="$dir/pgdata" PGHOST="$sockets" \
	XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/share" XDG_RUNTIME_DIR="$dir/run"

# A data directory of our own making, before pg_autoctl takes it over: its socket directory
# and settings in postgresql.auto.conf, which wins over the file pg_autoctl includes and
# which a standby copies with the rest; local connections by peer (trust when PGAF_AUTH is
# trust), the clients' range, and whatever pg_autoctl adds for the nodes and the monitor.
init_pgdata() {
	local_auth=peer
	[ "$auth" != trust ] || local_auth=trust
	as_owner "$PGBIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --no-locale ${PGAF_INITDB:-} \
		--auth-local="$local_auth" --auth-host=reject > "$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	{
		echo "# Written by pgaf-node.sh; pg_autoctl adds its own rules below."
		echo "local all all $local_auth"
		[ -z "${PGAF_CLIENTS:-}" ] || echo "host itinerad all $PGAF_CLIENTS $auth"
	} | as_owner tee "$PGDATA/pg_hba.conf" > /dev/null
	printf "unix_socket_directories = '%s'\n%s\n" "$sockets" "${PGAF_SETTINGS:-}" |
		as_owner tee -a "$PGDATA/postgresql.auto.conf" > /dev/null
}

# The formation has a primary already: the new node is a standby, which pg_autoctl makes
# with pg_basebackup into an empty data directory.
formation_empty() {
	n=$(as_owner "$PGBIN/psql" -XAtq -d "$1" -c \
		"SELECT count(*) FROM pgautofailover.node WHERE formationid = 'default'") ||
		{ echo "pgaf-node.sh: the monitor $1 does not answer" >&2; exit 1; }
	[ "$n" = 0 ]
}

case $cmd in
monitor)
	port=${1:?usage: pgaf-node.sh monitor DIR PORT}
	[ -f "$PGDATA/PG_VERSION" ] || init_pgdata
	as_owner pg_autoctl create monitor --pgport "$port" --hostname "$hostname" \
		--auth "$auth" $ssl > "$dir/create.log" 2>&1 ||
		{ tail -20 "$dir/create.log" >&2; exit 1; }
	as_owner pg_autoctl config set postgresql.listen_addresses "$hostname" > /dev/null
	;;
node)
	port=${1:?usage: pgaf-node.sh node DIR PORT MONITOR NAME}
	monitor=${2:?usage: pgaf-node.sh node DIR PORT MONITOR NAME}
	name=${3:?usage: pgaf-node.sh node DIR PORT MONITOR NAME}
	[ -f "$PGDATA/PG_VERSION" ] || ! formation_empty "$monitor" || init_pgdata
	set -- create postgres --pgport "$port" --listen "$hostname" --hostname "$hostname" \
		--name "$name" --auth "$auth" $ssl --username postgres --dbname itinerad \
		--monitor "$monitor"
	if [ -n "${PGAF_RUN:-}" ]; then
		as_owner setsid -f pg_autoctl "$@" --run >> "$dir/pg_autoctl.log" 2>&1 < /dev/null
	else
		as_owner pg_autoctl "$@" > "$dir/create.log" 2>&1 ||
			{ tail -20 "$dir/create.log" >&2; exit 1; }
	fi
	;;
run)
	exec $( [ "$(id -u)" = 0 ] && echo runuser -u postgres --) pg_autoctl run
	;;
start)
	as_owner setsid -f pg_autoctl run >> "$dir/pg_autoctl.log" 2>&1 < /dev/null
	;;
stop)
	as_owner pg_autoctl stop
	;;
uri)
	as_owner pg_autoctl show uri | awk '$1 == "monitor" { print $NF }'
	;;
state)
	as_owner pg_autoctl show state
	;;
config)
	as_owner pg_autoctl config set "${1:?usage: pgaf-node.sh config DIR KEY VALUE}" \
		"${2:?usage: pgaf-node.sh config DIR KEY VALUE}" > /dev/null
	;;
*)
	echo "pgaf-node.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
