#!/bin/sh
# Runs a unit test program (tests/x/x_test) in the folder of its expected output,
# $srcdir/tests/x/x_test.ok, and fails if its stdout differs, printing the diff.
prog="$1"
case $prog in
"$top_builddir"/*) rel=${prog#"$top_builddir"/} ;;
./*) rel=${prog#./} ;;
*) rel=$prog ;;
esac
ok="$srcdir/$rel.ok"
out=$(mktemp) || exit 99
trap 'rm -f "$out"' EXIT
(cd "$(dirname "$ok")" && "$top_builddir/$rel") > "$out"
rc=$?
if [ $rc -ne 0 ]; then
	echo "$rel exited with status $rc"
	cat "$out"
	exit 1
fi
diff -u "$ok" "$out"
