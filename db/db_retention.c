/*
 * The daily table swap. Both presence tables are rebuilt folded (one row per subscriber, day
 * and place: loads append), the days before today into presence_history. While they are built,
 * loads wait (presence_recent is locked against writes) and lookups go on; they wait only for
 * the swap itself. The old tables are dropped in the same transaction, which is what removes
 * expired rows from disk. Then, in the same transaction, what identifies a subscriber goes with
 * their last presence: the subscriber, their keys, and the state of a key that no subscriber
 * holds any more once it is as old as the presence dropped. Presence dated beyond the clock
 * (loaded before the loader had bounds) goes too, and the feed's newest event time with it.
 * Each step that reads presence is a function of migration 090 that runs as the schema's
 * owner: the loader's role that runs retention creates and drops nothing and reads no presence.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "db/db_copy.h"
#include "db/db_load_events.h"
#include "db/db_retention.h"
#include "common/localtime.h"

/* Subscribers without presence left, their keys, and the state of keys that no subscriber holds
 * whose last request is older than the first day kept (cutoff, Unix seconds): the function
 * itin_identities_expire (migration 090), which reads presence as the owner. */
static int expire_identities(PGconn *conn, int64_t cutoff)
{
	char sql[128];
	PGresult *res;

	snprintf(sql, sizeof(sql), "SELECT * FROM itin_identities_expire(to_timestamp(%lld))",
		 (long long)cutoff);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		LOGP(DLOAD, LOGL_NOTICE, "retention: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -EIO;
	}
	LOGP(DLOAD, LOGL_NOTICE, "retention: expired %s subscribers, %s keys, %s subscriber states\n",
		PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	PQclear(res);
	return 0;
}

/* A newest event time beyond newest (Unix seconds) becomes that of the newest presence kept, or
 * goes if none is left: the function itin_feed_state_clamp (migration 090). */
static int clamp_feed_state(PGconn *conn, int64_t newest)
{
	char sql[128];
	PGresult *res;
	int clamped;

	snprintf(sql, sizeof(sql), "SELECT itin_feed_state_clamp(to_timestamp(%lld))", (long long)newest);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		LOGP(DLOAD, LOGL_ERROR, "retention: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -EIO;
	}
	clamped = strtoll(PQgetvalue(res, 0, 0), NULL, 10) > 0;
	PQclear(res);
	if (clamped)
		LOGP(DLOAD, LOGL_NOTICE, "retention: the newest event time was beyond the clock: "
		     "set to the newest kept\n");
	return 0;
}

/* One of the functions that keep rows by day (migrations 052, 090, 185, 186, 200), run as
 * function(today, keep_days), today a local day number. */
static int expire_days(PGconn *conn, const char *function, int32_t today, unsigned keep_days)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT %s(DATE '1970-01-01' + %d, %u)", function, today,
		 keep_days);
	return itin_db_exec(conn, sql, "retention") ? 0 : -EIO;
}

int itin_db_retention(PGconn *conn, const struct itin_service_config *service,
		      const struct itin_feed_config *feed, const struct itin_privacy_config *privacy,
		      int64_t now)
{
	char sql[256], kept[128];
	int32_t today, keep_from, last_day;
	int64_t newest = now + feed->max_future_skew_s;
	int year, month, mday;
	PGresult *res;

	if (itin_localtime_init(service->time_zone) < 0) {
		LOGP(DLOAD, LOGL_ERROR, "retention: unknown time zone %s\n", service->time_zone);
		return -EINVAL;
	}
	today = itin_local_day(now);
	keep_from = today - (int32_t)service->window_days;
	last_day = itin_local_day(newest);
	/* Alone, not beside an event load (db_load_events.c holds this lock shared while it
	 * runs): a load keeps the subscriber ids it has read for its later batches, which must
	 * not lose their keys to this run before they write the presence that keeps them. */
	if (!itin_db_exec(conn, "BEGIN", "retention") ||
	    !itin_db_exec(conn, "SELECT pg_advisory_xact_lock(" ITIN_DB_LOAD_LOCK ")", "retention"))
		goto fail;
	snprintf(sql, sizeof(sql), "SELECT * FROM itin_presence_swap(DATE '1970-01-01' + %d, "
		 "DATE '1970-01-01' + %d, DATE '1970-01-01' + %d)", today, keep_from, last_day);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		LOGP(DLOAD, LOGL_ERROR, "retention: %s", PQresultErrorMessage(res));
		PQclear(res);
		goto fail;
	}
	/* Said last, after the lines of what expired. */
	itin_local_date(keep_from, &year, &month, &mday);
	snprintf(kept, sizeof(kept), "retention: kept %04d-%02d-%02d on: %s history rows, "
		 "%s recent rows\n", year, month, mday, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	PQclear(res);
	if (expire_identities(conn, itin_local_day_start(keep_from)) < 0 ||
	    clamp_feed_state(conn, newest) < 0)
		goto fail;
	/* The audit and the operator queries past audit_days; verification codes past their day,
	 * their checks' audit past audit_days (migration 185); disputes past dispute_days. */
	if (expire_days(conn, "itin_audit_maintain", today, privacy->audit_days) < 0 ||
	    expire_days(conn, "itin_operator_audit_expire", today, privacy->audit_days) < 0 ||
	    expire_days(conn, "itin_verify_maintain", today, privacy->audit_days) < 0 ||
	    expire_days(conn, "itin_dispute_maintain", today, privacy->dispute_days) < 0)
		goto fail;
	/* For the daemon's /metrics, and an alert when the daily run stops. */
	snprintf(sql, sizeof(sql), "INSERT INTO feed_state (feed, newest_event, loaded_at) VALUES "
		 "('retention', to_timestamp(%lld), now()) ON CONFLICT (feed) DO UPDATE SET "
		 "newest_event = EXCLUDED.newest_event, loaded_at = EXCLUDED.loaded_at",
		 (long long)itin_local_day_start(keep_from));
	if (!itin_db_exec(conn, sql, "retention"))
		goto fail;
	LOGP(DLOAD, LOGL_NOTICE, "%s", kept);
	return itin_db_exec(conn, "COMMIT", "retention") ? 0 : -EIO;
fail:
	itin_db_exec(conn, "ROLLBACK", "retention");
	return -EIO;
}

int itin_db_purge(PGconn *conn)
{
	if (!itin_db_exec(conn, "TRUNCATE presence_history, presence_recent, subscriber_key, "
			  "subscriber, feed_state, risk_area, subscriber_state, request_pending, audit, "
			  "operator_audit, verify_code, verify_audit, verify_checker, dispute", "purge"))
		return -EIO;
	LOGP(DLOAD, LOGL_NOTICE, "purge: all subscriber data deleted\n");
	return 0;
}
