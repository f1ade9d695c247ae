#!/bin/sh
# An IMSI answers for the MSISDN seen with it last (migration 058). A USSD request carries only
# the IMSI, so after a SIM swap the new IMSI must find its subscriber, and a recycled IMSI must
# never show its new holder the previous holder's places, whatever order the feed's lines and
# files come in. The replies of itinerad-db query by IMSI and by MSISDN must equal
# imsi_moves.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_imsi_moves
ITINERAD_CONFIG="$srcdir/tests/db/itinerad-test.conf"
export ITINERAD_CONFIG
db="$top_builddir/itinerad-db"
data="$srcdir/tests/db"
out=$(mktemp)
trap 'rm -f "$out"; itin_pg_cleanup' EXIT
AT=2026-11-20T12:00:00+08:00

run() {
	echo "\$ itinerad-db $*" | sed "s|$data/||g"
	"$db" "$@" 2>&1 | grep -v ' lines/s$\|^migrate: ' | sed "s|$data/||g"
}
ask() {	# --imsi or --msisdn, the number (on stdin, as operators are told to give it)
	echo "\$ echo $2 | itinerad-db query $1 - --at $AT --lang en"
	echo "$2" | "$db" query "$1" - --at $AT --lang en 2>&1
}

{
	"$db" migrate > /dev/null 2>&1 || echo "migrate failed"
	"$db" load cells "$data/cells.csv" > /dev/null 2>&1 || echo "load cells failed"
	echo "# one load: 8613800000005 swaps IMSI 05 for 06 on 11-16; IMSI 07 is 8613800000007's"
	echo "# on 11-12 and 8613800000008's on 11-17; 8613800000009's line with IMSI 09 (11-11) comes"
	echo "# after its lines with IMSI 10 (11-18)"
	run load events "$data/imsi-moves.csv" --at $AT
	ask --imsi 460001000000006
	ask --imsi 460001000000005
	ask --imsi 460001000000007
	ask --msisdn 8613800000007
	ask --imsi 460001000000010
	ask --imsi 460001000000009
	echo "# an older file loaded later: IMSI 07 stays with 8613800000008"
	run load events "$data/imsi-moves-old.csv" --at $AT
	ask --imsi 460001000000007
	ask --msisdn 8613800000007
	echo "# one folded row per transaction: IMSI 11 is 8613800000011's on 11-18; the later batch"
	echo "# with 8613800000012 on 11-13 does not take it"
	run --batch-rows 1 load events "$data/imsi-moves-batches.csv" --at $AT
	ask --imsi 460001000000011
	ask --msisdn 8613800000012
} > "$out" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript (review the diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$out" "$srcdir/tests/db/imsi_moves.ok"
diff -u "$srcdir/tests/db/imsi_moves.ok" "$out"
