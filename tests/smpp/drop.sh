#!/bin/sh
# a dropped connection: re-bind and re-send the unanswered submit
. "$top_srcdir/tests/smpp/lib.sh"
smpp_case drop 24062 1
