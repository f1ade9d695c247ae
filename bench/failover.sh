#!/bin/sh
# Failover (issue 20 item 3): tests/ha/failover.sh at RATE deliver_sm a second (default 300)
# for SECONDS (default 30): a pg_auto_failover group (monitor, primary, synchronous standby) on
# 127.0.0.1, itinerad on its multi-host conninfo, the primary node killed with SIGKILL after
# about 5 s of load. Prints the failover time (from the kill to the first reply to a request
# recorded through the new primary), the requests refused with the temporary error 0x64 (and
# the deliver_sm so answered, the SMSC's repeats included) and those answered with the busy
# text meanwhile, and the test's own verdict. The monitor's timeouts are the test's shortened
# ones (doc/manual/operator.md, "High availability"); with pg_auto_failover's defaults the
# promotion alone takes about 35 s.
# usage: bench/failover.sh [RATE] [SECONDS]     (from a build directory)
set -u
rate=${1:-300}
secs=${2:-30}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=$(cd "${top_builddir:-.}" && pwd)
work=$(mktemp -d /tmp/itin-bench-failover.XXXXXX)
trap 'rm -rf "$work"' EXIT
srcdir=$top_srcdir ITIN_HA_RATE=$rate ITIN_HA_SECONDS=$secs ITIN_HA_KILL_AT=5 \
	ITIN_HA_FIGURES="$work/figures" top_srcdir=$top_srcdir top_builddir=$top_builddir \
	sh "$top_srcdir/tests/ha/failover.sh" > "$work/log" 2>&1
rc=$?
[ "$rc" = 0 ] || tail -30 "$work/log"
[ -f "$work/figures" ] || { echo "failover: no figures (test exit $rc)"; tail -20 "$work/log"; exit 1; }
python3 - "$work/figures" "$rate" "$secs" "$rc" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
ms = f.get("failover_ms")
print("failover at %s deliver_sm/s for %s s, primary node killed with SIGKILL:" % (sys.argv[2], sys.argv[3]))
print("  kill to the first reply through the new primary: %s" % ("%.1f s" % (ms / 1000) if ms is not None else "none"))
print("  meanwhile: %d requests refused with the temporary error 0x64 (%d deliver_sm with the"
      " SMSC's repeats every second), %d busy texts"
      % (f.get("requests_refused_during", 0), f.get("temporary_errors_during", 0),
         f.get("busy_during", 0)))
print("  replies %d; the test's checks: %s" % (f["replies"], "passed" if sys.argv[4] == "0" else "FAILED (exit %s)" % sys.argv[4]))
PY
