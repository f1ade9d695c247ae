#!/bin/sh
# The .deb (issue 7): contrib/build-deb.sh builds it in a copy of the tree, dpkg -i installs it
# on this machine, then: the files are where the manual says, the itinerad user exists, the
# config is root:itinerad 0640, postinst made a random secret file root:itinerad 0640 that the
# config names (and no secret is in the config), the config passes itinerad --check as that
# user while the old placeholder and a world-readable secret file are refused, itinerad-db runs, the
# units pass systemd-analyze verify and are not enabled; lintian finds no error or warning, the
# man pages are installed and pgcluster.sh is executable; dpkg --purge removes it all again (the
# itinerad user stays, as Debian leaves system users). Takes minutes and needs root (or sudo):
# runs only with ITIN_TEST_DEB=1, and never over an itinerad package already installed.
set -u
[ "${ITIN_TEST_DEB:-}" = 1 ] || { echo "set ITIN_TEST_DEB=1 to build and install the .deb"; exit 77; }
SUDO=
if [ "$(id -u)" != 0 ]; then
	sudo -n true 2> /dev/null || { echo "needs root or password-less sudo"; exit 77; }
	SUDO=sudo
fi
if dpkg-query -W -f='${Status}\n' itinerad 2> /dev/null | grep -q 'installed$'; then
	echo "an itinerad package is installed already: not replacing it"
	exit 77
