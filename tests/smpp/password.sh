#!/bin/sh
# a wrong password: binds refused, retried with backoff
. "$top_srcdir/tests/smpp/lib.sh"
smpp_case password 24066 0 -p wrong
