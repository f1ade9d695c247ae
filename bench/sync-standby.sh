#!/bin/sh
# SMS and USSD maximum rates with the synchronous standby (issue 20): bench/sms-rate.sh (one
# round) and bench/ussd-rate.sh, each on a single PostgreSQL node and then on a
# pg_auto_failover group (monitor, primary, synchronous standby on 127.0.0.1; bench/lib.sh
# with ITIN_BENCH_PGAF), where every commit waits for the standby's flush. Prints both side by
# side: the floor (pgbench on the lookup, which reads only: the standby does not change it),
# itinerad's maximum and its ratio to the floor.
# usage: bench/sync-standby.sh [SMS_SUBSCRIBERS] [USSD_SUBSCRIBERS] [SECONDS]
#        (from a build directory)
set -eu
sms_subs=${1:-100000}
ussd_subs=${2:-100000}
secs=${3:-20}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=$(cd "${top_builddir:-.}" && pwd)
export top_srcdir top_builddir
out=$(mktemp -d /tmp/itin-bench-sync.XXXXXX)
trap 'rm -rf "$out"' EXIT

for setup in single pgaf; do
	pgaf=
	[ "$setup" = single ] || pgaf=1
	ITIN_BENCH_PGAF=$pgaf sh "$top_srcdir/bench/sms-rate.sh" "$sms_subs" "$secs" 1 \
		> "$out/sms-$setup" 2> "$out/sms-$setup.err" ||
		{ echo "sms-rate.sh ($setup) failed:"; tail "$out/sms-$setup.err"; exit 1; }
	ITIN_BENCH_PGAF=$pgaf sh "$top_srcdir/bench/ussd-rate.sh" "$ussd_subs" "$secs" \
		> "$out/ussd-$setup" 2> "$out/ussd-$setup.err" ||
		{ echo "ussd-rate.sh ($setup) failed:"; tail "$out/ussd-$setup.err"; exit 1; }
done

# FILE PATTERN: the floor and itinerad's rate of sms-rate.sh's or ussd-rate.sh's table
sms_figures() {
	awk '/floor, pgbench/ { f = $(NF - 1) } /itinerad, consent off/ { r = $(NF - 1) }
		END { printf "%s %s", f, r }' "$1"
}
ussd_figures() {
	awk '/^floor: pgbench/ { f = $(NF - 1) } /^itinerad, [0-9]+ in flight/ { r = $5 }
		END { printf "%s %s", f, r }' "$1"
}
echo "With the synchronous standby: SMS $sms_subs and USSD $ussd_subs subscribers, $secs s per run, $(nproc) cores"
printf '%-34s %10s %10s %7s   %10s %10s %7s\n' "" "floor /s" "max /s" "ratio" "floor /s" \
	"max /s" "ratio"
printf '%-34s %29s   %29s\n' "" "single node" "primary + synchronous standby"
for ch in sms ussd; do
	set -- $(${ch}_figures "$out/$ch-single") $(${ch}_figures "$out/$ch-pgaf")
	awk -v l="$(echo $ch | tr a-z A-Z) (consent off)" -v f1="$1" -v r1="$2" -v f2="$3" -v r2="$4" \
		'BEGIN { printf "%-34s %10.0f %10.0f %7.2f   %10.0f %10.0f %7.2f\n", l, f1, r1, r1 / f1,
			 f2, r2, r2 / f2 }'
done
