#!/bin/sh
# Runs every test (the README's second command; .ci/run calls it), then again with ASan and
# UBSan those that can (contrib/check-sanitizers.sh). One private PostgreSQL cluster serves
# the plain run and is stopped at the end, pass or fail; tests that need Osmocom daemons start
# and stop their own. Ends with the line "N passed, N failed" over both runs.
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
fail=$(( ${fail:-0} + ${error:-0} ))
echo "plain build: ${pass:-0} passed, $fail failed"
# Then the tests that can, again with ASan and UBSan.
sanitized=$(sh contrib/check-sanitizers.sh 2>&1) || rc=$?
echo "$sanitized"
spass=$(echo "$sanitized" | sed -n 's/^sanitizers: \([0-9]*\) passed.*/\1/p')
sfail=$(echo "$sanitized" | sed -n 's/^sanitizers: [0-9]* passed, \([0-9]*\) failed/\1/p')
[ -n "$sfail" ] || sfail=1	# the sanitizer build itself failed
echo "$(( ${pass:-0} + ${spass:-0} )) passed, $(( fail + sfail )) failed"
exit $rc
