#!/bin/sh
# A partition moved while itinerad answers a steady SMS load (issue 21: the move procedure under
# load; since migration 270 the daemon writes the partitions, its request state being there).
# A proxy and 4 partitions on two clusters (tests/lib/pg.sh); the npm smpp SMSC
# (tests/smsc/steady.js on port 27920, admin endpoint on 27921) offers 50 deliver_sm/s from
# distinct subscribers for 12 s, and 3 s in, partition 1 moves from the second cluster to the
# first (contrib/shard/shard.sh move: the proxy writes nothing to it meanwhile, the copy starts
# once the statements begun before are over, then the map changes). Every subscriber must be
# answered exactly once (the partition's subscribers during the copy with the busy text), every
# deliver_sm with 0 or a temporary error, nothing left pending, one audit row per reply on the
# subscriber's partition; every state, pending and audit row on the partition of its key, and
# the old database closed to connections once moved, no session left on it (nothing can write
# there after the map changed: contrib/shard/shard.sh). The transcript must equal
# move_load.ok; how many got the busy text (it depends on the copy's speed) goes to the log.
set -u
ITIN_TEST_PARTITIONS=4
export ITIN_TEST_PARTITIONS
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/steady.sh"
itin_steady_test itin_move_load
smsc=27920
admin=27921
rate=50
secs=12
itin_steady_run $smsc $admin 10s 8s $rate $secs 8613800000000
proxy="host=$PGHOST dbname=$PGDATABASE"
set -- $itin_pg_hosts
old="host=$2 dbname=${PGDATABASE}_p1"
copy="host=$1 dbname=${PGDATABASE}_p1_moved"
sleep 3
sh "$top_srcdir/contrib/shard/shard.sh" move "$proxy" 1 "$copy" \
	> "$WORK/move.out" 2>&1 || { echo "the move failed"; cat "$WORK/move.out"; }
counts="SELECT (SELECT count(*) FROM subscriber_state) || ' ' || (SELECT count(*) FROM request_pending) || ' ' || (SELECT count(*) FROM audit)"
old_after_move=$(itin_pg_closed "$2" "${PGDATABASE}_p1")
copy_after_move=$(psql -XAtq -d "$copy" -c "SELECT count(*) FROM audit")
itin_pg_parts=$(echo "$itin_pg_parts" | sed "s|$old|$copy|")	# the pending rows: the copy's

itin_steady_end
pending_none() { [ "$(itin_pending_count)" = 0 ]; }
itin_poll 100 pending_none
pending=$(itin_pending_count)
itin_daemon_stop

# The rows of the layout as the map now has it: the moved partition's copy, not the old one.
each_partition() {	# SQL, with P for the partition's number
	psql -XAtq -c "SELECT n || ' ' || conninfo FROM itin_partitions() ORDER BY n" |
		while read -r n conninfo; do
			psql -XAtq -d "$conninfo" -c "$(echo "$1" | sed "s/\\bP\\b/$n/g")"
		done
}
replies=$(sed 's/.*"replies":\([0-9]*\).*/\1/' "$WORK/figures")
{
	cat "$WORK/smsc.out"
	echo "pending once the load was answered, without a restart: $pending"
	echo "audit rows on the partitions: $(each_partition "SELECT count(*) FROM audit WHERE action <> 0" |
		awk -v r="$replies" '{ n += $1 } END { print (n == r ? "one per reply" : n " for " r " replies") }'), $(
		each_partition "SELECT key FROM audit WHERE action <> 0" | sort -u | wc -l) subscribers"
	echo "rows off their partition: $(each_partition "SELECT
		(SELECT count(*) FROM subscriber_state WHERE itin_key_hash(key) & 3 <> P) +
		(SELECT count(*) FROM request_pending WHERE itin_key_hash(key) & 3 <> P) +
		(SELECT count(*) FROM audit WHERE itin_key_hash(key) & 3 <> P)" | awk '{ n += $1 } END { print n }')"
	echo "on the proxy: $(psql -XAtq -c "$counts") (states, pending, audit rows)"
	echo "audit rows written to partition 1's copy after the move: $(
		[ "$(psql -XAtq -d "$copy" -c "SELECT count(*) FROM audit")" -gt "$copy_after_move" ] && echo some || echo none)"
	echo "the old database once moved: $old_after_move"
} > "$WORK/out"
echo "figures: $(cat "$WORK/figures")"
echo "busy texts: $(grep -ac 'a partition being moved' "$WORK/itinerad.log")"
cat "$WORK/move.out" "$WORK/smsc.err"
itin_compare tests/shard/move_load.ok
