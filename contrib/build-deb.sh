#!/bin/sh
# Builds the itinerad .deb (debian/) with dpkg-buildpackage -us -uc -b in a copy of the source
# tree, never in the tree itself, which stays unconfigured. The copy holds the files git knows
# of, committed or not, without the ignored ones (build products, node_modules, var/); a tree
# without git (a release tarball) is copied whole. Build-Depends that are missing are installed
# with apt-get build-dep. Prints the path of the .deb on its last line.
#
#   sh contrib/build-deb.sh [WORKDIR]      (default /tmp/itinerad-deb; emptied first)
#
# The .deb lands in WORKDIR; install it with dpkg -i (tests/deploy/deb.sh does, when
# ITIN_TEST_DEB=1).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/itinerad-deb}
tree=$work/itinerad

rm -rf "$work"
mkdir -p "$tree"
if git -C "$src" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
	# (a file deleted but still in the index is left out, with a warning)
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		tar -c --null -T - --ignore-failed-read -f -) | tar -x -C "$tree"
else
	cp -a "$src/." "$tree/"
	chmod -R u+w "$tree"
fi

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
if ! command -v dpkg-buildpackage > /dev/null || ! command -v dh > /dev/null; then
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		dpkg-dev debhelper
fi
if ! (cd "$tree" && dpkg-checkbuilddeps > /dev/null 2>&1); then
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q "$tree"
fi

(cd "$tree" && dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1 || {
	tail -40 "$work/build.log"
	echo "build-deb: dpkg-buildpackage failed, see $work/build.log" >&2
	exit 1
}
ls "$work"/itinerad_*.deb
