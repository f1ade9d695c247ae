#!/bin/sh
# Installs the Debian 12 packages itinerad needs to build, test and run its demo. Idempotent and
# quick when everything is present: apt runs only when a package is missing.
set -eu
PACKAGES="
build-essential autoconf automake libtool pkg-config
libevent-dev libpq-dev libgnutls28-dev libtalloc-dev
libosmocore-dev libsmpp34-dev libosmo-sigtran-dev libsystemd-dev
postgresql-15 postgresql-contrib
osmo-stp osmo-hlr osmo-msc
libnet-smpp-perl
faketime
clang
python3-prometheus-client
prometheus
curl iproute2
man-db
postgresql-15-auto-failover pg-auto-failover-cli
postgresql-15-plproxy
"
# faketime: the daemon tests run itinerad at a fixed date, so expected replies (dates, and
# their UCS2 octets) are exact without a test clock inside the daemon. clang: the fuzzers and
# the sanitizer builds. python3-prometheus-client: a /metrics parser we did not write.
# prometheus: its promtool checks and unit-tests the alerting rules of contrib/prometheus. curl
# and ss (iproute2): the tests poll /metrics and listening ports (tests/lib/poll.sh).
# man-db (with groff-base): tests/deploy/man.sh formats the manual pages as lintian does.
# postgresql-15-auto-failover, pg-auto-failover-cli: the monitor and keepers of the high
# availability test (tests/ha/) and of contrib/ha/.
# postgresql-15-plproxy: the proxy database of a partitioned layout (contrib/shard/shard.sh,
# tests/shard/; issue 21).
missing=
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
# node and npm run the SMSC of the SMS tests (the npm smpp package, pinned in
# tests/smsc/package-lock.json): an SMPP implementation we did not write. Any node >= 18 will do,
# Debian's or one already installed.
command -v node >/dev/null || missing="$missing nodejs"
command -v npm >/dev/null || missing="$missing npm"
[ -z "$missing" ] && exit 0

echo "install-deps: installing$missing"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# The Osmocom packages start their daemons as system services on install; the project runs its
# own instances on other ports, so stop the packaged ones if the service manager started them.
$SUDO apt-get install -y -q --no-install-recommends $missing
for s in osmo-stp osmo-hlr osmo-msc postgresql; do
	$SUDO systemctl disable --now "$s" >/dev/null 2>&1 || true
done

