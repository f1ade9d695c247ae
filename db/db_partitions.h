/*
 * A partitioned layout's partitions, as itinerad-db reaches them (issue 21): the proxy
 * database's cluster map (sql/proxy.sql, itin_partitions) read, and one blocking connection to
 * each partition, as the proxy connection's user. A single node has no map: no partitions.
 */
#pragma once

#include "db/db_connect.h"

/* The loader keeps a partition number in an octet per subscriber. */
#define ITIN_MAX_PARTITIONS 256

struct itin_partitions {
	unsigned num;		/* a power of two: PL/Proxy's partition = hash & (num - 1) */
	char **conninfo;	/* as the cluster map has them, partition by partition */
	itin_db_conn **conn;
};

/* The partitions of the database proxy is connected to, connected; *out NULL for a single
 * node. The connections close when *out (a talloc child of ctx) is freed. 0, -EIO, -EINVAL
 * (a map that is not partition_0 .. partition_N-1, N a power of two) or -ENOMEM; logged. */
int itin_db_partitions_open(void *ctx, itin_db_conn *proxy, struct itin_partitions **out);

/* Numbers the requests of partition p (of n) so that their ids name it (migration 270,
 * itin_request_ids_partition); idempotent. 0 or -EIO, logged. */
int itin_db_partition_number_ids(itin_db_conn *conn, unsigned p, unsigned n);

/* Whether the database is a proxy: it has the PL/Proxy cluster 'itinerad' (sql/proxy.sql).
 * 1, 0 or -EIO. */
int itin_db_is_proxy(itin_db_conn *conn);
