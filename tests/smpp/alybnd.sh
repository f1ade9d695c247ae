#!/bin/sh
# bind answered ESME_RALYBND: close and bind again later
. "$top_srcdir/tests/smpp/lib.sh"
smpp_case alybnd 24065 1
