#!/bin/sh
# The drop-folder loader contrib/feed-drop.sh (issue 22), as itinerad-feed@.service runs it but
# without systemd: of the files in incoming/, a good feed lands in done/ and a bad one (every
# line refused) in failed/, each with the loader's output as NAME.log; a file being written
# (".NAME") is left where it is; a name already taken gets a suffix; the script's status is 1
# when a file failed. The transcript must equal feed_drop.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_test itin_feed_drop
AT=2026-11-20T12:00:00+08:00
ITINERAD_DB=$top_builddir/itinerad-db
export ITINERAD_DB
drop=$work/feeds/events

run() {
	echo "\$ feed-drop.sh events DIR --at $AT"
	sh "$top_srcdir/contrib/feed-drop.sh" events "$drop" --at $AT > "$work/run.out" 2>&1
	rc=$?
	sed "s|$work/||g" "$work/run.out"
	echo "(exit status $rc)"
}
tree() {
	(cd "$drop" && find . -type f | LC_ALL=C sort)
}

{
	"$db" migrate > /dev/null 2>&1 || echo "migrate failed"
	"$db" load cells "$srcdir/tests/db/cells.csv" > /dev/null 2>&1 || echo "load cells failed"
	mkdir -p "$drop/incoming"
	cat > "$drop/incoming/a-good.csv" <<EOF
time,imsi,msisdn,mcc,mnc,lac,ci
2026-11-19T08:00:00+08:00,460001000000001,8613800000001,460,00,4097,1001
EOF
	cat > "$drop/incoming/b-bad.csv" <<EOF
time,imsi,msisdn,mcc,mnc,lac,ci
yesterday,460001000000002,8613800000002,460,00,4097,1001
EOF
	echo "half written" > "$drop/incoming/.c-partial.csv"
	run
	tree
	echo "# done/a-good.csv.log"
	grep -v ' lines/s$' "$drop/done/a-good.csv.log"
	echo "# failed/b-bad.csv.log"
	grep -v ' lines/s$' "$drop/failed/b-bad.csv.log" | sed "s|$work/||g"
	itin_sql "SELECT 'presence rows ' || count(*) FROM presence_recent"

	echo "# the same good file again: done under another name; nothing failed, status 0"
	cp "$drop/done/a-good.csv" "$drop/incoming/a-good.csv"
	run
	tree
} > "$work/out" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript (review the diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/out" "$srcdir/tests/deploy/feed_drop.ok"
diff -u "$srcdir/tests/deploy/feed_drop.ok" "$work/out"
