#!/bin/sh
# Installs what is missing, then configures (once) and builds itinerad in the source tree.
set -eu
cd "$(dirname "$0")/.."
sh contrib/install-deps.sh
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	mkdir -p m4
	autoreconf -fi >/dev/null
fi
[ -f Makefile ] || ./configure --enable-werror -q
make -s -j"$(nproc)"
