/*
 * itinerad-db retire-key: the checks and deletes of db_keys.h, in one transaction that holds
 * the loader's lock, so that no load writes under the key in between.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/log.h"
#include "db/db_copy.h"
#include "db/db_keys.h"

/* A statement with one parameter (or none: NULL); NULL after an error (logged). */
static PGresult *query(PGconn *conn, const char *sql, const char *param)
{
	const char *values[1] = { param };
	PGresult *res = PQexecParams(conn, sql, param ? 1 : 0, NULL, values, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
		LOGP(DLOAD, LOGL_ERROR, "retire-key: %s", PQerrorMessage(conn));
		PQclear(res);
		return NULL;
	}
	return res;
}

static long long count_of(PGresult *res, int col)
{
	return PQntuples(res) ? strtoll(PQgetvalue(res, 0, col), NULL, 10) : 0;
}

static long long deleted(PGconn *conn, const char *sql, const char *id)
{
	PGresult *res = query(conn, sql, id);
	long long n = res ? strtoll(PQcmdTuples(res), NULL, 10) : -1;

	PQclear(res);
	return n;
}

int itin_db_retire_key(PGconn *conn, const struct itin_keys *in_use,
		       const struct itin_service_config *service, unsigned id, FILE *out)
{
	char id_text[8], days[12];
	PGresult *res;
	long long n, keys, subscribers, states;
	int rc = -EIO;

	if (in_use->num && id >= in_use->key[0].id) {
		LOGP(DLOAD, LOGL_ERROR, "retire-key: key %u is %s: only an older key can be retired; to "
			"rotate, add a key with a higher id first\n", id,
			id == in_use->key[0].id ? "the current key" : "newer than the current key");
		return -EBUSY;
	}
	snprintf(id_text, sizeof(id_text), "%u", id);
	if (!itin_db_exec(conn, "BEGIN", "retire-key") ||
	    !itin_db_exec(conn, "SELECT pg_advisory_xact_lock(7401002)", "retire-key"))
		goto fail;
	/* The subscribers that only the key's rows find: no newer key joined them. */
	res = query(conn, "CREATE TEMP TABLE retire_only ON COMMIT DROP AS "
		    "SELECT DISTINCT k.subscriber FROM subscriber_key k WHERE k.key_id = $1 "
		    "AND NOT EXISTS (SELECT 1 FROM subscriber_key o "
		    "WHERE o.subscriber = k.subscriber AND o.key_id <> $1)", id_text);
	if (!res)
		goto fail;
	PQclear(res);
	/* Their newest day, and the day retention drops it: it keeps window_days + 1 days. */
	snprintf(days, sizeof(days), "%u", service->window_days + 1);
	res = query(conn, "SELECT count(DISTINCT p.subscriber), to_char(max(p.day), 'YYYY-MM-DD'), "
		    "to_char(max(p.day) + $1::integer, 'YYYY-MM-DD') "
		    "FROM (SELECT subscriber, day FROM presence_recent "
		    "UNION ALL SELECT subscriber, day FROM presence_history) p "
		    "WHERE p.subscriber IN (SELECT subscriber FROM retire_only)", days);
	if (!res)
		goto fail;
	n = count_of(res, 0);
	if (n) {
		LOGP(DLOAD, LOGL_ERROR, "retire-key: key %u still reaches the presence of %lld subscribers, "
			"newest day %s; retention drops it on %s (window_days + 1 days later): retire "
			"the key after that run\n", id, n, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
		PQclear(res);
		rc = -EBUSY;
		goto fail;
	}
	PQclear(res);
	res = query(conn, "SELECT count(*) FROM request_pending "
		    "WHERE substring(reply_to FROM 1 FOR 2) = int2send($1::smallint)", id_text);
	if (!res)
		goto fail;
	n = count_of(res, 0);
	PQclear(res);
	if (n) {
		LOGP(DLOAD, LOGL_ERROR, "retire-key: %lld pending requests hold a reply address sealed under key "
			"%u: let itinerad answer them with the key still in the secret file, then "
			"retire it\n", n, id);
		rc = -EBUSY;
		goto fail;
	}
	/* The state of a requester is kept under the key of the request's identity. */
	states = deleted(conn, "DELETE FROM subscriber_state WHERE key IN "
			 "(SELECT key FROM subscriber_key WHERE key_id = $1)", id_text);
	keys = deleted(conn, "DELETE FROM subscriber_key WHERE key_id = $1", id_text);
	subscribers = deleted(conn, "DELETE FROM subscriber "
			      "WHERE id IN (SELECT subscriber FROM retire_only)", NULL);
	/* A subscriber a newer key reaches but whose mask the old key sealed: the loader seals
	 * the mask again when it joins a subscriber to its new key, so none is expected; its
	 * mask could no longer be opened anyway. */
	if (states < 0 || keys < 0 || subscribers < 0 ||
	    deleted(conn, "UPDATE subscriber s SET mask_sealed = NULL, key_id = (SELECT "
		    "max(key_id) FROM subscriber_key k WHERE k.subscriber = s.id) "
		    "WHERE s.key_id = $1", id_text) < 0 ||
	    !itin_db_exec(conn, "COMMIT", "retire-key"))
		goto fail;
	fprintf(out, "retire-key: key %u retired: %lld subscriber keys, %lld subscribers and %lld "
		"subscriber states deleted; nothing under key %u is left: delete its line from the "
		"secret file\n", id, keys, subscribers, states, id);
	return 0;
fail:
	itin_db_exec(conn, "ROLLBACK", "retire-key");
	return rc;
}
