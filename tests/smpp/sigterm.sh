#!/bin/sh
# SIGTERM: unbind, unbind_resp, close
. "$top_srcdir/tests/smpp/lib.sh"
smpp_case sigterm 24067 0
