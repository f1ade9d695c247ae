#!/bin/sh
# Abuse, an SMSC sending oversize PDUs (issue 8), against the SMPP link (smpp_echo on the
# link of smpp/smpp_link.c, tests/smsc/smsc.js as the SMSC, port 24901): a deliver_sm of the
# full 65,536 octets the link reads, made of 16,370 TLVs, gets a generic_nack before libsmpp34
# sees it (libsmpp34 1.14 would log its fields far past the end of a 2 KiB buffer: it crashed
# the process), and the link stays bound; 16 TLVs are read, 17 refused; a message_payload
# beyond libsmpp34's 1,024 octets is read by the link itself (issue 19) and echoed (its first
# 248 octets); a command_length over the limit
# (70,000, 0xffffffff) gets a generic_nack and the connection is closed at once, without
# waiting for the announced body, then bound again. (A wrong password is
# tests/smpp/password.sh; both, with a second link that keeps working, against itinerad
# itself: tests/abuse/links.sh.)
. "$top_srcdir/tests/smpp/lib.sh"
SMPP_DIR=$srcdir/tests/abuse
export SMPP_DIR
smpp_case oversize 24901 4
