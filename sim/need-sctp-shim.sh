#!/bin/sh
# Prints the path of the SCTP-over-TCP preload library (sim/sctp_shim.c) when this kernel has
# no SCTP, and nothing when it has SCTP (then the shim must not be loaded). Exits 1 when the
# shim is needed but not built.
# usage: need-sctp-shim.sh [BUILDDIR]   (default: $top_builddir, else the current directory)
builddir=${1:-${top_builddir:-.}}
python3 - <<'PY' && exit 0
import errno, socket, sys
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP).close()
except OSError as e:
    sys.exit(1 if e.errno in (errno.EPROTONOSUPPORT, errno.ESOCKTNOSUPPORT) else 0)
PY
shim=$(cd "$builddir" 2>/dev/null && pwd)/sim/itinerad-sctp-shim.so
if [ ! -f "$shim" ]; then
	echo "need-sctp-shim.sh: no SCTP in this kernel and $shim is not built (make)" >&2
	exit 1
fi
echo "$shim"