fi
work=$(mktemp -d /tmp/itinerad-deb.XXXXXX)
installed=
cleanup() {
	[ -z "$installed" ] || $SUDO dpkg --purge itinerad > /dev/null
	[ -n "${ITIN_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

deb=$(sh "$top_srcdir/contrib/build-deb.sh" "$work" | tail -1)
[ -f "$deb" ] || { echo "no .deb built"; exit 1; }
echo "built $(basename "$deb")"

# lintian, installed here rather than by contrib/install-deps.sh (it is large and only this
# test uses it): no error or warning on the .deb and its .changes. --suppress-tags lists none
# of ours; the informational tags are not shown (only -i would).
if ! command -v lintian > /dev/null; then
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		lintian > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
fi
lintian --fail-on error,warning --display-level '>=warning' "$work"/itinerad_*.changes \
	> "$work/lintian.log" 2>&1
lintian_status=$?
$SUDO dpkg -i "$deb" > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; exit 1; }
installed=1

fail=0
check() {	# DESCRIPTION COMMAND...
	what=$1
	shift
	if "$@" > "$work/check.out" 2>&1; then
		echo "ok: $what"
	else
		echo "FAILED: $what"
		cat "$work/check.out"
		fail=1
	fi
}
for f in /usr/bin/itinerad /usr/bin/itinerad-db /usr/bin/itinerad-sample; do
	check "$f" test -x "$f"
done
for f in /etc/itinerad/itinerad.conf /usr/share/itinerad/pgcluster.sh \
	/usr/share/itinerad/data/regions-cn.csv /usr/share/itinerad/sql/lookup.sql \
	/usr/share/itinerad/sql/migrations/001_reference.sql \
	/usr/share/doc/itinerad/manual/operator.md /usr/share/doc/itinerad/manual/subscriber.md \
	/usr/share/doc/itinerad/SPEC.md /usr/share/doc/itinerad/examples/itinerad.conf \
	/lib/systemd/system/itinerad.service /lib/systemd/system/itinerad-retention.service \
	/lib/systemd/system/itinerad-retention.timer /lib/systemd/system/itinerad-feed@.service \
	/lib/systemd/system/itinerad-feed@.path; do
	check "$f" test -f "$f"
done
check "/usr/share/itinerad/feed-drop.sh executable" test -x /usr/share/itinerad/feed-drop.sh
check "user itinerad" getent passwd itinerad
check "config root:itinerad 0640" sh -c \
	'[ "$(stat -c "%U:%G %a" /etc/itinerad/itinerad.conf)" = "root:itinerad 640" ]'
check "secret root:itinerad 0640" sh -c \
	'[ "$(stat -c "%U:%G %a" /etc/itinerad/hmac-secret)" = "root:itinerad 640" ]'
check "secret: key 1, 64 random hex digits" sh -c \
	'$0 grep -v "^#" /etc/itinerad/hmac-secret | grep -Eqx "1 [0-9a-f]{64}"' "$SUDO"
check "no secret in the config nor the example" sh -c \
	'! $0 grep -q "^hmac_secret *=" /etc/itinerad/itinerad.conf /usr/share/doc/itinerad/examples/itinerad.conf' "$SUDO"
check "config names the secret file" grep -qx 'hmac_secret_file = /etc/itinerad/hmac-secret' \
	/usr/share/doc/itinerad/examples/itinerad.conf
check "itinerad --check as itinerad" $SUDO runuser -u itinerad -- \
	/usr/bin/itinerad --check -c /etc/itinerad/itinerad.conf
# The placeholder the example shipped until issue 17, and a readable copy of the secret file,
# are refused by both programs.
printf '[privacy]\nhmac_secret = change-me-to-a-long-random-secret\n' > "$work/placeholder.conf"
printf '[privacy]\nhmac_secret_file = %s/secret\n' "$work" > "$work/readable.conf"
$SUDO cat /etc/itinerad/hmac-secret > "$work/secret"
chmod 0644 "$work/secret"
check "placeholder refused by itinerad --check" sh -c \
	'! /usr/bin/itinerad --check -c "$0" && /usr/bin/itinerad --check -c "$0" 2>&1 | grep -q "is a placeholder"' \
	"$work/placeholder.conf"
check "placeholder refused by itinerad-db" sh -c \
	'! /usr/bin/itinerad-db -c "$0" migrate > /dev/null 2>&1 && /usr/bin/itinerad-db -c "$0" migrate 2>&1 | grep -q "is a placeholder"' \
	"$work/placeholder.conf"
check "world-readable secret file refused" sh -c \
	'/usr/bin/itinerad --check -c "$0" 2>&1 | grep -q "is readable by everyone (mode 0644)"' \
	"$work/readable.conf"
rm -f "$work/secret"
check "itinerad-db --help" /usr/bin/itinerad-db --help
check "lintian: no error or warning" sh -c 'cat "$0"; exit "$1"' "$work/lintian.log" "$lintian_status"
check "man pages installed" test -f /usr/share/man/man8/itinerad.8.gz -a \
	-f /usr/share/man/man8/itinerad-db.8.gz -a -f /usr/share/man/man5/itinerad.conf.5.gz -a \
	-f /usr/share/man/man1/itinerad-sample.1.gz
check "pgcluster.sh executable" test -x /usr/share/itinerad/pgcluster.sh
check "units name the installed programs" grep -q '^ExecStart=/usr/bin/itinerad -c /etc/itinerad/itinerad.conf$' \
	/lib/systemd/system/itinerad.service
if command -v systemd-analyze > /dev/null; then
	check "systemd-analyze verify" systemd-analyze verify /lib/systemd/system/itinerad.service \
		/lib/systemd/system/itinerad-retention.service /lib/systemd/system/itinerad-retention.timer
fi
check "units not enabled" sh -c '! ls /etc/systemd/system/*/itinerad* 2> /dev/null'

$SUDO dpkg --purge itinerad > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; exit 1; }
installed=
check "purged: no program left" sh -c '! ls /usr/bin/itinerad* 2> /dev/null'
check "purged: no config left" test ! -e /etc/itinerad/itinerad.conf
check "purged: no secret left" sh -c '! $0 test -e /etc/itinerad/hmac-secret' "$SUDO"
check "purged: no stat override left" sh -c '! dpkg-statoverride --list /etc/itinerad/itinerad.conf'
exit $fail
