/*
 * Lookups on a hot standby (db_replica.h). The lag is what the standby says of itself: none
 * when it is a primary or has replayed all the WAL it received, else the age of the last
 * transaction it replayed (pg_last_xact_replay_timestamp()). A standby cut off from its
 * primary has replayed all it received and looks caught up: the primary's monitoring
 * (pg_stat_replication, pg_auto_failover's monitor) is what tells of that.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "common/log.h"
#include "db/db_replica.h"
#include "db/db_sql.h"

#define LAG_CHECK_S 1

static const struct itin_db_statement statements[] = {
	{ "lookup", itin_sql_lookup_batch, ITIN_SQL_LOOKUP_BATCH_PARAMS },
	{ "replica_lag", "SELECT CASE WHEN NOT pg_is_in_recovery() "
			 "OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
			 "ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END", 0 },
};

enum replica_state { REPLICA_UNKNOWN, REPLICA_IN_USE, REPLICA_DOWN, REPLICA_BEHIND };

struct itin_db_replica {
	struct itin_db_pool *standby, *primary;
	unsigned max_lag_s;
	struct event *timer;
	bool checking;
	double lag_s;			/* < 0: not known */
	enum replica_state state;	/* the last one logged */
	unsigned long long lookups, fallbacks;
};

/* A lookup sent to the standby, with what it takes to send it to the primary instead. */
struct replica_read {
	struct itin_db_replica *r;
	int nparams;
	char **values;
	itin_db_cb cb;
	void *arg;
};

static void set_state(struct itin_db_replica *r, enum replica_state state)
{
	if (state == r->state)
		return;
	r->state = state;
	switch (state) {
	case REPLICA_IN_USE:
		LOGP(DDB, LOGL_NOTICE, "lookups on the standby (read_conninfo), %.1f s behind\n",
		     r->lag_s);
		break;
	case REPLICA_DOWN:
		LOGP(DDB, LOGL_NOTICE, "the standby (read_conninfo) is unreachable: lookups on the "
		     "primary\n");
		break;
	case REPLICA_BEHIND:
		if (r->lag_s < 0)
			LOGP(DDB, LOGL_NOTICE, "the standby (read_conninfo) does not say how far "
			     "behind it is: lookups on the primary\n");
		else
			LOGP(DDB, LOGL_NOTICE, "the standby (read_conninfo) is %.1f s behind, more "
			     "than max_read_lag (%u s): lookups on the primary\n", r->lag_s,
			     r->max_lag_s);
		break;
	case REPLICA_UNKNOWN:
		break;
	}
}

static bool standby_usable(struct itin_db_replica *r)
{
	if (!itin_db_pool_is_up(r->standby)) {
		r->lag_s = -1;
		if (r->state == REPLICA_IN_USE)
			set_state(r, REPLICA_DOWN);
		return false;
	}
	return r->state == REPLICA_IN_USE;
}

static void lag_cb(void *arg, const PGresult *res)
{
	struct itin_db_replica *r = arg;

	r->checking = false;
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		r->lag_s = -1;
		set_state(r, REPLICA_DOWN);
		return;
	}
	r->lag_s = PQgetisnull(res, 0, 0) ? -1 : strtod(PQgetvalue(res, 0, 0), NULL);
	set_state(r, r->lag_s >= 0 && r->lag_s <= r->max_lag_s ? REPLICA_IN_USE : REPLICA_BEHIND);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct itin_db_replica *r = arg;

	if (!itin_db_pool_is_up(r->standby)) {
		/* Logged once it was in use, or at the first check: its pool logs each attempt. */
		r->lag_s = -1;
		set_state(r, REPLICA_DOWN);
		return;
	}
	if (r->checking)
		return;
	r->checking = true;
	if (itin_db_pool_read(r->standby, "replica_lag", 0, NULL, lag_cb, r) < 0)
		r->checking = false;
}

static void replica_read_cb(void *arg, const PGresult *res)
{
	struct replica_read *rr = arg;
	struct itin_db_replica *r = rr->r;

	if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
		r->lookups++;
		rr->cb(rr->arg, res);
	} else {
		/* The standby went, or cancelled the lookup for a conflict with its recovery. */
		LOGP(DDB, LOGL_INFO, "lookup on the standby failed, sent to the primary: %s",
		     res ? PQresultErrorMessage(res) : "connection lost\n");
		r->fallbacks++;
		if (itin_db_pool_read(r->primary, "lookup", rr->nparams,
				      (const char *const *)rr->values, rr->cb, rr->arg) < 0)
			rr->cb(rr->arg, NULL);
	}
	talloc_free(rr);
}

int itin_db_replica_lookup(struct itin_db_replica *r, int nparams, const char *const *values,
			   itin_db_cb cb, void *arg)
{
	struct replica_read *rr;
	int rc;

	if (!standby_usable(r))
		return itin_db_pool_read(r->primary, "lookup", nparams, values, cb, arg);
	rr = talloc_zero(r, struct replica_read);
	if (!rr)
		return -ENOMEM;
	*rr = (struct replica_read){ .r = r, .nparams = nparams, .cb = cb, .arg = arg };
	rr->values = talloc_zero_array(rr, char *, nparams);
	for (int i = 0; rr->values && i < nparams; i++) {
		if (values[i] && !(rr->values[i] = talloc_strdup(rr->values, values[i]))) {
			talloc_free(rr);
			return -ENOMEM;
		}
	}
	if (!rr->values) {
		talloc_free(rr);
		return -ENOMEM;
	}
	rc = itin_db_pool_read(r->standby, "lookup", nparams, values, replica_read_cb, rr);
	if (rc < 0) {
		talloc_free(rr);
		return itin_db_pool_read(r->primary, "lookup", nparams, values, cb, arg);
	}
	return 0;
}

static int replica_destructor(struct itin_db_replica *r)
{
	if (r->timer)
		event_free(r->timer);
	return 0;
}

struct itin_db_replica *itin_db_replica_alloc(void *ctx, struct event_base *base,
					      const char *conninfo, unsigned connections,
					      unsigned max_lag_s, struct itin_db_pool *primary)
{
	struct itin_db_replica *r = talloc_zero(ctx, struct itin_db_replica);

	if (!r)
		return NULL;
	talloc_set_destructor(r, replica_destructor);
	r->primary = primary;
	r->max_lag_s = max_lag_s;
	r->lag_s = -1;
	r->standby = itin_db_pool_alloc(r, base, conninfo, connections, statements,
					sizeof(statements) / sizeof(statements[0]));
	r->timer = event_new(base, -1, EV_PERSIST, timer_cb, r);
	if (!r->standby || !r->timer) {
		talloc_free(r);
		return NULL;
	}
	itin_db_pool_set_name(r->standby, "read ");
	return r;
}

int itin_db_replica_start(struct itin_db_replica *r)
{
	struct timeval tv = { LAG_CHECK_S, 0 };

	evtimer_add(r->timer, &tv);
	return itin_db_pool_start(r->standby);
}

void itin_db_replica_get_stats(const struct itin_db_replica *r, struct itin_db_replica_stats *st)
{
	*st = (struct itin_db_replica_stats){ .in_use = r->state == REPLICA_IN_USE &&
						       itin_db_pool_is_up(r->standby),
					      .lag_s = r->lag_s, .lookups = r->lookups,
					      .fallbacks = r->fallbacks };
}
