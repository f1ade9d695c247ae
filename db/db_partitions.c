/*
 * The partitions of a proxy's cluster map, for the commands that work on every database of a
 * partitioned layout (migrate, load events, retention, purge). The map is the proxy's, read
 * through itin_partitions (sql/proxy.sql): never configured twice.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <talloc.h>

#include "common/log.h"
#include "db/db_connect.h"
#include "db/db_copy.h"
#include "db/db_partitions.h"

int itin_db_is_proxy(PGconn *conn)
{
	PGresult *res = itin_db_rows(conn, "SELECT count(*) FROM pg_foreign_server s "
				     "JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw "
				     "WHERE s.srvname = 'itinerad' AND w.fdwname = 'plproxy'", 0, NULL,
				     "reading the cluster map");
	int rc;

	if (!res)
		return -EIO;
	rc = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
	PQclear(res);
	return rc;
}

int itin_db_partition_number_ids(PGconn *conn, unsigned p, unsigned n)
{
	char part[12], parts[12];
	const char *values[2] = { part, parts };
	PGresult *res;

	snprintf(part, sizeof(part), "%u", p);
	snprintf(parts, sizeof(parts), "%u", n);
	res = itin_db_rows(conn, "SELECT itin_request_ids_partition($1, $2)", 2, values,
			   "numbering the partition's requests");
	if (!res)
		return -EIO;
	PQclear(res);
	return 0;
}

static int partitions_destructor(struct itin_partitions *p)
{
	for (unsigned i = 0; i < p->num; i++) {
		if (p->conn[i])
			PQfinish(p->conn[i]);
	}
	return 0;
}

/* The map's rows into p: numbered 0 .. n - 1, n a power of two. */
static int read_map(struct itin_partitions *p, PGconn *proxy)
{
	PGresult *res = itin_db_rows(proxy, "SELECT n, conninfo FROM itin_partitions() ORDER BY n",
				     0, NULL, "reading the cluster map");
	unsigned n;

	if (!res)
		return -EIO;
	n = PQntuples(res);
	if (n == 0 || (n & (n - 1)) != 0 || n > ITIN_MAX_PARTITIONS) {
		LOGP(DLOAD, LOGL_ERROR, "the cluster map has %u partitions, not a power of two up to "
		     "%u\n", n, ITIN_MAX_PARTITIONS);
		PQclear(res);
		return -EINVAL;
	}
	p->conninfo = talloc_zero_array(p, char *, n);
	p->conn = talloc_zero_array(p, PGconn *, n);
	if (!p->conninfo || !p->conn) {
		PQclear(res);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		if (strtoul(PQgetvalue(res, i, 0), NULL, 10) != i) {
			LOGP(DLOAD, LOGL_ERROR, "the cluster map has no partition_%u\n", i);
			PQclear(res);
			return -EINVAL;
		}
		p->conninfo[i] = talloc_strdup(p, PQgetvalue(res, i, 1));
		if (!p->conninfo[i]) {
			PQclear(res);
			return -ENOMEM;
		}
	}
	p->num = n;
	PQclear(res);
	return 0;
}

int itin_db_partitions_open(void *ctx, PGconn *proxy, struct itin_partitions **out)
{
	struct itin_partitions *p;
	char err[256];
	int rc;

	*out = NULL;
	if ((rc = itin_db_is_proxy(proxy)) <= 0)
		return rc;
	p = talloc_zero(ctx, struct itin_partitions);
	if (!p)
		return -ENOMEM;
	talloc_set_destructor(p, partitions_destructor);
	if ((rc = read_map(p, proxy)) < 0)
		goto fail;
	for (unsigned i = 0; i < p->num; i++) {
		char *conninfo = itin_db_conninfo_as(p, p->conninfo[i], PQuser(proxy), err,
						     sizeof(err));

		if (!conninfo) {
			LOGP(DLOAD, LOGL_ERROR, "partition %u: %s\n", i, err);
			rc = -EINVAL;
			goto fail;
		}
		p->conn[i] = itin_db_connect_blocking(conninfo, err, sizeof(err));
		if (!p->conn[i]) {
			LOGP(DLOAD, LOGL_ERROR, "partition %u: %s\n", i, err);
			rc = -EIO;
			goto fail;
		}
	}
	*out = p;
	return 0;
fail:
	talloc_free(p);
	return rc;
}
