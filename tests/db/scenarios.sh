#!/bin/sh
# The engine's golden scenarios (tests/engine/scenarios/*.txt) through the database: each one's
# presence rows become feed events (tests/lib/scenario_feed.awk), loaded after a purge with its
# options in the config and its risk list loaded, then itinerad-db query answers by MSISDN at
# its query time. The replies must equal the scenarios' own expected output, their sections of
# tests/engine/itinerary_test.ok (read from it, not copied); the scenarios the database path
# cannot express (other texts, their parts, no row at all), with why, must equal scenarios.ok.
# tests/shard/scenarios.sh runs this on the partitioned layout, against the same two files.
#
# A row's first and last seen are two events at a cell of its region (one cells file with a
# cell per region code); rows older than the window are loaded first, by a load of their own
# time (the loader keeps only the window's days back from its clock), the rest by a load at the
# query time with one event of another subscriber at the scenario's "updated" time, the newest
# event loaded, which the replies give as their freshness. Loads in batches of 1,000 rows (a
# scenario has fewer) spare the default batch's 2^21-slot table, cleared on every load.
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_test itin_scenarios
MSISDN=8613800000001
IMSI=460001000000001

# The cell of a region code: lac and ci from its digits, unique per code.
cells() {
	echo "mcc,mnc,lac,ci,region_code"
	awk -F, 'NR > 1 { printf "460,00,%d,%d,%s\n", int($1 / 1000), $1 % 1000 + 1, $1 }' \
		"$top_srcdir/data/regions-cn.csv"
}
# The engine's domestic cities in code order (engine/gen_places.sh): "many N" takes these.
LC_ALL=C awk -F, 'NR > 1 && $4 == "city" && $1 != 810100 && $1 != 820100 { print $1 }' \
	"$top_srcdir/data/regions-cn.csv" | LC_ALL=C sort > "$work/cities"
# A scenario's events (LOCAL-TIME CELL|mcc MCC, Unix seconds first) as feed lines.
feed() {
	echo "time,imsi,msisdn,mcc,mnc,lac,ci"
	awk -v imsi=$IMSI -v msisdn=$MSISDN '{
		if ($2 == "mcc")
			printf "%s,%s,%s,%s,01,1,1\n", $1, imsi, msisdn, $3
		else
			printf "%s,%s,%s,460,00,%d,%d\n", $1, imsi, msisdn, int($2 / 1000), $2 % 1000 + 1
	}'
}
# Quiet unless it fails: then its output and status, in the transcript.
run() {
	out=$("$db" "$@" 2>&1) || printf '%s\n(itinerad-db %s: exit status %s)\n' "$out" "$1" $?
}

"$db" migrate > /dev/null 2>&1 || echo "migrate failed"
cells > "$work/cells.csv"
run load cells "$work/cells.csv"
mkdir "$work/sc"
awk -v out="$work/sc" -v cities="$work/cities" -f "$top_srcdir/tests/lib/scenario_feed.awk" \
	"$srcdir"/tests/engine/scenarios/*.txt || exit 1
: > "$work/skipped"
: > "$work/names"
for d in "$work"/sc/*; do
	name=$(cat "$d/name")
	if [ -f "$d/skip" ]; then
		echo "$name: $(cat "$d/skip")" >> "$work/skipped"
		continue
	fi
	echo "$name" >> "$work/names"
	cat "$srcdir/tests/db/itinerad-test.conf" "$d/conf" > "$d/itinerad.conf" 2> /dev/null
	ITINERAD_CONFIG=$d/itinerad.conf
	export ITINERAD_CONFIG
	zone=$(cat "$d/zone")
	days=$(sed -n 's/^window_days = //p' "$d/conf" 2> /dev/null)
	now=$(TZ=$zone date -d "$(cat "$d/now")" +%s)
	updated=$(TZ=$zone date -d "$(cat "$d/updated")" +%s)
	cut -d' ' -f1,2 "$d/events" | TZ=$zone date -f - +%s | paste -d' ' - "$d/events" |
		cut -d' ' -f1,4- | feed > "$d/feed"
	old=$((now - ${days:-14} * 86400))
	{ head -1 "$d/feed"; awk -F, -v old=$old 'NR > 1 && $1 < old' "$d/feed"; } > "$d/old.csv"
	{
		head -1 "$d/feed"
		awk -F, -v old=$old 'NR > 1 && $1 >= old' "$d/feed"
		echo "$updated,460001000000999,8613900000999,460,00,110,101"
	} > "$d/events.csv"
	run purge --yes
	[ -f "$d/risk" ] && { echo "region_code,level,valid_from,valid_to"; cat "$d/risk"; } > "$d/risk.csv" &&
		run load risk "$d/risk.csv"
	[ "$(wc -l < "$d/old.csv")" -gt 1 ] &&
		run --batch-rows 1000 load events "$d/old.csv" --at "$(tail -n +2 "$d/old.csv" | cut -d, -f1 | sort -n | tail -1)"
	run --batch-rows 1000 load events "$d/events.csv" --at "$now"
	echo "== $name"
	echo $MSISDN | "$db" query --msisdn - --at "$now" --lang "$(cat "$d/lang")" 2>&1
done > "$work/replies"

# The expected replies: the sections of itinerary_test.ok of the scenarios run, in their order.
awk -v names="$work/names" 'BEGIN { while ((getline n < names) > 0) run[n] = 1 }
	/^== / { on = substr($0, 4) in run } on' "$srcdir/tests/engine/itinerary_test.ok" > "$work/expected"
{
	echo "# through itinerad-db query: $(grep -c . "$work/names") scenarios; not through the database:"
	cat "$work/skipped"
} > "$work/out"

# ITIN_UPDATE_GOLDEN=1 rewrites scenarios.ok (review the diff before committing it), never
# itinerary_test.ok, which the engine's own test writes.
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$work/out" "$srcdir/tests/db/scenarios.ok"
diff -u "$work/expected" "$work/replies" && diff -u "$srcdir/tests/db/scenarios.ok" "$work/out"
