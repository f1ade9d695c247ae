#!/bin/sh
# The drop-folder loader (issue 22): loads each file of DIR/incoming with `itinerad-db load
# FEED` and moves it to DIR/done when the load succeeded, to DIR/failed when it did not (a
# malformed feed, more than max_refused_percent refused, no database), with the loader's
# output beside it as NAME.log. Files are taken in name order; names starting with "." are
# left alone (a file still being written, from cron; under the path unit, write files beside
# incoming/ and move them in, since any file there starts it again). A name already in done/ or
# failed/ gets a ".N" suffix. Started by itinerad-feed@FEED.path
# (contrib/systemd) whenever DIR/incoming is not empty; usable from cron as well.
# The config is itinerad-db's ($ITINERAD_CONFIG, or its default); $ITINERAD_DB names the
# program (default: itinerad-db in $PATH).
# usage: feed-drop.sh FEED DIR [ITINERAD-DB OPTIONS...]
# Exits 1 when a file failed, 2 on a usage error.
set -u
[ $# -ge 2 ] || { echo "usage: feed-drop.sh cells|events|risk DIR [itinerad-db options]" >&2; exit 2; }
feed=$1
dir=$2
shift 2
case $feed in
cells|events|risk) ;;
*) echo "feed-drop.sh: unknown feed $feed (cells, events or risk)" >&2; exit 2 ;;
esac
db=${ITINERAD_DB:-itinerad-db}
mkdir -p "$dir/incoming" "$dir/done" "$dir/failed" || exit 2

# Moves $1 into directory $2 under a name not taken there; prints the name.
move() {
	name=$(basename "$1")
	to=$name
	n=1
	while [ -e "$2/$to" ]; do
		to=$name.$n
		n=$((n + 1))
	done
	mv "$1" "$2/$to" && echo "$to"
}

status=0
for f in "$dir"/incoming/*; do
	[ -f "$f" ] || continue
	log=$(mktemp "$dir/.feed-drop.XXXXXX") || exit 2
	if "$db" "$@" load "$feed" "$f" > "$log" 2>&1; then
		to=done
	else
		to=failed
		status=1
	fi
	name=$(move "$f" "$dir/$to") || { rm -f "$log"; exit 2; }
	mv "$log" "$dir/$to/$name.log"
	echo "feed-drop: $feed $(basename "$f") -> $to/$name"
done
exit $status
