#!/bin/sh
# Runs the unit test program that belongs to an expected-output file (tests/x/x_test.ok ->
# $top_builddir/tests/x/x_test) and fails if its stdout differs, printing the diff.
ok="$1"
case $ok in
"$srcdir"/*) rel=${ok#"$srcdir"/} ;;
*) rel=$ok ;;
esac
prog="$top_builddir/${rel%.ok}"
out=$(mktemp) || exit 99
trap 'rm -f "$out"' EXIT
(cd "$(dirname "$ok")" && "$prog") > "$out"
rc=$?
if [ $rc -ne 0 ]; then
	echo "$prog exited with status $rc"
	cat "$out"
	exit 1
fi
diff -u "$ok" "$out"
