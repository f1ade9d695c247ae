#!/bin/sh
# SMS parts byte for byte (tests/sms/parts_test.c, golden parts_test.ok), then decoded and
# reassembled by code we did not write: the npm smpp and split-sms packages
# (tests/smsc/parts_check.js, golden parts_check.ok).
set -u
command -v node > /dev/null || { echo "node missing"; exit 77; }
. "$top_srcdir/tests/lib/npm.sh"
itin_npm_ci || exit 99
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$top_builddir/tests/sms/parts_test" > "$out/parts" || { cat "$out/parts"; exit 1; }
node "$top_srcdir/tests/smsc/parts_check.js" < "$out/parts" > "$out/check"
check_rc=$?
if [ -n "${ITIN_UPDATE_GOLDEN:-}" ]; then
	cp "$out/parts" "$srcdir/tests/sms/parts_test.ok"
	cp "$out/check" "$srcdir/tests/sms/parts_check.ok"
fi
diff -u "$srcdir/tests/sms/parts_test.ok" "$out/parts" &&
	diff -u "$srcdir/tests/sms/parts_check.ok" "$out/check" && [ $check_rc -eq 0 ]
