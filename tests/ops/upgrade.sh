#!/bin/sh
# An upgrade as the package does it (issue 22): a database made by release 0.1.0 (git commit
# 8894cee: the migrations up to 090, its grants), with cells and events loaded into it; the
# new itinerad refuses it, naming the command to run; `itinerad-db migrate` upgrades it; the
# daemon then answers a subscriber from the data loaded before the upgrade. Also --version of
# both programs. The npm smpp SMSC on port 26500, the admin endpoint on 26501.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
itin_pg_db itin_upgrade
command -v node > /dev/null || { echo "node missing"; exit 77; }
WORK=$(mktemp -d)
export WORK
trap 'itin_daemon_stop; [ -n "${ITIN_KEEP:-}" ] || rm -rf "$WORK"; itin_pg_cleanup' EXIT
port=26500
itin_daemon_conf "$WORK/itinerad.conf" $port < /dev/null
sed -i "s/^listen = .*/listen = 127.0.0.1:$((port + 1))/" "$WORK/itinerad.conf"

{
	echo "# --version"
	"$top_builddir/itinerad" --version
	"$top_builddir/itinerad" -V
	"$top_builddir/itinerad-db" --version
} | sed "s/ [0-9][0-9.]* (database schema/ VERSION (database schema/" > "$WORK/out"

# Release 0.1.0's database: what its itinerad-db migrate did, one migration per transaction
# recorded in schema_version, then its grants; its data loaded by the loader role.
psql -XAtq -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
	-c "CREATE TABLE schema_version (version integer PRIMARY KEY, name text NOT NULL,
	    applied_at timestamptz NOT NULL DEFAULT now())" || exit 99
for f in "$top_srcdir"/sql/migrations/[0-9][0-9][0-9]_*.sql; do
	base=$(basename "$f" .sql)
	[ "${base%%_*}" -le 90 ] || continue
	{
		echo "SET client_min_messages = warning; BEGIN;"
		cat "$f"
		echo ";"
		echo "INSERT INTO schema_version (version, name) VALUES (${base%%_*}, '${base#*_}');"
		echo "COMMIT;"
	} | psql -XAtq -v ON_ERROR_STOP=1 -f - > /dev/null || { echo "$base failed"; exit 99; }
done
psql -XAtq -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
	-f "$srcdir/tests/ops/upgrade-grants-0.1.0.sql" || exit 99
while read -r table file columns; do
	psql -XAtq -v ON_ERROR_STOP=1 -c "\\copy $table ($columns) FROM '$top_srcdir/data/$file' (FORMAT csv, HEADER true)" ||
		exit 99
done <<REF
region regions-cn.csv code, name_zh, name_en, level, parent_code
country mcc-countries.csv mcc, iso2, name_en, name_zh
operator_cn mnc-cn.csv mcc, mnc, iso2, brand, operator, operator_zh, status, in_mbpi
REF
itin_db_steps "load cells $top_srcdir/tests/db/cells.csv" "load events $top_srcdir/tests/db/events.csv"

{
	echo "# itinerad against release 0.1.0's database"
	itin_daemon_start "$WORK/itinerad.conf" "$WORK/refused.log"
	# It exits by itself; one that does not (it waits for a database it cannot use) is stopped.
	itin_poll 100 grep -q 'the database schema\|preparing a statement failed' "$WORK/refused.log"
	# (/proc: a process that exited stays there, a zombie, until wait)
	if ! itin_poll 50 eval '[ ! -e /proc/$ITIN_DAEMON_PID ] ||
		[ "$(cut -d" " -f3 /proc/$ITIN_DAEMON_PID/stat)" = Z ]'; then
		kill -TERM "$ITIN_DAEMON_PID"
		echo "still running: stopped"
	fi
	wait "$ITIN_DAEMON_PID"
	echo "exit status $?"
	ITIN_DAEMON_PID=
	grep -o 'the database schema.*' "$WORK/refused.log" | sed "s|$WORK/||"
	echo "# itinerad-db migrate"
	ITINERAD_CONFIG="$WORK/itinerad.conf" "$top_builddir/itinerad-db" migrate 2>&1 |
		grep '^migrate: applied\|^migrate: schema at' | sed 's/; reference data from.*//'
	echo "# schema_version: $(psql -XAtq -c 'SELECT string_agg(version::text, $$ $$ ORDER BY version) FROM schema_version')"
} >> "$WORK/out"

echo "# itinerad after the upgrade" >> "$WORK/out"
itin_smsc_start $port "$srcdir/tests/ops/upgrade.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
wait $ITIN_SMSC_PID
itin_daemon_stop
grep -v '^  hex ' "$WORK/smsc.out" >> "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/ops/upgrade.ok"
diff -u "$srcdir/tests/ops/upgrade.ok" "$WORK/out" || { tail -30 "$WORK/itinerad.log"; exit 1; }
