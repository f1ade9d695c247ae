#!/bin/sh
# The database pool's transactions against PostgreSQL (tests/db/db_pool_test.c): a failure
# in a transaction reaches every statement of it; the next transaction is not affected.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_db_pool
psql -XAtq -v ON_ERROR_STOP=1 -c "CREATE TABLE t (x integer)" || exit 99
out=$(mktemp) || exit 99
trap 'rm -f "$out"; itin_pg_cleanup' EXIT
"$top_builddir/tests/db/db_pool_test" > "$out" || { cat "$out"; exit 1; }
diff -u "$top_srcdir/tests/db/db_pool.ok" "$out"
