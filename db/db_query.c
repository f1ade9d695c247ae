/*
 * The audited operator query's statements (db_query.h), one after the other on a blocking
 * connection: audit, lookup, freshness, risks. The results are decoded by db_lookup.c, as the
 * daemon's are.
 */
#include <errno.h>

#include <libpq-fe.h>

#include "common/log.h"
#include "db/db_copy.h"
#include "db/db_lookup.h"
#include "db/db_query.h"
#include "db/db_sql.h"

/* The database adds the time and its own user to the row. */
static int audit(PGconn *conn, const struct itin_db_query *q)
{
	const char *values[4] = { q->os_user, q->sudo_user, q->command, (const char *)q->key };
	int lengths[4] = { 0, 0, 0, ITIN_SUBSCRIBER_KEY_LEN };
	int formats[4] = { 0, 0, 0, 1 };
	PGresult *res = PQexecParams(conn, "INSERT INTO operator_audit (os_user, sudo_user, command, "
				     "key) VALUES ($1, $2, $3, $4)", 4, NULL, values, lengths,
				     formats, 0);
	int rc = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		LOGP(DLOAD, LOGL_ERROR, "query: not audited, so not answered: %s", PQerrorMessage(conn));
		rc = -EACCES;
	}
	PQclear(res);
	return rc;
}

int itin_db_query_subscriber(void *ctx, itin_db_conn *conn,
			     const struct itin_service_config *service,
			     const struct itin_db_query *q, struct itin_db_query_result *out)
{
	struct itin_lookup_params params;
	PGresult *res;
	int rc;

	*out = (struct itin_db_query_result){ 0 };
	if ((rc = audit(conn, q)) < 0)
		return rc;
	itin_lookup_params_set(&params, service, q->key, q->previous_key, q->now);
	if (!(res = itin_db_rows(conn, itin_sql_lookup, 3, params.values, "query")))
		return -EIO;
	rc = itin_lookup_from_result(ctx, res, &out->lookup);
	PQclear(res);
	if (rc < 0)
		return rc;
	if (!out->lookup.known)
		return -ENOENT;
	/* No freshness row yet reads as 0, as in the daemon. */
	res = itin_db_rows(conn, itin_sql_freshness, 0, NULL, "query");
	out->updated_at = itin_freshness_from_result(res);
	PQclear(res);
	if (!(res = itin_db_rows(conn, itin_sql_risks, 0, NULL, "query")))
		return -EIO;
	rc = itin_risks_from_result(ctx, res, &out->risks, &out->num_risks);
	PQclear(res);
	return rc;
}
