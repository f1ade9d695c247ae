#!/bin/sh
# The Kannel baseline (issue 9): the service as an operator would otherwise build it, Debian's
# Kannel (bearerbox as an SMPP ESME, smsbox with an sms-service get-url) in front of a small web
# application that runs the same lookup and renders the same text (bench/kannel/webapp.c), side
# by side with itinerad (consent off) and the pgbench floor, on SUBSCRIBERS (default 1,000,000)
# subscribers' 14 days, with the same SMSC load generator (bench/itinerad-smsc-load). Checks
# first, at 50/s, that both send the same, complete replies; then ROUNDS (default 2) alternating
# rounds of floor, Kannel and itinerad at OUTSTANDING (default 400) in flight; then each at half
# its own maximum. The web application has WEBAPP_WORKERS (default 4) processes. Every run
# leaves its first 5 s out of the figures (new PostgreSQL backends, of itinerad and of the web
# application alike, first map the shared buffers they touch; see sms-rate.sh); the CPU
# figures cover the whole run.
# Kannel runs as packaged: started with -v 4 as Debian's init script does, logs at warning level,
# no access log, no message store; its boxes do not set TCP_NODELAY between themselves.
# Installs Debian's kannel with apt-get when it is missing (root only). The load generator walks
# the subscribers in a fixed order, and over again with the keyword in another case (see
# sms-rate.sh).
# usage: bench/kannel-rate.sh [SUBSCRIBERS] [SECONDS]     (from a build directory; KEEP=1 keeps
# the logs and the load generator's outputs)
set -eu
subs=${1:-1000000}
secs=${2:-20}
rounds=${ROUNDS:-2}
outstanding=${OUTSTANDING:-400}
workers=${WEBAPP_WORKERS:-4}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
KANNEL_BIN=${KANNEL_BIN:-/usr/sbin}
# Ports 24800-24899: bearerbox admin, bearerbox<->smsbox, the load generator as Kannel's SMSC,
# the web application, the load generator as itinerad's SMSC, itinerad's admin endpoint.
admin_port=24800 smsbox_port=24801 kannel_smsc_port=24802 web_port=24803 itin_port=24810
itin_admin_port=24811

