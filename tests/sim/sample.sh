#!/bin/sh
# itinerad-sample: the same seed gives byte-identical files, another seed different ones, a
# subscriber's events do not depend on N, and a small run has the exact shape recorded in
# sample.ok (counts, the head of both files, the first lines of each kind).
set -eu
bin=$top_builddir/itinerad-sample
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {	# SEED NAME N
	"$bin" --seed "$1" --subscribers "$3" --days 14 --end 1717171717 \
		--cells "$tmp/$2.cells" --events "$tmp/$2.events" 2> "$tmp/$2.err"
}
same() { [ "$(sha256sum < "$1")" = "$(sha256sum < "$2")" ]; }

run 42 a 2000
run 42 b 2000
run 43 c 2000
run 42 small 300
same "$tmp/a.events" "$tmp/b.events" || { echo "seed 42 twice: events differ"; exit 1; }
same "$tmp/a.cells" "$tmp/b.cells" || { echo "seed 42 twice: cells differ"; exit 1; }
! same "$tmp/a.events" "$tmp/c.events" || { echo "seeds 42 and 43: same events"; exit 1; }
! same "$tmp/a.cells" "$tmp/c.cells" || { echo "seeds 42 and 43: same cells"; exit 1; }
n=$(wc -l < "$tmp/small.events")
head -n "$n" "$tmp/a.events" | cmp -s - "$tmp/small.events" ||
	{ echo "the first 300 subscribers differ between N=300 and N=2000"; exit 1; }
"$bin" --seed 42 --subscribers 2000 --end 1717171717 --cells "$tmp/d.cells" --events - \
	2> /dev/null > "$tmp/d.events"
same "$tmp/a.events" "$tmp/d.events" || { echo "--events - differs from a file"; exit 1; }
rc=0
"$bin" --seed 42 --subscribers 2000 --end 1717171717 --cells "$tmp/e.cells" 2> /dev/null || rc=$?
[ "$rc" = 2 ] || { echo "no --events: exit $rc, expected 2"; exit 1; }
rc=0
"$bin" --seed 1 --subscribers 100 --msisdn-base 99 --end 1 --cells "$tmp/f.cells" --events - \
	> /dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || { echo "MSISDN base overflow: exit $rc, expected 2"; exit 1; }

{
	cat "$tmp/a.err"
	echo "cells lines: $(wc -l < "$tmp/a.cells")"
	echo "events lines: $(wc -l < "$tmp/a.events")"
	echo "ISO 8601 times: $(grep -c '^....-' "$tmp/a.events")"
	echo "events by MCC:"
	cut -d, -f4 "$tmp/a.events" | sed 1d | sort | uniq -c
	echo "registry by PLMN:"
	sed 1,2d "$tmp/a.cells" | cut -d, -f1,2 | sort | uniq -c
	echo "--- head of cells"
	head -n 6 "$tmp/a.cells"
	echo "--- test PLMN cells"
	grep '^001,' "$tmp/a.cells"
	echo "--- head of events"
	head -n 20 "$tmp/a.events"
	echo "--- first events abroad and on the test PLMN"
	grep -m 3 ',454,' "$tmp/a.events"
	grep -m 3 ',310,' "$tmp/a.events"
	grep -m 3 ',001,01,' "$tmp/a.events"
	echo "--- unknown cells"
	grep -E ',6[0-4][0-9]{3}$' "$tmp/a.events" | grep -E ',(460|001),'
} > "$tmp/out"
diff -u "$top_srcdir/tests/sim/sample.ok" "$tmp/out"
