#!/bin/sh
# window 1: one submit_sm outstanding at a time, the next one queued
. "$top_srcdir/tests/smpp/lib.sh"
smpp_case window 24070 2 -w 1
