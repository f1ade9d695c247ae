#!/bin/sh
# The database pool's transactions against PostgreSQL (tests/db/db_pool_test.c): a failure
# in a transaction reaches every statement of it; the next transaction is not affected.
# Then the same through a conninfo of two hosts whose first accepts connections and never
# answers, as a machine gone from a failover group whose packets are dropped: libpq waits on
# it for ever when it does not block (its connect_timeout applies only when it does), so the
# pool gives up an attempt after connect_timeout and starts the next at the next host.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_db_pool
psql -XAtq -v ON_ERROR_STOP=1 -c "CREATE TABLE t (x integer)" || exit 99
out=$(mktemp) || exit 99
silent=$(mktemp -d) || exit 99
trap 'kill "$listener" 2> /dev/null; rm -rf "$out" "$silent"; itin_pg_cleanup' EXIT
"$top_builddir/tests/db/db_pool_test" > "$out" || { cat "$out"; exit 1; }
diff -u "$top_srcdir/tests/db/db_pool.ok" "$out" || exit 1

# A unix socket that listens and never accepts: the kernel takes the connection, nobody reads.
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1] + "/.s.PGSQL.5432")
s.listen(8)
open(sys.argv[1] + "/ready", "w").close()
time.sleep(600)' "$silent" &
listener=$!
. "$top_srcdir/tests/lib/daemon.sh"
itin_poll 100 test -f "$silent/ready" || exit 99
psql -XAtq -v ON_ERROR_STOP=1 -c "TRUNCATE t" || exit 99
timeout 60 "$top_builddir/tests/db/db_pool_test" \
	"host=$silent,$PGHOST port=5432,5432 user=postgres dbname=$PGDATABASE connect_timeout=1" \
	> "$out" || { echo "two hosts, the first silent: exit $?"; cat "$out"; exit 1; }
diff -u "$top_srcdir/tests/db/db_pool.ok" "$out"
