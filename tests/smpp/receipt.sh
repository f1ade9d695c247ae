#!/bin/sh
# receipts, alert_notification, message_payload, osmo-msc texts, unbind from the SMSC
. "$top_srcdir/tests/smpp/lib.sh"
smpp_case receipt 24068 3
