#!/bin/sh
# Verification codes over USSD (issue 25), through a real osmo-hlr (GSUP 127.0.0.1:27410, VTY
# 27411, CTRL 27412, moved there by sim/itinerad-port-shim.so; *#14# and *#14* routed to
# itinerad, admin endpoint 27413) with tests/ussd/gsup_msc as the MSC: the holder's itinerary
# pages end with a code; a checker's *#14*CODE*LAST4# gets the holder's reply as issued, a
# mistyped and a wrong one "not valid"; the holder's *#14*0# voids the codes, and the good
# code is "not valid" then. Codes are random: shown as #########
set -u
. "$top_srcdir/tests/lib/pg.sh"
itin_pg_db itin_verify_ussd
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/hlr.sh"
GSUP=27410 VTY=27411 CTRL=27412 ADMIN=27413
run=$(mktemp -d /tmp/itin-verify-ussd.XXXXXX)
trap 'itin_daemon_stop; [ -f "$run/hlr.pid" ] && kill "$(cat "$run/hlr.pid")" 2> /dev/null;
	[ -n "${ITIN_KEEP:-}" ] || rm -rf "$run"; itin_pg_cleanup' EXIT
trap 'exit 1' INT TERM

itin_hlr_conf "$run" $VTY "ussd route prefix *#14* external itinerary"
itin_test_db
itin_hlr_start "$run" $GSUP $VTY $CTRL
for imsi in 460001000000001 460001000000005; do
	python3 "$top_srcdir/sim/osmo_vty.py" $VTY "subscriber imsi $imsi create" > /dev/null ||
		{ echo "provisioning $imsi failed"; exit 99; }
done
{
	printf '[privacy]\nhmac_secret = test-secret-of-the-daemon-tests-8c1f4e7a92d035b6e0a9d4c71f28b3e5\n'
	printf '[service]\ndomestic_mcc = 460, 001\nreply_deadline = 5s\nlanguage = en\nconsent = off\n'
	printf '[admin]\nlisten = 127.0.0.1:%s\n' $ADMIN
	printf '[gsup]\nhost = 127.0.0.1\nport = %s\neuse_name = itinerary\nsession_timeout = 10s\n' $GSUP
} > "$run/itinerad.conf"
itin_daemon_start "$run/itinerad.conf" "$run/itinerad.log"
itin_euse_wait "$run/itinerad.log"

msc() {
	"$top_builddir/tests/ussd/gsup_msc" --port $GSUP --timeout 10 "$@" 2>> "$run/msc.err" ||
		echo "gsup_msc exit $?"
}
# (and the issue time's minutes: the daemon's clock runs from the test time)
mask() {
	sed -E -e 's/(Code |\*#14\*)[0-9]{9}/\1#########/g' \
		-e 's/(Sent to the holder 11-20 12:)[0-9]{2}/\1##/'
}
msc note "the holder: the itinerary, to its last page" \
	begin 460001000000001 1 '*#14#' expect continue 460001000000001 1 1 expect \
	continue 460001000000001 1 1 expect > "$run/holder.out"
code=$(grep -oE 'Code [0-9]{9}' "$run/holder.out" | tail -1 | grep -oE '[0-9]{9}')
msc note "a checker: the code and the last four digits" \
	begin 460001000000005 2 "*#14*$code*0001#" expect continue 460001000000005 2 1 expect \
	continue 460001000000005 2 1 expect continue 460001000000005 2 1 expect \
	note "mistyped (the last four digits left out), wrong (another number's)" \
	begin 460001000000005 3 "*#14*$code#" expect \
	begin 460001000000005 4 "*#14*$code*0002#" expect > "$run/checker.out"
msc note "the holder voids the codes of this IMSI; the checker's good code is refused now" \
	begin 460001000000001 5 '*#14*0#' expect \
	begin 460001000000005 6 "*#14*$code*0001#" expect > "$run/void.out"
{
	mask < "$run/holder.out"
	mask < "$run/checker.out"
	mask < "$run/void.out"
	if kill -0 "$ITIN_DAEMON_PID" 2> /dev/null; then echo "itinerad running"; else echo "itinerad DIED"; fi
	itin_daemon_stop
	echo "# checks audited: outcome, checks, with a holder"
	psql -XAtq -c "SELECT outcome, count(*), count(holder) FROM verify_audit GROUP BY 1 ORDER BY 1"
	itin_audit_rows		# every reply, the checks' and voids' among them
} > "$run/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$run/out" "$srcdir/tests/verify/ussd.ok"
diff -u "$srcdir/tests/verify/ussd.ok" "$run/out" || {
	cat "$run/msc.err"
	grep -a "NOTICE\|ERROR" "$run/itinerad.log" | tail -20
	exit 1
}
