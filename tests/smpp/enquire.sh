#!/bin/sh
# enquire_link unanswered: the link closes and binds again
. "$top_srcdir/tests/smpp/lib.sh"
smpp_case enquire 24063 0 -e 1 -t 2
