#!/bin/sh
# The embedded database: a private PostgreSQL 15 cluster in one directory, reached only through
# a unix socket in that same directory (no TCP port, no system service). itinerad-db starts it
# when no conninfo is configured; tests start one in a temporary directory and stop it.
#
# usage: pgcluster.sh start DIR [postgres -c options...] | stop DIR | status DIR
# After start, clients connect with: host=DIR user=postgres dbname=itinerad
#
# Authentication is peer, through the map itinerad of pg_ident.conf: the OS user that runs the
# cluster and the one that first started it (root, when the cluster runs as postgres) may
# connect as postgres (the owner of the schema) and as the roles of the daemon and the loader
# (sql/migrations/090_roles.sql); nobody else may connect. A cluster made with trust
# authentication by an older pgcluster.sh is changed to this at its next start.
#
# Logs: DIR/postgres.log has what pg_ctl saw until PostgreSQL's logging collector took over
# (a failed start's reason); from then on the collector writes DIR/log/postgres-DAY.log, a file
# per weekday, emptied when it is reused a week later: seven days are kept, never more.
set -eu
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v pg_ctl)")}
cmd=${1:?usage: pgcluster.sh start|stop|status DIR}
dir=${2:?usage: pgcluster.sh start|stop|status DIR}
shift 2

# initdb and postgres refuse to run as root: run them as the postgres system user then.
as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pg_hba.conf and pg_ident.conf of the data directory $1 (see the top of this file).
write_auth() {
	cluster_user=$(as_owner id -un)
	{
		echo "# Written by itinerad's pgcluster.sh: unix socket only, peer authentication."
		echo "local all all peer map=itinerad"
	} | as_owner tee "$1/pg_hba.conf" >/dev/null
	{
		echo "# Written by itinerad's pgcluster.sh: the OS users that may connect, and as whom."
		for u in $(printf '%s\n' "$cluster_user" "$(id -un)" | sort -u); do
			for role in postgres itinerad_daemon itinerad_loader; do
				echo "itinerad $u $role"
			done
		done
	} | as_owner tee "$1/pg_ident.conf" >/dev/null
}

# The directory's own path, without symbolic links: the postgres user may not be able to go
# through the directories a link is in (a checkout under /root linking var elsewhere).
[ "$cmd" = start ] && mkdir -p "$dir"
[ -d "$dir" ] && dir=$(cd "$dir" && pwd -P)
cd /	# nor through the caller's working directory

case $cmd in
start)
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$dir"
		if ! runuser -u postgres -- test -x "$dir"; then
			echo "pgcluster.sh: the postgres user cannot reach $dir: a directory above it is" \
				"not open to others (such as /root, mode 0700); use a directory it can reach" >&2
			exit 1
		fi
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres --auth-local=peer --auth-host=reject \
			-E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; exit 1; }
	fi
	if ! grep -q '^local all all peer map=itinerad$' "$dir/data/pg_hba.conf"; then
		write_auth "$dir/data"
		if as_owner "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
			as_owner "$PGBIN/pg_ctl" -D "$dir/data" reload >/dev/null
		fi
	fi
	if as_owner "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		exit 0
	fi
	opts="-k $dir -c listen_addresses= -c shared_buffers=512MB -c max_connections=100"
	opts="$opts -c logging_collector=on -c log_directory=$dir/log -c log_filename=postgres-%a.log"
	opts="$opts -c log_rotation_age=1d -c log_rotation_size=0 -c log_truncate_on_rotation=on"
	for o in "$@"; do opts="$opts $o"; done
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -o "$opts" start >/dev/null ||
		{ tail -20 "$dir/postgres.log" >&2; exit 1; }
	if ! as_owner "$PGBIN/psql" -h "$dir" -U postgres -d postgres -Atqc \
		"SELECT 1 FROM pg_database WHERE datname = 'itinerad'" | grep -q 1; then
		as_owner "$PGBIN/createdb" -h "$dir" -U postgres itinerad
	fi
	;;
stop)
	[ -d "$dir/data" ] || exit 0
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	;;
status)
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" status
	;;
*)
	echo "pgcluster.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
