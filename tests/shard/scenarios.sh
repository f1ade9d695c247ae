#!/bin/sh
# tests/db/scenarios.sh on a partitioned layout (issue 21: a proxy and 4 partitions on two
# clusters, tests/lib/pg.sh): the engine's golden scenarios loaded through the routing loader
# and answered by itinerad-db query through the proxy, against the same expected files,
# tests/engine/itinerary_test.ok and tests/db/scenarios.ok.
ITIN_TEST_PARTITIONS=4
export ITIN_TEST_PARTITIONS
exec sh "$srcdir/tests/db/scenarios.sh"
