#!/bin/sh
# What an operator relies on (issue 7), against the npm smpp SMSC (port 24013, admin endpoint
# on 25013): itinerad --check on good and bad configs; /healthz, /readyz and /metrics, the
# metrics parsed by the Python prometheus_client text parser (Debian's
# python3-prometheus-client); SIGHUP changing a reply text and a keyword while the SMSC link
# stays bound, and naming the changed settings it does not apply (a link's enquire_link, the
# admin listen); a bad config on SIGHUP refused; SIGTERM with replies held off by the SMSC,
# answered before the unbind. Transcript and audit rows compared with ops.ok.
set -u
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/daemon.sh"
/usr/bin/python3 -c 'import prometheus_client.parser' 2>/dev/null ||
	{ echo "python3-prometheus-client missing"; exit 77; }
itin_sms_test itin_ops
port=24013
admin=http://127.0.0.1:25013
itin_daemon_conf "$WORK/itinerad.conf" $port < /dev/null
cp "$WORK/itinerad.conf" "$WORK/base.conf"
{
	echo "# itinerad --check"
	for conf in "$WORK/itinerad.conf" "$srcdir/tests/config/bad-window.conf" \
		"$srcdir/tests/config/bad-smpp-twice.conf"; do
		msg=$("$top_builddir/itinerad" --check -c "$conf" 2>&1)
		echo "$msg (exit status $?)" | sed "s|$WORK/||; s|$srcdir/||"
	done
} > "$WORK/out"

# An HTTP GET with the standard library: status line, then the body.
cat > "$WORK/get.py" <<'PY'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        print(r.status, r.read().decode(), end="")
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode(), end="")
PY
# /metrics through prometheus_client's parser; the samples that the scenario fixes are printed
# (durations, timestamps and the database's own counters vary from run to run).
cat > "$WORK/metrics.py" <<'PY'
import sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
text = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()
families = list(text_string_to_metric_families(text))
stable = ("itinerad_requests_total", "itinerad_replies_total", "itinerad_smpp_link_up",
          "itinerad_smpp_binds_total", "itinerad_sms_parts_total", "itinerad_gsup_link_up",
          "itinerad_request_duration_seconds_count", "itinerad_requests_in_flight")
print("parsed %d metric families" % len(families))
for f in families:
    for s in f.samples:
        if s.name in stable and s.value:
            labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
            print("%s{%s} %g" % (s.name, labels, s.value))
PY
cat > "$WORK/scrape.sh" <<SH
{
	echo "# GET /healthz, /readyz, /nothing"
	/usr/bin/python3 "$WORK/get.py" $admin/healthz
	/usr/bin/python3 "$WORK/get.py" $admin/readyz
	/usr/bin/python3 "$WORK/get.py" $admin/nothing
	echo "# GET /metrics"
	/usr/bin/python3 "$WORK/metrics.py" $admin/metrics
} > "$WORK/\$1" 2>&1
SH
cat > "$WORK/reload.sh" <<SH
if [ "\${1:-}" = bad ]; then
	printf '[service]\nwindow_days = 0\n' >> "$WORK/itinerad.conf"
else
	# two settings a reload does not apply, which the log names (issue 22); nothing listens
	# on 26602
	sed 's/^enquire_link = 30s/enquire_link = 20s/; s/^listen = .*/listen = 127.0.0.1:26602/' \
		"$WORK/base.conf" > "$WORK/itinerad.conf"
	printf '[keywords]\nquery = WHERE\n[templates zh]\nhelp = "【行程卡】新的帮助文本：发送CXMYD查询。"\n' >> "$WORK/itinerad.conf"
fi
# the reload is done when the log says so, either way
. "$top_srcdir/tests/lib/daemon.sh"
seen=\$(grep -c 'SIGHUP: config' "$WORK/itinerad.log")
kill -HUP \$(cat "$WORK/itinerad.pid")
itin_poll 50 eval '[ \$(grep -c "SIGHUP: config" "$WORK/itinerad.log") -gt \$seen ]'
SH

itin_smsc_start $port "$srcdir/tests/ops/ops.scenario" "$WORK/smsc.out" "$WORK/smsc.err"
itin_daemon_start "$WORK/itinerad.conf" "$WORK/itinerad.log"
echo "$ITIN_DAEMON_PID" > "$WORK/itinerad.pid"
wait $ITIN_SMSC_PID
wait "$ITIN_DAEMON_PID"
echo "itinerad exit status $?" > "$WORK/exit"
ITIN_DAEMON_PID=
{
	cat "$WORK/metrics-1"
	echo "# the SMSC's side"
	# From SIGTERM's requests on, retries make the order vary: each PDU with its indented
	# lines is one record, sorted; what matters is that the unbind comes after every reply.
	awk '/^deliver_sm gsm from 8613800000003/ { tail = 1 }
	     !tail { print; next }
	     /^  / { rec[n] = rec[n] "\t" $0; next }
	     { rec[++n] = $0 }
	     END {
		print "unbind after every reply: " (rec[n] == "unbind" ? "yes" : "no")
		for (i = 1; i <= n; i++) print rec[i] | "sort"
	     }' "$WORK/smsc.out" | tr '\t' '\n'
	cat "$WORK/exit"
	echo "# the log on SIGHUP and SIGTERM"
	grep -o 'SIGHUP.*\|signal 15.*\|requests still.*' "$WORK/itinerad.log" | sed "s|$WORK/||"
	echo "# audit: intent, action, parts"
	psql -XAtq -c "SELECT intent, action, parts, count(*) FROM audit GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	echo "# pending: $(psql -XAtq -c 'SELECT count(*) FROM request_pending')"
} >> "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/ops/ops.ok"
diff -u "$srcdir/tests/ops/ops.ok" "$WORK/out" || { tail -30 "$WORK/itinerad.log"; exit 1; }