# What this needs beyond the project's dependencies: Kannel itself, curl for bearerbox's status
# page, /usr/bin/time for the load generator's CPU.
need=
[ -x "$KANNEL_BIN/bearerbox" ] && [ -x "$KANNEL_BIN/smsbox" ] || need="$need kannel"
command -v curl > /dev/null || need="$need curl"
[ -x /usr/bin/time ] || need="$need time"
if [ -n "$need" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "kannel-rate: needs Debian's$need: apt-get install$need (as root)" >&2
		exit 1
	fi
	echo "kannel-rate: installing Debian's$need with apt-get ..." >&2
	apt-get update -qq >&2
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >&2
	# The package's own service (bearerbox and wapbox on ports 13000-13013) is not ours:
	# stop it and keep it from starting at boot.
	systemctl disable --now kannel > /dev/null 2>&1 || true
	if [ -x /etc/init.d/kannel ]; then /etc/init.d/kannel stop > /dev/null 2>&1 || true; fi
fi

. "$top_srcdir/bench/lib.sh"
bench_work kannel
mkdir "$work/kannel"
# kill PIDFILE: TERM, then KILL after 10 s (a bearerbox whose SMSC is gone may linger).
stop_pid() {
	[ -s "$1" ] || return 0
	p=$(cat "$1")
	kill "$p" 2> /dev/null || true
	i=0
	while kill -0 "$p" 2> /dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$p" 2> /dev/null || true
	wait "$p" 2> /dev/null || true
	rm -f "$1"
}
cleanup() {
	for f in smsbox bearerbox webapp itinerad; do stop_pid "$work/$f.pid"; done
	bench_pg_stop
	if [ -n "${KEEP:-}" ]; then echo "kannel-rate: logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

bench_pg_start 2GB
{ bench_conf; echo "max_replies = off"; } > "$work/base.conf"
export ITINERAD_CONFIG="$work/base.conf"
bench_load "$subs"
run_floor() { echo "completed 0 seconds 0 rate $(bench_floor 2 "$secs")"; }

# The load generator (its arguments), then a line "cpu" with the % of one core used by each
# process of the list "name:command-printing-ticks ..." and by the load generator.
measure() {	# port "name:ticks-command;..." load-generator-arguments...
	port=$1 procs=$2
	shift 2
	before=$(echo "$procs" | tr ';' '\n' | while IFS=: read -r n c; do [ -n "$n" ] && echo "$n $(eval "$c")"; done)
	if ! /usr/bin/time -f "%U %S" -o "$work/load.cpu" timeout $((secs + 60)) \
		"$top_builddir/bench/itinerad-smsc-load" --port "$port" --subscribers "$subs" \
		--msisdn-base 8613800000000 "$@" > "$work/load.out"; then
		echo "kannel-rate: the load generator failed or was not bound within $((secs + 60)) s" >&2
		tail -n 5 "$work/itinerad.log" "$work/kannel/boxes.out" "$work/webapp.log" >&2 2> /dev/null || true
		exit 1
	fi
	after=$(echo "$procs" | tr ';' '\n' | while IFS=: read -r n c; do [ -n "$n" ] && echo "$n $(eval "$c")"; done)
	cat "$work/load.out"
	{ echo "$before"; echo "--"; echo "$after"; } | awk -v hz="$(getconf CLK_TCK)" \
		-v l="$(cat "$work/load.cpu")" -v s="$(sed -n 's/.* seconds \([0-9.]*\).*/\1/p' "$work/load.out")" '
		$0 == "--" { after = 1; next }
		!after { b[$1] = $2; order[++n] = $1; next }
		{ a[$1] = $2 }
		END {
			split(l, lc, " ")
			line = "cpu"
			for (i = 1; i <= n; i++)
				line = line sprintf(" %s %.0f%%", order[i], (s > 0 ? 100 * (a[order[i]] - b[order[i]]) / hz / s : 0))
			printf("%s load-generator %.0f%%\n", line, (s > 0 ? 100 * (lc[1] + lc[2]) / s : 0))
		}'
}

# Kannel: the web application runs throughout; bearerbox and smsbox start afresh for each run
# (nothing queued from the run before). bearerbox starts before the load generator listens
# and reconnects every second: the load generator's clock starts at the bind, when smsbox is
# already connected.
cat > "$work/kannel/kannel.conf" <<CONF
group = core
admin-port = $admin_port
admin-password = bench
admin-allow-ip = "127.0.0.1"
smsbox-port = $smsbox_port
box-allow-ip = "127.0.0.1"
log-file = "$work/kannel/bearerbox.log"
log-level = 2

group = smsc
smsc = smpp
smsc-id = loadsmsc
host = 127.0.0.1
port = $kannel_smsc_port
transceiver-mode = true
smsc-username = kannel
smsc-password = secret
system-type = "VMA"
reconnect-delay = 1
# the default window is 10 submit_sm; itinerad's is 200
max-pending-submits = 200

group = smsbox
bearerbox-host = 127.0.0.1
log-file = "$work/kannel/smsbox.log"
log-level = 2

# the reply is the body of the web application's answer, UTF-8, sent as UCS2
# (X-Kannel-Coding: 2) in concatenated parts (itinerad sends at most 4; never more here)
group = sms-service
keyword = cxmyd
get-url = "http://127.0.0.1:$web_port/itinerary?from=%p"
accept-x-kannel-headers = true
concatenation = true
max-messages = 10
omit-empty = true
CONF
"$top_builddir/bench/itinerad-kannel-webapp" --port $web_port --workers "$workers" \
	> "$work/webapp.log" 2>&1 &
echo $! > "$work/webapp.pid"
status() { curl -s "http://127.0.0.1:$admin_port/status.txt?password=bench" 2> /dev/null || true; }
# Waits up to 20 s for bearerbox's status page to match PATTERN, else stops with WHY.
kannel_wait() {	# pattern why
	i=0
	until status | grep -q "$1"; do
		sleep 0.2; i=$((i + 1))
		[ $i -lt 100 ] || { echo "kannel-rate: $2" >&2; tail "$work/kannel/boxes.out" >&2; exit 1; }
	done
}
kannel_start() {
	(cd "$work/kannel" && exec "$KANNEL_BIN/bearerbox" -v 4 kannel.conf) >> "$work/kannel/boxes.out" 2>&1 &
	echo $! > "$work/bearerbox.pid"
	kannel_wait '^Status: running' "bearerbox did not start"
	(cd "$work/kannel" && exec "$KANNEL_BIN/smsbox" -v 4 kannel.conf) >> "$work/kannel/boxes.out" 2>&1 &
	echo $! > "$work/smsbox.pid"
	kannel_wait 'smsbox:.*on-line' "smsbox did not connect"
}
kannel_stop() {
	stop_pid "$work/smsbox.pid"
	stop_pid "$work/bearerbox.pid"
}
run_kannel() {	# the load generator's arguments
	kannel_start
	measure $kannel_smsc_port "bearerbox:bench_ticks $(cat "$work/bearerbox.pid");smsbox:bench_ticks $(cat "$work/smsbox.pid");webapp:bench_children_ticks $(cat "$work/webapp.pid");postgres:bench_pg_ticks" "$@"
	kannel_stop
}

# itinerad, as bench/sms-rate.sh runs it, consent off.
cat "$work/base.conf" > "$work/itinerad.conf"
printf 'consent = off\nreply_deadline = 30s\n[smpp load]\nhost = 127.0.0.1\nport = %s\nsystem_id = itinerary\npassword = secret\nwindow = 200\n[admin]\nlisten = 127.0.0.1:%s\n' \
	"$itin_port" "$itin_admin_port" >> "$work/itinerad.conf"
run_itinerad() {	# the load generator's arguments
	(sleep 0.3; exec "$top_builddir/itinerad" -c "$work/itinerad.conf") > "$work/itinerad.log" 2>&1 &
	echo $! > "$work/itinerad.pid"
	measure $itin_port "itinerad:bench_ticks $(cat "$work/itinerad.pid");postgres:bench_pg_ticks" "$@"
	stop_pid "$work/itinerad.pid"
	psql -XAtq -c "TRUNCATE subscriber_state, request_pending, audit"
}

# Replies: the same subscribers (the load generator's order is fixed) through both, at a low
# rate; every reply must be complete (all parts of its UDH count) and the same text. The
# latency of these runs is in the table too: at a low rate, Kannel's boxes wait for Nagle.
record() {	# name, then a run_* command: its lines into the results, prefixed with the name
	name=$1
	shift
	"$@" > "$work/run.out"
	sed "s/^/$name /" "$work/run.out" >> "$work/results"
}
reassemble() {	# dump file -> "msisdn parts total coding text-hex", one line per reply
	sort -k1,1n -k2,2n "$1" | awk '
		$1 != m { if (m != "") print m, n, t, dc, s; m = $1; n = 0; s = ""; t = $3; dc = $4 }
		{ n++; s = s $5 }
		END { if (m != "") print m, n, t, dc, s }'
}
echo "kannel-rate: checking replies ..." >&2
low=50
: > "$work/results"
record kannel-low run_kannel --rate $low --warmup 5 --duration 9 --dump "$work/kannel.dump"
record itinerad-low run_itinerad --rate $low --warmup 5 --duration 9 --dump "$work/itinerad.dump"
reassemble "$work/kannel.dump" > "$work/kannel.replies"
reassemble "$work/itinerad.dump" > "$work/itinerad.replies"
if ! check=$(join "$work/kannel.replies" "$work/itinerad.replies" | awk '
	{ n++; kp += $2; ip += $6 }
	$2 != $3 || $6 != $7 { incomplete++ }
	$4 != $8 || $5 != $9 { differ++ }
	END { printf "%d replies compared: %d incomplete, %d differ; parts per reply: Kannel %.2f, itinerad %.2f\n",
		n, incomplete, differ, n ? kp / n : 0, n ? ip / n : 0
		exit n == 0 || incomplete || differ }'); then
	echo "kannel-rate: the replies are not complete and alike ($check): see $work (kept)" >&2
	trap - EXIT
	kannel_stop
	stop_pid "$work/webapp.pid"
	bench_pg_stop
	exit 1
fi
echo "kannel-rate: $check" >&2

# Rounds: floor, Kannel, itinerad, alternating.
r=1
while [ $r -le "$rounds" ]; do
	echo "kannel-rate: round $r of $rounds ..." >&2
	record floor run_floor
	record kannel run_kannel --outstanding "$outstanding" --warmup 5 --duration $((secs + 5))
	record itinerad run_itinerad --outstanding "$outstanding" --warmup 5 --duration $((secs + 5))
	r=$((r + 1))
done
mean() { awk -v w="$1" '$1 == w && $2 == "completed" { s += $7; n++ } END { printf "%.0f", n ? s / n : 0 }' "$work/results"; }
kannel_half=$(awk -v r="$(mean kannel)" 'BEGIN { printf "%d", r / 2 }')
itin_half=$(awk -v r="$(mean itinerad)" 'BEGIN { printf "%d", r / 2 }')
echo "kannel-rate: latency at half rate ..." >&2
record kannel-half run_kannel --rate "$kannel_half" --warmup 5 --duration $((secs + 5))
record itinerad-half run_itinerad --rate "$itin_half" --warmup 5 --duration $((secs + 5))

floor=$(mean floor)
kannel=$(mean kannel)
printf '%s\n' "Kannel $(dpkg-query -W -f '${Version}' kannel 2>/dev/null || echo '?') + web application vs itinerad, $subs subscribers, consent off, $(nproc) cores, $rounds rounds of $secs s, $outstanding in flight at max" \
	"replies: $check" \
	"load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg); CPU as % of one core during the run"
awk -v f="$floor" -v k="$kannel" -v kh="$kannel_half" -v ih="$itin_half" -v low=$low '
	function label(w) {
		if (w == "floor") return "floor: pgbench lookup, 2 clients /s"
		if (w == "kannel") return "Kannel + webapp max /s"
		if (w == "itinerad") return "itinerad max /s"
		if (w == "kannel-half") return "Kannel p99 ms at " kh "/s (half)"
		if (w == "itinerad-half") return "itinerad p99 ms at " ih "/s (half)"
		if (w == "kannel-low") return "Kannel p99 ms at " low "/s"
		return "itinerad p99 ms at " low "/s"
	}
	$2 == "completed" { w = $1; runs[w] = runs[w] (runs[w] == "" ? "" : ", ") sprintf("%.0f", $7)
		sum[w] += $7; n[w]++
		if (w ~ /-/) { p50[w] = $9; p99[w] = $11; p999[w] = $13; unans[w] = $17 }
		else if (w != "floor") { mp50[w] = mp50[w] (mp50[w] == "" ? "" : ", ") $9; mp99[w] = mp99[w] (mp99[w] == "" ? "" : ", ") $11 } }
	# CPU: of the last run of each kind
	$2 == "cpu" { w = $1; c = ""; for (i = 3; i <= NF; i += 2) c = c " " $i " " $(i + 1); cpu[w] = c }
	END {
		printf "%-38s %10s %8s %10s   %s\n", "figure", "value", "/floor", "/baseline", "notes"
		split("floor kannel itinerad", ws, " ")
		for (j = 1; j <= 3; j++) {
			w = ws[j]; v = sum[w] / n[w]
			note = "runs: " runs[w]
			if (w != "floor") note = note "; at max p50 " mp50[w] " p99 " mp99[w] " ms;" cpu[w]
			printf "%-38s %10.0f %8.2f %10.2f   %s\n", label(w), v, v / f, v / k, note
		}
		split("kannel-half itinerad-half kannel-low itinerad-low", ws, " ")
		for (j = 1; j <= 4; j++) {
			w = ws[j]; base = w ~ /half/ ? "kannel-half" : "kannel-low"
			printf "%-38s %10s %8s %10.2f   p50 %s, p99.9 %s ms, %s unanswered;%s\n", label(w), p99[w], "",
				p99[w] / p99[base], p50[w], p999[w], unans[w], cpu[w]
		}
	}' "$work/results"
