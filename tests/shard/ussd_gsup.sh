#!/bin/sh
# tests/ussd/gsup.sh on a partitioned layout (issue 21: a proxy and 4 partitions on two
# clusters, tests/lib/pg.sh): a USSD request carries the IMSI only, so each lookup takes two
# routed steps (the IMSI key's partition names the MSISDN key, whose partition has the
# presence); the same transcript, tests/ussd/gsup.ok. Its own ports: GSUP 27510, VTY 27511,
# CTRL 27512, admin 27513.
ITIN_TEST_PARTITIONS=4 ITIN_TEST_GSUP_PORT=27510 ITIN_TEST_VTY_PORT=27511
ITIN_TEST_CTRL_PORT=27512 ITIN_TEST_ADMIN_PORT=27513
export ITIN_TEST_PARTITIONS ITIN_TEST_GSUP_PORT ITIN_TEST_VTY_PORT ITIN_TEST_CTRL_PORT \
	ITIN_TEST_ADMIN_PORT
exec sh "$srcdir/tests/ussd/gsup.sh"
