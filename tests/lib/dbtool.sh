# Sourced by the database tests that write itinerad-db's own lines into their transcript (after
# tests/lib/pg.sh and itin_pg_db). $ITIN_STRIP is a directory left out of the paths printed
# (the test's data or work directory); $db is itinerad-db.
#   itin_sql SQL             psql, tuples only, stopping at the first error
#   itin_run ARGS...         "$ itinerad-db ARGS", then what it printed without the rate lines
#                            (timings vary) and paths (they depend on the checkout), then its
#                            exit status when not 0
#   itin_ask NUMBER ARGS...  "$ echo NUMBER | itinerad-db query ARGS": the number on stdin, as
#                            operators are told to give it; printed as itin_run prints
db="$top_builddir/itinerad-db"
ITIN_STRIP=${ITIN_STRIP:-/nonexistent}

itin_sql() { psql -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

# The output of a run (in $itin_tool_out) and its exit status ($1), as itin_run prints them.
itin_tool_result() {
	[ -z "$itin_tool_out" ] ||
		printf '%s\n' "$itin_tool_out" | grep -v ' lines/s$' |
		sed "s|$ITIN_STRIP/||g; s|from /.*|from DATA|"
	[ "$1" -eq 0 ] || echo "(exit status $1)"
}

itin_run() {
	echo "\$ itinerad-db $*" | sed "s|$ITIN_STRIP/||g"
	itin_tool_out=$("$db" "$@" 2>&1)
	itin_tool_result $?
}

itin_ask() {
	itin_ask_number=$1
	shift
	echo "\$ echo $itin_ask_number | itinerad-db query $*"
	itin_tool_out=$(echo "$itin_ask_number" | "$db" query "$@" 2>&1)
	itin_tool_result $?
}

# itin_retention_two AT: the retention tests' database (tests/privacy/retention.sh,
# tests/shard/retention.sh) migrated, the test cells loaded, and two subscribers' events: B in
# Guangzhou on 2026-10-30 (loaded that evening), A in Beijing on 2026-11-19 (loaded at AT).
itin_retention_two() {
	"$db" migrate > /dev/null 2>&1 || echo "migrate failed"
	"$db" load cells "$srcdir/tests/db/cells.csv" > /dev/null 2>&1 || echo "load cells failed"
	echo "# B was in Guangzhou on 2026-10-30 (loaded that evening), A in Beijing on 2026-11-19"
	printf 'time,imsi,msisdn,mcc,mnc,lac,ci\n' > "$work/b.csv"
	printf '2026-10-30T%s:00:00+08:00,460001000000002,8613800000002,460,00,8193,2001\n' 08 13 \
		>> "$work/b.csv"
	itin_run load events "$work/b.csv" --at 2026-10-30T20:00:00+08:00
	printf 'time,imsi,msisdn,mcc,mnc,lac,ci\n' > "$work/a.csv"
	printf '2026-11-19T%s:00:00+08:00,460001000000001,8613800000001,460,00,4097,1001\n' 08 13 \
		>> "$work/a.csv"
	itin_run load events "$work/a.csv" --at "$1"
}
