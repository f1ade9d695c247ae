#!/bin/sh
# The tests that run our daemons again, with them under valgrind memcheck (issue 8): itinerad
# in the daemon tests (tests/lib/daemon.sh starts it through $ITIN_VALGRIND) and smpp_echo, the
# SMPP link alone, in the SMPP link tests (tests/smpp/lib.sh). A test fails on its own
# assertions, or on any memcheck error or definitely lost block in a valgrind log (one per
# process, written with -q: empty when clean; the logs rather than valgrind's exit status,
# since most tests kill the daemon or do not look at how it exited); possible leaks and memory
# still reachable at exit are not counted (talloc's and libosmocore's global contexts).
# tests/valgrind.supp holds the suppressions. The tests of the simulated network (tests/e2e)
# are not run. Not in contrib/check.sh: about 5 minutes on 2 cores.
# usage: contrib/check-valgrind.sh [BUILD_DIR] [TEST...]
#   BUILD_DIR: a configured and built tree (default: the source tree, built by contrib/build.sh)
#   TEST: tests/x/y.sh paths (default: the list below)
# Prints each test's result, then "valgrind: N passed, N failed" (skipped tests, such as those
# whose Osmocom daemon is not installed, are neither).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -gt 0 ]; then
	build=$(cd "$1" && pwd)
	shift
else
	sh "$src/contrib/build.sh"
	build=$src
fi
command -v valgrind > /dev/null || { echo "valgrind missing (Debian package valgrind)"; exit 1; }
if [ $# -eq 0 ]; then
	set -- tests/sms/basic.sh tests/sms/faults.sh tests/sms/links.sh tests/sms/concat.sh \
		tests/sms/payload.sh tests/ops/ops.sh \
		tests/privacy/privacy.sh tests/ussd/gsup.sh tests/faults/load.sh tests/faults/hlr.sh
	for t in "$src"/tests/smpp/*.sh; do
		[ "${t##*/}" = lib.sh ] || set -- "$@" "tests/smpp/${t##*/}"
	done
fi
make -s -C "$build" all tests/smpp/smpp_echo tests/ussd/gsup_msc > /dev/null
[ -d "$src/tests/smsc/node_modules/smpp" ] ||
	npm ci --prefix "$src/tests/smsc" --no-audit --no-fund --silent

work=$(mktemp -d /tmp/itin-valgrind.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
ITIN_VALGRIND="valgrind -q --leak-check=full --show-leak-kinds=definite \
--errors-for-leak-kinds=definite --suppressions=$src/tests/valgrind.supp --log-file=$work/vg.%p"
top_srcdir=$src top_builddir=$build srcdir=$src
export ITIN_VALGRIND top_srcdir top_builddir srcdir
pass=0 fail=0
for t in "$@"; do
	rc=0
	(cd "$build" && sh "$src/$t") > "$work/out" 2>&1 || rc=$?
	logs=$(find "$work" -name 'vg.*' -size +0)
	if [ $rc -eq 77 ]; then
		echo "SKIP: $t ($(tail -1 "$work/out"))"
	elif [ $rc -eq 0 ] && [ -z "$logs" ]; then
		echo "PASS: $t"
		pass=$((pass + 1))
	else
		echo "FAIL: $t (exit status $rc)"
		[ $rc -eq 0 ] || tail -30 "$work/out"
		for log in $logs; do cat "$log"; done
		fail=$((fail + 1))
	fi
	rm -f "$work"/vg.*
done
echo "valgrind: $pass passed, $fail failed"
[ $fail -eq 0 ]
