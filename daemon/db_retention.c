/*
 * The daily table swap. Both presence tables are rebuilt folded (one row per subscriber, day
 * and place: loads append), the days before today into presence_history. While they are built,
 * loads wait (presence_recent is locked against writes) and lookups go on; they wait only for
 * the swap itself. The old tables are dropped in the same transaction, which is what removes
 * expired rows from disk. The swap is the function itin_presence_swap (migration 090), which
 * runs as the schema's owner: the loader's role that runs retention creates and drops nothing.
 */
#include <stdio.h>

#include "daemon/db_copy.h"
#include "daemon/db_retention.h"
#include "daemon/localtime.h"

int itin_db_retention(PGconn *conn, const struct itin_config *cfg, int64_t now, FILE *log)
{
	char sql[256];
	int32_t today, keep_from;
	int year, month, mday;
	PGresult *res;

	if (itin_localtime_init(cfg->time_zone) < 0) {
		fprintf(log, "retention: unknown time zone %s\n", cfg->time_zone);
		return -1;
	}
	today = itin_local_day(now);
	keep_from = today - (int32_t)cfg->window_days;
	if (!itin_db_exec(conn, "BEGIN", "retention", log))
		return -1;
	snprintf(sql, sizeof(sql), "SELECT * FROM itin_presence_swap(DATE '1970-01-01' + %d, "
		 "DATE '1970-01-01' + %d)", today, keep_from);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		fprintf(log, "retention: %s", PQresultErrorMessage(res));
		PQclear(res);
		goto fail;
	}
	itin_local_date(keep_from, &year, &month, &mday);
	fprintf(log, "retention: kept %04d-%02d-%02d on: %s history rows, %s recent rows\n",
		year, month, mday, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	PQclear(res);
	snprintf(sql, sizeof(sql), "SELECT itin_audit_maintain(DATE '1970-01-01' + %d, %u)", today,
		 cfg->audit_days);
	if (!itin_db_exec(conn, sql, "retention", log))
		goto fail;
	return itin_db_exec(conn, "COMMIT", "retention", log) ? 0 : -1;
fail:
	itin_db_exec(conn, "ROLLBACK", "retention", log);
	return -1;
}

int itin_db_purge(PGconn *conn, FILE *log)
{
	if (!itin_db_exec(conn, "TRUNCATE presence_history, presence_recent, subscriber_key, "
			  "subscriber, feed_state, risk_area, subscriber_state, request_pending, audit", "purge", log))
		return -1;
	fprintf(log, "purge: all subscriber data deleted\n");
	return 0;
}
