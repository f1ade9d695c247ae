#!/bin/sh
# Builds every libFuzzer harness of tests/fuzz with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs each for SECONDS (default 60) on a copy of its seed
# corpus (tests/fuzz/corpus/NAME). Prints executions and coverage per harness. Not part of the
# default test run. A crash leaves its input in the work directory: add it to the corpus and
# to tests/fuzz/regress.txt once fixed. A harness names the sources it links on " * sources: "
# lines of its header comment (tests/fuzz/sources.sh).
# usage: tests/fuzz/run.sh [SECONDS] [HARNESS...]
set -eu
secs=${1:-60}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${ITIN_FUZZ_DIR:-$(mktemp -d /tmp/itin-fuzz.XXXXXX)}
cflags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$top \
	$(pkg-config --cflags libosmocore libosmogsm talloc libevent libsmpp34 libpq)"
libs="$(pkg-config --libs libosmogsm libosmocore talloc libevent libsmpp34)"
harnesses=${*:-feed_csv read_lines config text facility smpp gsup admin concat}

for h in $harnesses; do
	extra=
	case $h in
	feed_csv) srcs="$top/common/feed_csv.c $top/common/localtime.c" ;;
	read_lines)	# tiny blocks and lines, so that short inputs reach every edge (the harness)
		srcs="$top/db/db_copy.c $top/common/feed_csv.c $top/common/localtime.c $top/common/log.c"
		extra="-DREAD_BLOCK=7 -DMAX_LINE=5 $(pkg-config --libs libpq)" ;;
	config) srcs="$top/common/config.c" ;;
	*) srcs=$(sh "$here/sources.sh" "$h" "$work") ;;
	esac
	clang $cflags -o "$work/fuzz_$h" "$here/fuzz_$h.c" $srcs $libs $extra
	mkdir -p "$work/corpus_$h"
	[ -d "$here/corpus/$h" ] && cp "$here/corpus/$h"/* "$work/corpus_$h/" 2>/dev/null || true
	(cd "$work" && "./fuzz_$h" -max_total_time="$secs" -print_final_stats=1 "corpus_$h" \
		> "$work/$h.log" 2>&1) || { echo "$h: FAILED, see $work/$h.log"; tail -30 "$work/$h.log"; exit 1; }
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$h.log")
	cov=$(grep -o 'cov: [0-9]*' "$work/$h.log" | tail -1)
	echo "$h: $execs executions in ${secs}s, $cov edges"
done
