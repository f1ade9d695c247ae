#!/bin/sh
# bind, deliver_sm, the echo submit_sm, unbind
. "$top_srcdir/tests/smpp/lib.sh"
smpp_case echo 24060 1
