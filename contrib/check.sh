#!/bin/sh
# Runs every test (the README's second command; .ci/run calls it). One private PostgreSQL
# cluster serves the whole run and is stopped at the end, pass or fail; tests that need
# Osmocom daemons start and stop their own. Ends with the line "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
sh contrib/build.sh
[ -d tests/smsc/node_modules/smpp ] || npm ci --prefix tests/smsc --no-audit --no-fund --silent

ITIN_TEST_PGHOST=$(mktemp -d /tmp/itin-check-pg.XXXXXX)
export ITIN_TEST_PGHOST
stop_pg() {
	sh sql/pgcluster.sh stop "$ITIN_TEST_PGHOST"
	rm -rf "$ITIN_TEST_PGHOST"
}
trap stop_pg EXIT
sh sql/pgcluster.sh start "$ITIN_TEST_PGHOST" -c fsync=off -c max_connections=200

rc=0
make -j"$(nproc)" check VERBOSE=1 || rc=$?
pass=$(sed -n 's/^# PASS: *//p' test-suite.log)
fail=$(sed -n 's/^# FAIL: *//p' test-suite.log)
error=$(sed -n 's/^# ERROR: *//p' test-suite.log)
echo "${pass:-0} passed, $(( ${fail:-0} + ${error:-0} )) failed"
exit $rc
