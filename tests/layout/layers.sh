#!/bin/sh
# The folders are the layers (issue 18): no include runs up or across them, sim/ takes only
# common/ of the daemon, only db/ includes libpq, the engine does no I/O and reads no clock or
# environment. tests/layout/layers.py prints the figures and what breaks a rule.
exec python3 "$top_srcdir/tests/layout/layers.py" "$top_srcdir"
