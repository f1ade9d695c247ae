/*
 * The itinerary lookups on a hot standby ([database] read_conninfo): a pool of its own to the
 * standby, and the choice, per statement, of the standby or the primary's pool. The standby
 * takes the lookups while its connections are up and it is at most max_read_lag behind its
 * primary (checked every second); otherwise, and for a statement that fails there, the
 * primary's pool. Each change of that choice is logged once. Knows no request.
 */
#pragma once

#include <stdbool.h>

#include <event2/event.h>

#include "db/db_pool.h"

struct itin_db_replica;

/* conninfo: the standby's, as the daemon's role; primary: the pool of everything else. */
struct itin_db_replica *itin_db_replica_alloc(void *ctx, struct event_base *base,
					      const char *conninfo, unsigned connections,
					      unsigned max_lag_s, struct itin_db_pool *primary);
int itin_db_replica_start(struct itin_db_replica *r);

/* The lookup (db_sql.h's itin_sql_lookup_batch), as itin_db_pool_read() on the standby, or on
 * the primary when the standby cannot take it now or fails it. */
int itin_db_replica_lookup(struct itin_db_replica *r, int nparams, const char *const *values,
			   itin_db_cb cb, void *arg);

struct itin_db_replica_stats {
	bool in_use;			/* lookups go to the standby now */
	double lag_s;			/* at the last check; < 0: not known */
	unsigned long long lookups;	/* answered by the standby */
	unsigned long long fallbacks;	/* failed there, sent to the primary */
};
void itin_db_replica_get_stats(const struct itin_db_replica *r, struct itin_db_replica_stats *st);
