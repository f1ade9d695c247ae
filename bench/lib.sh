# The end-to-end benchmarks' shared set-up, sourced by sms-rate.sh, ussd-rate.sh,
# kannel-rate.sh and soak.sh: a work directory, the settings their itinerad shares, a private
# PostgreSQL cluster in $work/pg, SUBSCRIBERS' 14 days of synthetic presence loaded and
# prewarmed, the pgbench floor on the itinerary lookup, and the CPU each process used. The
# caller sets top_srcdir (and top_builddir, when not the current directory). With
# ITIN_BENCH_PGAF set, the database is a pg_auto_failover group instead (a monitor, a primary
# and a synchronous standby on 127.0.0.1, ports 27150-27152, built with
# contrib/ha/pgaf-node.sh as tests/ha/failover.sh builds it), reached through its multi-host
# conninfo; its PostgreSQL CPU is both nodes'.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
top_builddir=$(cd "${top_builddir:-.}" && pwd)

# $work: a new directory /tmp/itin-bench-NAME.*, which the cluster (user postgres) can enter,
# cleaned up on exit (bench_cleanup).
bench_work() {	# name
	work=$(mktemp -d "/tmp/itin-bench-$1.XXXXXX")
	chmod 755 "$work"
	trap bench_cleanup EXIT
}

