#!/bin/sh
# The feed line reader on lines longer than any valid one (issue 17, finding 1): a line of
# 1 MiB + 10 bytes followed by more than 1 MiB of valid lines once made the reader write past
# its buffer (heap overflow under ASan, "double free or corruption" in a plain build). Each such
# line is refused with its number wherever it falls (across a read block, inside one, last in
# the file without a newline) and the lines around it are loaded. Cells and risk areas (the
# events loader shares the reader). The transcript must equal long_lines.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_test itin_long_lines

xs() { head -c "$1" /dev/zero | tr '\0' x; }

{
	echo 'mcc,mnc,lac,ci,region_code'
	xs $((1048576 + 10)); echo
	# 60,000 valid lines (1.4 MiB), with one 5,000-byte line inside a read block
	awk 'BEGIN { for (i = 1; i <= 60000; i++) printf "460,00,%d,%d,110100\n", 1 + i % 60, i }'
	xs 5000; echo
	echo '460,00,7,7,440100'
	xs 4097
} > "$work/cells.csv"
{
	echo 'region_code,level,valid_from,valid_to'
	xs $((2 * 1048576 + 3)); printf '\r\n'
	echo '110100,medium,2026-11-01,2026-11-30'
} > "$work/risk.csv"

{
	itin_run migrate | grep -v "^migrate: "
	itin_run load cells "$work/cells.csv"
	psql -XAtq -c "SELECT 'cells ' || count(*) || ', Guangzhou ' || count(*) FILTER (WHERE region_code = 440100) FROM cell"
	itin_run load risk "$work/risk.csv"
	psql -XAtq -c "SELECT region_code, level FROM risk_area"
} > "$work/transcript" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript (review the diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/transcript" "$srcdir/tests/db/long_lines.ok"
diff -u "$srcdir/tests/db/long_lines.ok" "$work/transcript"
