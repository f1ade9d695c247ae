/*
 * The daily table swap. Both presence tables are rebuilt folded (one row per subscriber, day
 * and place: loads append), the days before today into presence_history. While they are built,
 * loads wait (presence_recent is locked against writes) and lookups go on; they wait only for
 * the swap itself. The old tables are dropped in the same transaction, which is what removes
 * expired rows from disk. Then, in the same transaction, what identifies a subscriber goes with
 * their last presence: the subscriber, their keys, and the state of a key that no subscriber
 * holds any more once it is as old as the presence dropped. Presence dated beyond the clock
 * (loaded before the loader had bounds) goes too, and the feed's newest event time with it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/db_copy.h"
#include "db/db_load_events.h"
#include "db/db_retention.h"
#include "common/localtime.h"

/* Runs a statement that changes rows; returns how many, or -1 (reported on log). */
static long long exec_rows(PGconn *conn, const char *sql, FILE *log)
{
	PGresult *res = PQexec(conn, sql);
	long long n = -1;

	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		n = strtoll(PQcmdTuples(res), NULL, 10);
	else
		fprintf(log, "retention: %s", PQerrorMessage(conn));
	PQclear(res);
	return n;
}

/* Subscribers without presence left, their keys, and the state of keys that no subscriber holds
 * whose last request is older than the first day kept (cutoff, Unix seconds). The daemon's
 * request rules recreate a state row deleted under them (they write by the row's version). */
static int expire_identities(PGconn *conn, int64_t cutoff, FILE *log)
{
	char sql[512];
	long long subscribers, keys, states;

	if (!itin_db_exec(conn, "CREATE TEMP TABLE retention_expired ON COMMIT DROP AS "
			  "SELECT id FROM subscriber s "
			  "WHERE NOT EXISTS (SELECT 1 FROM presence_history p WHERE p.subscriber = s.id) "
			  "AND NOT EXISTS (SELECT 1 FROM presence_recent p WHERE p.subscriber = s.id)",
			  "retention", log) ||
	    (keys = exec_rows(conn, "DELETE FROM subscriber_key "
			      "WHERE subscriber IN (SELECT id FROM retention_expired)", log)) < 0 ||
	    (subscribers = exec_rows(conn, "DELETE FROM subscriber "
				     "WHERE id IN (SELECT id FROM retention_expired)", log)) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "DELETE FROM subscriber_state s "
		 "WHERE (s.last_message_at IS NULL OR s.last_message_at < to_timestamp(%lld)) "
		 "AND NOT EXISTS (SELECT 1 FROM subscriber_key k WHERE k.key = s.key)", (long long)cutoff);
	if ((states = exec_rows(conn, sql, log)) < 0)
		return -1;
	fprintf(log, "retention: expired %lld subscribers, %lld keys, %lld subscriber states\n",
		subscribers, keys, states);
	return 0;
}

/* A newest event time beyond newest (Unix seconds) becomes that of the newest presence kept, or
 * goes if none is left. The subquery runs only when the row qualifies. */
static int clamp_feed_state(PGconn *conn, int64_t newest, FILE *log)
{
	char sql[512];
	long long n;

	snprintf(sql, sizeof(sql), "UPDATE feed_state SET newest_event = coalesce((SELECT max(last_seen) "
		 "FROM (SELECT last_seen FROM presence_history UNION ALL "
		 "SELECT last_seen FROM presence_recent) kept WHERE last_seen <= to_timestamp(%lld)), "
		 "newest_event) WHERE feed = 'events' AND newest_event > to_timestamp(%lld)",
		 (long long)newest, (long long)newest);
	if ((n = exec_rows(conn, sql, log)) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "DELETE FROM feed_state WHERE feed = 'events' "
		 "AND newest_event > to_timestamp(%lld)", (long long)newest);
	if (exec_rows(conn, sql, log) < 0)
		return -1;
	if (n > 0)
		fprintf(log, "retention: the newest event time was beyond the clock: set to the newest kept\n");
	return 0;
}

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
	int32_t today, keep_from, last_day;
	int64_t newest = now + cfg->max_future_skew_s;
	int year, month, mday;
	PGresult *res;

	if (itin_localtime_init(cfg->time_zone) < 0) {
		fprintf(log, "retention: unknown time zone %s\n", cfg->time_zone);
		return -1;
	}
	today = itin_local_day(now);
	keep_from = today - (int32_t)cfg->window_days;
	last_day = itin_local_day(newest);
	/* Alone, not beside an event load (db_load_events.c holds this lock shared while it
	 * runs): a load keeps the subscriber ids it has read for its later batches, which must
	 * not lose their keys to this run before they write the presence that keeps them. */
	if (!itin_db_exec(conn, "BEGIN", "retention", log) ||
	    !itin_db_exec(conn, "SELECT pg_advisory_xact_lock(" ITIN_DB_LOAD_LOCK ")", "retention", log) ||
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
		 "AND day <= DATE '1970-01-01' + %d "
		 "GROUP BY subscriber, day, place ORDER BY subscriber, day, place", today, last_day);
	if (!itin_db_exec(conn, sql, "retention", log))
		goto fail;
	for (unsigned i = 0; i < sizeof(swap) / sizeof(swap[0]); i++) {
		if (!itin_db_exec(conn, swap[i], "retention", log))
			goto fail;
	}
	if (expire_identities(conn, itin_local_day_start(keep_from), log) < 0 ||
	    clamp_feed_state(conn, newest, log) < 0)
		goto fail;
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