# Stops what a run left behind: the processes of $work/*.pid, the cluster, $work itself.
bench_cleanup() {
	for f in "$work"/*.pid; do
		[ -s "$f" ] && kill "$(cat "$f")" 2> /dev/null || true
	done
	bench_pg_stop
	rm -rf "$work"
}

# The settings every benchmark's itinerad has, ending in [service] for the run's own: the
# secret, the domestic MCCs, and a rate limit that a subscriber asking a few times a run stays
# well within.
bench_conf() {
	cat <<CONF
[privacy]
hmac_secret = benchmark-secret-0123456789-e4a1c8f07b3d92e6c05a8f1d4b7e32c9
[service]
domestic_mcc = 460, 001
rate_limit = 100/1h
CONF
}

# Starts the cluster with SHARED_BUFFERS and points psql and the itinerad tools at it. With
# ITIN_BENCH_PARTITIONS=N (issue 21), its database is the proxy of N partitions, the even ones
# beside it and the odd ones in a second cluster, $work/pg2 (contrib/shard/shard.sh).
bench_pg_start() {	# shared_buffers
	bench_parts=
	if [ -n "${ITIN_BENCH_PGAF:-}" ]; then
		bench_pgaf_start "$1"
		return
	fi
	# pg_stat_statements loaded but tracking nothing: bench_statements_* turn it on for a run
	sh "$top_srcdir/sql/pgcluster.sh" start "$work/pg" -c shared_buffers="$1" -c max_wal_size=8GB \
		-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=none
	export PGHOST="$work/pg" PGUSER=postgres PGDATABASE=itinerad
	export ITINERAD_CONNINFO="host=$work/pg user=postgres dbname=itinerad"
	[ -n "${ITIN_BENCH_PARTITIONS:-}" ] || return 0
	sh "$top_srcdir/sql/pgcluster.sh" start "$work/pg2" -c shared_buffers="$1" -c max_wal_size=8GB
	i=0
	while [ $i -lt "$ITIN_BENCH_PARTITIONS" ]; do
		h=$work/pg
		[ $((i % 2)) = 1 ] && h=$work/pg2
		bench_parts="$bench_parts${bench_parts:+|}host=$h dbname=itinerad_p$i"
		i=$((i + 1))
	done
	(IFS='|'; sh "$top_srcdir/contrib/shard/shard.sh" create "$ITINERAD_CONNINFO" $bench_parts)
}

bench_pg_stop() {
	if [ -n "${ITIN_BENCH_PGAF:-}" ]; then
		bench_pgaf_stop
		return
	fi
	sh "$top_srcdir/sql/pgcluster.sh" stop "$work/pg" || true
	[ ! -d "$work/pg2" ] || sh "$top_srcdir/sql/pgcluster.sh" stop "$work/pg2" || true
}

# Where PostgreSQL's time goes, per request, for the connections opened after
# bench_statements_start (pg_stat_statements with track = all, nested statements included):
# bench_statements_reset at the start of the measured seconds, bench_statements_print at their
# end, with the requests answered meanwhile counted from the audit. Nested statements are
# inside the top-level ones' time: the lines do not add up.
bench_statements_start() {
	psql -XAtq -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
		-c "ALTER DATABASE itinerad SET pg_stat_statements.track = 'all'"
}
bench_statements_reset() {
	psql -XAtq -c "SELECT pg_stat_statements_reset()" > /dev/null
	statements_audit0=$(bench_audit_rows)
}
# The audit rows of every database (on a partitioned layout they are on the partitions).
bench_audit_rows() {
	bench_psql_all -c "SELECT count(*) FROM audit" | awk '{ n += $1 } END { print n }'
}
bench_statements_print() {	# lines
	psql -XAtq -F ' ' -v n="$(($(bench_audit_rows) - statements_audit0))" \
		-v lines="$1" <<'SQL'
SELECT format('  %6s  %s%s', round((total_exec_time * 1000 / greatest(:n, 1))::numeric, 1),
	      CASE WHEN toplevel THEN '' ELSE '  (inside) ' END,
	      left(regexp_replace(query, '\s+', ' ', 'g'), 80))
FROM pg_stat_statements
WHERE query NOT LIKE '%pg_stat_statements%' AND query <> 'SELECT count(*) FROM audit'
ORDER BY total_exec_time DESC LIMIT :lines;
SQL
	psql -XAtq -c "ALTER DATABASE itinerad RESET pg_stat_statements.track"
}

# The ceiling of issue 20's option (the SMSC or the USSD peer keeps the request until its reply
# is accepted, the subscriber's state kept in memory): bench_ceiling_on replaces the begin and
# the sent mark by what that design would leave of them, the audit row, until
# bench_ceiling_off puts them back (as pg_get_functiondef gave them). Only queries may come
# (consent off): the action is always the itinerary.
bench_ceiling_on() {
	psql -XAtq -c "SELECT pg_get_functiondef('itin_requests_begin'::regproc) || ';'" \
		-c "SELECT pg_get_functiondef('itin_requests_sent'::regproc) || ';'" \
		> "$work/functions.sql"
	psql -XAtq <<'SQL'
CREATE OR REPLACE FUNCTION itin_requests_begin(p_owner text, p_keys text[], p_channels smallint[],
	p_intents smallint[], p_ats bigint[], p_messages text[], p_reply_tos text[],
	p_consents boolean[], p_default_lang smallint, p_consent_timeout interval,
	p_rate_count integer, p_rate_period interval, p_dedup interval, p_shutdown boolean)
RETURNS TABLE (request_id bigint, action smallint, lang smallint)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT nextval(pg_get_serial_sequence('request_pending', 'id')), 1::smallint, p_default_lang
	FROM unnest(p_keys)
$$;
CREATE OR REPLACE FUNCTION itin_requests_sent(p_owner text, p_ids bigint[], p_parts smallint[],
					      p_actions smallint[], p_at timestamptz)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
	INSERT INTO audit (key, received_at, answered_at, channel, intent, action, parts)
	SELECT sha256(int8send(u.id)), p_at, p_at, 0, 0, coalesce(u.action, 1), u.parts
	FROM unnest(p_ids, p_parts, p_actions) AS u(id, parts, action)
$$;
SQL
}
bench_ceiling_off() {
	psql -XAtq -f "$work/functions.sql" > /dev/null
}

# psql on the database and, on a partitioned layout, on each partition.
bench_psql_all() {	# psql arguments
	psql -XAtq "$@"
	(IFS='|'; for c in $bench_parts; do psql -XAtq -d "$c" "$@"; done)
}

bench_pgaf_monitor() { psql -XAtq -h "$work/pgaf/sock" -p 27150 -U postgres -d pg_auto_failover -c "$1"; }
bench_pgaf_nodes_are() {	# the nodes' states, each reached, in node order
	[ "$(bench_pgaf_monitor "SELECT string_agg(reportedstate::text, ' ' ORDER BY nodeid)
		FROM pgautofailover.node WHERE reportedstate = goalstate" 2> /dev/null)" = "$1" ]
}
bench_pgaf_registered() {	# nodes
	[ "$(bench_pgaf_monitor "SELECT count(*) FROM pgautofailover.node" 2> /dev/null)" = "$1" ]
}
bench_pgaf_wait() {	# tries command...: every 0.5 s
	tries=$1
	shift
	until "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.5
	done
}

bench_pgaf_start() {	# shared_buffers
	node=$top_srcdir/contrib/ha/pgaf-node.sh
	mkdir -p "$work/pgaf/sock"
	[ "$(id -u)" != 0 ] || chown postgres: "$work/pgaf" "$work/pgaf/sock"
	export PGAF_HOSTNAME=127.0.0.1 PGAF_AUTH=trust PGAF_SSL=--no-ssl PGAF_CLIENTS=127.0.0.1/32 \
		PGAF_SOCKETS="$work/pgaf/sock"
	# checkpoint_completion_target 0: the standby's pg_basebackup would wait for a spread
	# checkpoint of the fresh primary
	settings="shared_buffers = $1
max_wal_size = 8GB
checkpoint_completion_target = 0"
	echo "creating a pg_auto_failover group (monitor, primary, synchronous standby) ..." >&2
	PGAF_SETTINGS=$settings sh "$node" monitor "$work/pgaf/monitor" 27150 > /dev/null
	sh "$node" start "$work/pgaf/monitor"
	bench_pgaf_wait 120 bench_pgaf_monitor "SELECT 1" > /dev/null 2>&1
	monitor=$(sh "$node" uri "$work/pgaf/monitor")
	for n in 1 2; do
		# pg_stat_statements loaded but tracking nothing, as on a single node (the monitor
		# keeps its own shared_preload_libraries)
		PGAF_RUN=1 PGAF_SETTINGS="$settings
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = none" sh "$node" node "$work/pgaf/n$n" 2715$n "$monitor" \
			n$n > /dev/null
		bench_pgaf_wait 240 bench_pgaf_registered $n || { echo "n$n did not register" >&2; exit 1; }
	done
	bench_pgaf_wait 600 bench_pgaf_nodes_are "primary secondary" ||
		{ echo "no primary and secondary" >&2; exit 1; }
	export PGHOST="$work/pgaf/sock" PGPORT=27151 PGUSER=postgres PGDATABASE=itinerad
	export ITINERAD_CONNINFO="host=127.0.0.1,127.0.0.1 port=27151,27152 user=postgres dbname=itinerad target_session_attrs=read-write"
}

bench_pgaf_stop() {
	for n in n2 n1 monitor; do
		[ -d "$work/pgaf/$n/pgdata" ] || continue
		pid=$(head -1 "$work/pgaf/$n/pgdata/postmaster.pid" 2> /dev/null)
		sh "$top_srcdir/contrib/ha/pgaf-node.sh" stop "$work/pgaf/$n" > /dev/null 2>&1
		# pg_autoctl stop returns before its PostgreSQL has stopped
		[ -z "$pid" ] || bench_pgaf_wait 120 eval "! kill -0 $pid 2> /dev/null"
	done
}

# Loads SUBSCRIBERS' cells and 14 days of events (itinerad-sample, seed 9, ending now) with
# the configuration in ITINERAD_CONFIG, and reads the presence tables into shared buffers.
bench_load() {	# subscribers
	echo "loading $1 subscribers ..." >&2
	"$top_builddir/itinerad-sample" --seed 9 --subscribers "$1" --end "$(date +%s)" \
		--cells "$work/cells.csv" --events "$work/events.csv" > /dev/null 2>&1
	"$top_builddir/itinerad-db" migrate > /dev/null 2>&1
	"$top_builddir/itinerad-db" load cells "$work/cells.csv" > /dev/null 2>&1
	"$top_builddir/itinerad-db" load events "$work/events.csv" > /dev/null 2>&1
	"$top_builddir/itinerad-db" retention > /dev/null 2>&1
	rm -f "$work/events.csv"
	bench_psql_all -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
		-c "SELECT sum(pg_prewarm(oid))::bigint FROM pg_class WHERE relname ~ '^(presence|subscriber)' AND relkind IN ('r', 'i')" > /dev/null
}

# The floor: pgbench running sql/lookup.sql for random loaded subscribers (through a table
# of their keys), prepared, with CLIENTS connections for SECONDS. Prints its transactions/s.
bench_floor() {	# clients seconds
	if [ ! -f "$work/lookup.sql" ]; then
		# The keys are the partitions' on a partitioned layout (the proxy has none).
		bench_psql_all -c "COPY (SELECT encode(key, 'hex') FROM subscriber_key) TO STDOUT" > "$work/keys"
		psql -XAtq -c "CREATE TABLE bench_key (n bigserial PRIMARY KEY, hex text)" \
			-c "\\copy bench_key (hex) FROM '$work/keys'" \
			-c "ALTER TABLE bench_key ADD COLUMN key bytea" \
			-c "UPDATE bench_key SET key = decode(hex, 'hex')"
		{
			echo "\\set n random(1, $(psql -XAtq -c "SELECT count(*) FROM bench_key"))"
			sed '/^--/d; s/\$1/(SELECT key FROM bench_key WHERE n = :n)/; s/\$2/(current_date - 14)/; s/\$3/NULL::bytea/' \
				"$top_srcdir/sql/lookup.sql"
			echo ";"
		} > "$work/lookup.sql"
	fi
	"$PGBIN/pgbench" -n -M prepared -c "$1" -j 2 -T "$2" -f "$work/lookup.sql" 2> /dev/null |
		sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}

# CPU ticks (user + system, all threads) of a process, of its children, and of PostgreSQL's
# backends (an autovacuum worker may be gone by the time it is read).
bench_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2> /dev/null || echo 0; }
bench_children_ticks() {
	t=0
	for c in $(cat "/proc/$1/task/$1/children" 2> /dev/null); do
		t=$((t + $(bench_ticks "$c")))
	done
	echo $t
}
bench_pg_ticks() {
	if [ -n "${ITIN_BENCH_PGAF:-}" ]; then
		echo $(($(bench_children_ticks "$(head -1 "$work/pgaf/n1/pgdata/postmaster.pid")") +
			$(bench_children_ticks "$(head -1 "$work/pgaf/n2/pgdata/postmaster.pid")")))
		return
	fi
	bench_children_ticks "$(head -1 "$work/pg/data/postmaster.pid")"
}

# A field of the load generators' output line: "... NAME VALUE ..." prints VALUE.
bench_field() { sed -n "s/.* $1 \([0-9.]*\).*/\1/p"; }
