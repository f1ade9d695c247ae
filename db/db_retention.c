/*
 * The daily table swap. Both presence tables are rebuilt folded (one row per subscriber, day
 * and place: loads append), the days before today into presence_history. While they are built,
 * loads wait (presence_recent is locked against writes) and lookups go on; they wait only for
 * the swap itself. The old tables are dropped in the same transaction, which is what removes
 * expired rows from disk.
 */
#include <stdio.h>

#include "db/db_copy.h"
#include "db/db_retention.h"
#include "common/localtime.h"

int itin_db_retention(PGconn *conn, const struct itin_config *cfg, int64_t now, FILE *log)
{
	static const char *const swap[] = {
		"DROP TABLE presence_history",
		"ALTER TABLE presence_history_new RENAME TO presence_history",
		"ALTER INDEX presence_history_new_pkey RENAME TO presence_history_pkey",
		"DROP TABLE presence_recent",
		"ALTER TABLE presence_recent_new RENAME TO presence_recent",
		"ALTER INDEX presence_recent_new_subscriber_day_idx RENAME TO presence_recent_subscriber_day_idx",
		"ANALYZE presence_history",
		"ANALYZE presence_recent",
	};
	char sql[1024];
	int32_t today, keep_from;
	int year, month, mday;
	PGresult *res;

	if (itin_localtime_init(cfg->time_zone) < 0) {
		fprintf(log, "retention: unknown time zone %s\n", cfg->time_zone);
		return -1;
	}
	today = itin_local_day(now);
	keep_from = today - (int32_t)cfg->window_days;
	if (!itin_db_exec(conn, "BEGIN", "retention", log) ||
	    !itin_db_exec(conn, "LOCK TABLE presence_recent IN SHARE ROW EXCLUSIVE MODE", "retention", log) ||
	    !itin_db_exec(conn, "CREATE TABLE presence_history_new (LIKE presence_recent)", "retention", log))
		goto fail;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO presence_history_new "
		 "SELECT subscriber, day, place, min(first_seen), max(last_seen), sum(events)::integer "
		 "FROM (SELECT * FROM presence_history WHERE day >= DATE '1970-01-01' + %d "
		 "UNION ALL SELECT * FROM presence_recent WHERE day >= DATE '1970-01-01' + %d "
		 "AND day < DATE '1970-01-01' + %d) kept "
		 "GROUP BY subscriber, day, place ORDER BY subscriber, day, place",
		 keep_from, keep_from, today);
	if (!itin_db_exec(conn, sql, "retention", log) ||
	    !itin_db_exec(conn, "ALTER TABLE presence_history_new ADD PRIMARY KEY (subscriber, day, place)",
			  "retention", log) ||
	    !itin_db_exec(conn, "CREATE TABLE presence_recent_new (LIKE presence_recent INCLUDING ALL)",
			  "retention", log))
		goto fail;
	snprintf(sql, sizeof(sql), "INSERT INTO presence_recent_new "
		 "SELECT subscriber, day, place, min(first_seen), max(last_seen), sum(events)::integer "
		 "FROM presence_recent WHERE day >= DATE '1970-01-01' + %d "
		 "GROUP BY subscriber, day, place ORDER BY subscriber, day, place", today);
	if (!itin_db_exec(conn, sql, "retention", log))
		goto fail;
	for (unsigned i = 0; i < sizeof(swap) / sizeof(swap[0]); i++) {
		if (!itin_db_exec(conn, swap[i], "retention", log))
			goto fail;
	}
	snprintf(sql, sizeof(sql), "SELECT itin_audit_maintain(DATE '1970-01-01' + %d, %u)", today,
		 cfg->audit_days);
	if (!itin_db_exec(conn, sql, "retention", log))
		goto fail;
	snprintf(sql, sizeof(sql), "DELETE FROM operator_audit WHERE asked_at < "
		 "(DATE '1970-01-01' + %d - %u)::timestamp AT TIME ZONE 'UTC'", today, cfg->audit_days);
	if (!itin_db_exec(conn, sql, "retention", log))
		goto fail;
	res = PQexec(conn, "SELECT (SELECT count(*) FROM presence_history), "
		     "(SELECT count(*) FROM presence_recent)");
	itin_local_date(keep_from, &year, &month, &mday);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		fprintf(log, "retention: kept %04d-%02d-%02d on: %s history rows, %s recent rows\n",
			year, month, mday, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	PQclear(res);
	return itin_db_exec(conn, "COMMIT", "retention", log) ? 0 : -1;
fail:
	itin_db_exec(conn, "ROLLBACK", "retention", log);
	return -1;
}

int itin_db_purge(PGconn *conn, FILE *log)
{
	if (!itin_db_exec(conn, "TRUNCATE presence_history, presence_recent, subscriber_key, "
			  "subscriber, feed_state, risk_area, subscriber_state, request_pending, audit, "
			  "operator_audit", "purge", log))
		return -1;
	fprintf(log, "purge: all subscriber data deleted\n");
	return 0;
}
