#!/bin/sh
# bind_mode split: transmitter and receiver sessions
. "$top_srcdir/tests/smpp/lib.sh"
smpp_case split 24069 1 -m split
