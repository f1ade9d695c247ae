#!/bin/sh
# Prints the source files a fuzz harness links besides itself: those its header comment names
# on " * sources: " lines (paths from the top of the tree), with engine/places_table.c, which
# the build generates, generated into WORKDIR. Used by run.sh and replay.sh.
# usage: tests/fuzz/sources.sh HARNESS WORKDIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
for src in $(sed -n 's/^ \* sources: //p' "$here/fuzz_$1.c"); do
	if [ "$src" = engine/places_table.c ]; then
		[ -f "$2/places_table.c" ] || sh "$top/engine/gen_places.sh" "$top/data" > "$2/places_table.c"
		echo "$2/places_table.c"
	else
		echo "$top/$src"
	fi
done
