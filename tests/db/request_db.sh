#!/bin/sh
# The request statements in batches (tests/db/request_db_test.c) against PostgreSQL, on the
# sample feed of tests/db: order of decisions within a batch, each request's own lookup rows.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_request_db
ITINERAD_CONFIG="$srcdir/tests/db/itinerad-test.conf"
export ITINERAD_CONFIG
out=$(mktemp) || exit 99
trap 'rm -f "$out"; itin_pg_cleanup' EXIT
# loaded at the end of the test day (2026-11-20, Asia/Shanghai), as tests/lib/daemon.sh loads
for step in migrate "load cells $srcdir/tests/db/cells.csv" \
	"load events $srcdir/tests/db/events.csv --at 2026-11-20T23:00:00+08:00"; do
	# shellcheck disable=SC2086
	"$top_builddir/itinerad-db" $step > "$out" 2>&1 || { cat "$out"; exit 99; }
done
# As the daemon's role, as itinerad connects (a grant missing from sql/grants.sql fails here).
"$top_builddir/tests/db/request_db_test" "$ITINERAD_CONNINFO user=itinerad_daemon" "$ITINERAD_CONFIG" > "$out" ||
	{ cat "$out"; exit 1; }
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$out" "$srcdir/tests/db/request_db.ok"
diff -u "$srcdir/tests/db/request_db.ok" "$out"
