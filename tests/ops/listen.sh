#!/bin/sh
# Where itinerad listens and connects (issue 22): itinerad --check refuses an [admin] listen
# that is not ADDRESS:PORT or [IPV6]:PORT, and one, an SMSC host or a GSUP host that does not
# resolve, naming the setting; then the admin endpoint answers on [::1] (admin_listen_test,
# ports 26600-26601; that part is skipped on a machine without ::1). Compared with listen.ok.
set -u
WORK=$(mktemp -d)
trap '[ -n "${ITIN_KEEP:-}" ] || rm -rf "$WORK"' EXIT

conf() {	# NAME LINES...: a config with a secret and the given lines
	name=$1
	shift
	{
		printf '[privacy]\nhmac_secret = 0123456789abcdef-config-test-7d4e1a9c2b5f\n'
		printf '%s\n' "$@"
	} > "$WORK/$name.conf"
}
conf ipv6 '[admin]' 'listen = [::1]:26600'
conf ipv6-no-brackets '[admin]' 'listen = ::1:26600'
conf no-port '[admin]' 'listen = [::1]'
conf admin-name '[admin]' 'listen = nohost.invalid:26600'
conf smpp-name '[smpp msc-1]' 'system_id = itinerad' 'host = nohost.invalid'
conf smpp-ipv6 '[smpp msc-1]' 'system_id = itinerad' 'host = ::1'
conf gsup-name '[gsup]' 'host = nohost.invalid'
{
	echo "# itinerad --check"
	for name in ipv6 ipv6-no-brackets no-port admin-name smpp-name smpp-ipv6 gsup-name; do
		msg=$("$top_builddir/itinerad" --check -c "$WORK/$name.conf" 2>&1)
		echo "$msg (exit status $?)" | sed "s|$WORK/||; s/: Temporary failure in name resolution/: Name or service not known/"
	done
} > "$WORK/out"
if ! ip -6 addr show lo 2>/dev/null | grep -q 'inet6 ::1/128'; then
	sed '/^# admin/,$d' "$srcdir/tests/ops/listen.ok" | diff -u - "$WORK/out" || exit 1
	echo "no ::1 on this machine (ip -6 addr show lo): the admin endpoint on [::1] is not tried"
	exit 77
fi
{
	echo "# admin endpoint"
	"$top_builddir/tests/ops/admin_listen_test" 2>&1
} >> "$WORK/out"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$WORK/out" "$srcdir/tests/ops/listen.ok"
diff -u "$srcdir/tests/ops/listen.ok" "$WORK/out"
