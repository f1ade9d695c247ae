#!/bin/sh
# The test run again, with everything of ours built by clang with AddressSanitizer and
# UndefinedBehaviorSanitizer (issue 8). contrib/check.sh calls it after the plain run, in the
# configured source tree: `make distdir` gives a clean copy, which is built out of tree in a
# temporary directory; the tests are those of ITIN_SANITIZE_TESTS (tests/Makefile.inc says
# which are left out and why). Any sanitizer report fails the test it happens in.
# Prints "sanitizers: N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/itin-sanitize.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
make -s distdir distdir="$work/src" > /dev/null
# the npm packages the SMPP tests' SMSC needs, as the plain run installed them
[ ! -d tests/smsc/node_modules ] || cp -r tests/smsc/node_modules "$work/src/tests/smsc/"
mkdir "$work/build"
cd "$work/build"
"$work/src/configure" -q CC=clang \
	CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	LDFLAGS="-fsanitize=address,undefined"
make -s -j"$(nproc)" > /dev/null
rc=0
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	make -j"$(nproc)" check TESTS="$(make -s -f - print-sanitize-tests <<'MK'
include Makefile
print-sanitize-tests:
	@echo $(ITIN_SANITIZE_TESTS)
MK
)" > "$work/check.out" 2>&1 || rc=$?
pass=$(sed -n 's/^# PASS: *//p' test-suite.log)
fail=$(sed -n 's/^# FAIL: *//p' test-suite.log)
error=$(sed -n 's/^# ERROR: *//p' test-suite.log)
[ $rc -eq 0 ] || { grep -E '^(FAIL|ERROR)' "$work/check.out"; cat test-suite.log; }
echo "sanitizers: ${pass:-0} passed, $(( ${fail:-0} + ${error:-0} )) failed"
exit $rc
