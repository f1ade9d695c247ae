/*
 * The last load's counts, in one transaction so that the daemon never reads a load's totals
 * with another's reasons. The reasons beyond the loader's table are kept as one more row.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "common/log.h"
#include "db/db_copy.h"
#include "db/db_load_record.h"

#define OTHER_REASONS "other reasons"

static bool exec_params(PGconn *conn, const char *sql, int n, const char *const *values)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		LOGP(DLOAD, LOGL_ERROR, "recording the load: %s", PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

static bool record_reason(PGconn *conn, const char *feed, const char *why, uint64_t lines)
{
	char count[24];
	const char *values[3] = { feed, why, count };

	snprintf(count, sizeof(count), "%" PRIu64, lines);
	return exec_params(conn, "INSERT INTO feed_load_refused (feed, reason, lines) VALUES ($1, $2, $3)",
			   3, values);
}

int itin_db_load_record(itin_db_conn *conn, const char *feed, const struct itin_load_stats *st)
{
	char n[4][24];
	const char *values[5] = { feed, n[0], n[1], n[2], n[3] };
	bool ok;

	snprintf(n[0], sizeof(n[0]), "%" PRIu64, st->lines);
	snprintf(n[1], sizeof(n[1]), "%" PRIu64, st->loaded);
	snprintf(n[2], sizeof(n[2]), "%" PRIu64, st->skipped);
	snprintf(n[3], sizeof(n[3]), "%" PRIu64, st->unknown);
	ok = itin_db_exec(conn, "BEGIN", "recording the load") &&
	     exec_params(conn, "INSERT INTO feed_load (feed, finished_at, lines, loaded, refused, unknown) "
			 "VALUES ($1, now(), $2, $3, $4, $5) ON CONFLICT (feed) DO UPDATE SET "
			 "finished_at = now(), lines = $2, loaded = $3, refused = $4, unknown = $5",
			 5, values) &&
	     exec_params(conn, "DELETE FROM feed_load_refused WHERE feed = $1", 1, values);
	for (unsigned i = 0; ok && i < st->num_reasons; i++)
		ok = record_reason(conn, feed, st->reason[i].why, st->reason[i].count);
	if (ok && st->other_reasons)
		ok = record_reason(conn, feed, OTHER_REASONS, st->other_reasons);
	if (ok && itin_db_exec(conn, "COMMIT", "recording the load"))
		return 0;
	itin_db_exec(conn, "ROLLBACK", "recording the load");
	return -EIO;
}
