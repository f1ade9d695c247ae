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
