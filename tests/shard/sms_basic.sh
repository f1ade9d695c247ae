#!/bin/sh
# tests/sms/basic.sh on a partitioned layout (issue 21: a proxy and 4 partitions on two
# clusters, tests/lib/pg.sh): itinerad's pool on the proxy, its batched lookups routed by
# PL/Proxy, the same conversations and audit rows, tests/sms/basic.ok. Its own ports: SMSC
# 27501, admin 27502.
ITIN_TEST_PARTITIONS=4 ITIN_TEST_SMS_PORT=27501 ITIN_TEST_ADMIN_PORT=27502
export ITIN_TEST_PARTITIONS ITIN_TEST_SMS_PORT ITIN_TEST_ADMIN_PORT
exec sh "$srcdir/tests/sms/basic.sh"
