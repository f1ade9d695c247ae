#!/bin/sh
# garbage from the SMSC: generic_nack, close, bind again; no crash
. "$top_srcdir/tests/smpp/lib.sh"
smpp_case garbage 24064 1
