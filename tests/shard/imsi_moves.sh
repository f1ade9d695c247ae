#!/bin/sh
# tests/db/imsi_moves.sh on a partitioned layout (issue 21: a proxy and 4 partitions on two
# clusters, tests/lib/pg.sh): an IMSI key lives on its own partition and names its holder's
# MSISDN key there, and the same SIM swap, recycled IMSI and files out of order give the same
# replies, tests/db/imsi_moves.ok.
ITIN_TEST_PARTITIONS=4
export ITIN_TEST_PARTITIONS
exec sh "$srcdir/tests/db/imsi_moves.sh"
