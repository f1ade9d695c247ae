#!/bin/sh
# tests/sms/instances.sh on a partitioned layout (issue 21, migration 270: the request state on
# the partitions): two itinerad instances on the proxy under 300 deliver_sm/s, one killed with
# SIGKILL, the other taking over its pending requests from every partition once its lease has
# run out; the same counts as on a single node, tests/sms/instances.ok. Its own ports: SMSC
# 27520, admin endpoints 27521 and 27522.
ITIN_TEST_PARTITIONS=4 ITIN_TEST_SMS_PORT=27520
export ITIN_TEST_PARTITIONS ITIN_TEST_SMS_PORT
exec sh "$srcdir/tests/sms/instances.sh"
