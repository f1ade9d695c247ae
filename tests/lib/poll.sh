# Sourced by the shell tests that wait for a peer (tests/lib/daemon.sh sources it): they wait for
# a condition, never for a duration. Helpers:
#   itin_poll N CMD...        run CMD every 0.1 s until it succeeds; fail after N tries
#   itin_listens PORT         true when a TCP socket listens on PORT
#   itin_log_count FILE N RE  true when FILE has N or more lines matching the grep RE
#   itin_metric URL NAME      print the value of NAME in the /metrics text at URL, summed over
#                             its labels (empty when the endpoint does not answer)

itin_poll() {
	itin_poll_left=$1
	shift
	until "$@"; do
		[ "$itin_poll_left" -gt 0 ] || return 1
		itin_poll_left=$((itin_poll_left - 1))
		sleep 0.1
	done
}

itin_listens() {
	[ -n "$(ss -Hltn "sport = :$1")" ]
}

itin_log_count() {
	[ "$(grep -ac -- "$3" "$1" 2> /dev/null)" -ge "$2" ]
}

itin_metric() {
	curl -s --max-time 5 "$1" | awk -v name="$2" '
		{ n = $1; sub(/\{.*/, "", n) }
		n == name { sum += $NF; seen = 1 }
		END { if (seen) printf "%g\n", sum }'
}
